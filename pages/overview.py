"""Overview: where the organisation stands this month, in headline tiles with deltas."""
import streamlit as st

from pages import shell
from queries import metrics

st.title("Overview")
shell.demo_notice()

month = shell.read(metrics.latest_month)
if month is None:
    st.info("No data yet. Upload your first exports on the Data page: start with the HR roster and an "
            "activity export.", icon=":material/upload_file:")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    st.stop()

previous = metrics.previous_month(month)
now = shell.read(metrics.org_month, month)
before = shell.read(metrics.org_month, previous) if previous in shell.read(metrics.months) else {}
status = shell.read(metrics.month_status, month)


def delta(key, formatter=shell.points):
    return formatter(shell.difference(now.get(key), before.get(key)))


def count_delta(key):
    change = shell.difference(now.get(key), before.get(key))
    return None if change is None else f"{change:+,.0f}"


st.caption(f"As of {month:%B %Y}, compared with {previous:%B %Y}.")
if status and status["roster_month"] and status["roster_month"] != month:
    st.caption(f"Headcount carried forward from the {status['roster_month']:%B %Y} roster.")

tiles = st.columns(5)
tiles[0].metric("Adoption", shell.percent(now["adoption_rate"]), delta(("adoption_rate")),
                help="People active on any tool this month, as a share of headcount.")
tiles[1].metric("Contribution", shell.percent(now["contribution_rate"]), delta("contribution_rate"),
                help="People who posted or replied at least once, as a share of headcount.")
tiles[2].metric("Leadership participation", shell.percent(now["leadership_participation"]),
                delta("leadership_participation"), help="Active executives as a share of executives.")
tiles[3].metric("CoE reach", shell.percent(now["champion_coverage"]), delta("champion_coverage"),
                help="Share of departments with at least one champion.")
tiles[4].metric("KPIs on target", shell.percent(now["kpis_on_target_share"]), delta("kpis_on_target_share"),
                help="Share of whole-organisation KPIs with a target that meet it.")

tiles = st.columns(5)
tiles[0].metric("Headcount", shell.count(now["headcount"]), count_delta("headcount"), delta_color="off")
tiles[1].metric("Active people", shell.count(now["active"]), count_delta("active"))
tiles[2].metric("New this month", shell.count(now["new"]), count_delta("new"), delta_color="off",
                help="Active this month for the first time in the data held.")
tiles[3].metric("Responses per post", shell.number(now["responses_per_post"]),
                delta("responses_per_post", lambda d: None if d is None else f"{d:+.1f}"),
                help="(Replies + reactions) / posts, over all tools.")
tiles[4].metric("Training reach (12 months)", shell.percent(now["training_reach"]), delta("training_reach"),
                help="People trained in the trailing 12 months, as a share of headcount.")
