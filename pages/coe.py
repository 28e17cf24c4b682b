"""CoE reach: where champions are, how many, who is trained, the champion lift and the CoE-pitfall signal."""
import pandas as pd
import streamlit as st

from pages import chart_cache, charts, shell
from queries import coe, metrics

scope = shell.scope()
st.title("CoE reach")
if scope is None:
    shell.no_data_yet()

min_group = shell.min_group()
now = shell.read(metrics.org_month, scope.month, scope.filters)
before = shell.read(metrics.org_month, scope.compare_to, scope.filters) if scope.has(scope.compare_to) else {}
status = shell.read(metrics.month_status, scope.month)

if now["champion_coverage"] is None:
    st.markdown("#### No champion register yet.")
    st.info("Upload the champion register (champions.csv: email, department, role) on the Data page to see which "
            "departments have a champion. It carries forward month to month until you upload a new one.",
            icon=":material/groups:")
    shell.link_to_data()
    st.stop()

departments = shell.read(coe.departments, scope.month, scope.filters, min_group)
with_champion = sum(1 for d in departments if d["has_champion"])
st.markdown(f"#### {with_champion} of {len(departments)} departments have a champion in {scope.month:%B %Y} "
            f"({shell.percent(now['champion_coverage'])}), with {shell.number(now['champions_per_1000'])} champions "
            "per 1,000 employees.")
if status and status["champions_month"] and status["champions_month"] != scope.month:
    st.caption(f"Champion register carried forward from {status['champions_month']:%B %Y}.")

lift = shell.read(coe.lift, scope.month, scope.filters, min_group)
share = shell.read(coe.champion_content_share, scope.month, scope.filters, min_group)
threshold = coe.pitfall_threshold()

tiles = st.columns(5)
tiles[0].metric("Depts with a champion", shell.percent(now["champion_coverage"]),
                shell.points(shell.difference(now["champion_coverage"], before.get("champion_coverage"))))
tiles[1].metric("Champions / 1,000", shell.number(now["champions_per_1000"]))
tiles[2].metric("Headcount covered", shell.percent(lift["headcount_covered"] if lift else None),
                help="People in departments that have at least one champion, as a share of headcount.")
tiles[3].metric("Trained (12 months)", shell.percent(now["training_reach"]),
                shell.points(shell.difference(now["training_reach"], before.get("training_reach"))))
tiles[4].metric("Champion-written", shell.percent(share),
                help=f"Share of all posts and replies written by champions. Above {threshold:.0%} the network "
                     "depends on its champions rather than growing by itself.")
if share is not None and share > threshold:
    st.warning(f"**CoE pitfall:** champions wrote {share:.0%} of all posts and replies this month (above "
               f"{threshold:.0%}). The conversation depends on the champions; coach them to draw others in rather "
               "than post for them.", icon=":material/warning:")

left, right = st.columns(2)
with left:
    if departments:
        chart_cache.draw(charts.champions_by_department, departments, "Champions per 1,000 employees by department",
                         min_group)
        table = pd.DataFrame(departments)[["department", "has_champion", "headcount", "champions",
                                           "champions_per_1000", "adoption_rate"]]
        shell.download_table(table, "champions-by-department")
with right:
    if lift and lift["adoption_with_champion"] is not None and lift["adoption_without_champion"] is not None:
        gap = lift["adoption_with_champion"] - lift["adoption_without_champion"]
        chart_cache.draw(charts.champion_lift,
                         [{"side": f"With ({lift['departments_with']} depts)",
                           "adoption": lift["adoption_with_champion"]},
                          {"side": f"Without ({lift['departments_without']} depts)",
                           "adoption": lift["adoption_without_champion"]}],
                         f"Champion lift: {gap * 100:+.0f} pts adoption with a champion")
    elif lift:
        st.caption(f"The champion lift needs at least {min_group} people in departments with and without a champion.")
    history = [r for r in shell.read(metrics.org_months, scope.trailing(12), scope.month, scope.filters)
               if r["training_reach"] is not None]
    if history:
        chart_cache.draw(charts.rate_lines, history, {"training_reach": "Training reach"},
                         "Trained in the trailing 12 months / headcount", height=220)
    else:
        st.info("No training attendance yet: upload training.csv (date, program, email) on the Data page.")
