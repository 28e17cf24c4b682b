"""Overview: the answer in ten seconds — where we stand among the six stages, headline tiles with deltas, the adoption
trend and who moved most."""
import pandas as pd
import streamlit as st

from pages import chart_cache, charts, shell
from queries import adoption, metrics, narrative, stages

scope = shell.scope()
st.title("Overview")
shell.demo_notice()
if scope is None:
    shell.no_data_yet()

min_group = shell.min_group()
now = shell.read(metrics.org_month, scope.month, scope.filters)
before = shell.read(metrics.org_month, scope.compare_to, scope.filters) if scope.has(scope.compare_to) else {}
departments = shell.read(adoption.by_dimension, "department", scope.month, scope.month, scope.filters, min_group)
status = shell.read(metrics.month_status, scope.month)

suppressed_scope = now["headcount"] is not None and now["headcount"] < min_group
if suppressed_scope:
    st.warning(f"The filters select fewer than {min_group} people, so no figures are shown. Widen the filters.",
               icon=":material/visibility_off:")
    st.stop()

# --- Where we stand: the compact ladder (the Where we stand page has the evidence) ---------------------------------
try:
    rubric = stages.load()
    placement = shell.read(stages.evaluate, scope.month, rubric)
except stages.RubricError as error:
    placement = None
    st.warning(f"The stage rubric cannot be used: {shell.plain(error)}", icon=":material/stairs:")
if placement is not None:
    with st.container(border=True):
        left, right = st.columns([2, 3])
        with left:
            if placement.stage:
                st.subheader(f"Stage {placement.stage} of {placement.top}: {shell.plain(placement.stage_name)}")
                st.caption(f"“{shell.plain(placement.motto)}” · whole organisation, {scope.month:%B %Y}")
            else:
                st.subheader(f"Stage 0 of {placement.top}: not started")
                st.caption(f"Stage 1 does not pass yet · whole organisation, {scope.month:%B %Y}")
            following = placement.next_stage
            if following is None:
                st.caption("Every stage of the rubric passes.")
            else:
                st.progress(following.met / following.total,
                            text=f"Toward stage {following.number}, {shell.plain(following.name)}: "
                                 f"{following.met} of {following.total} criteria met")
        with right:
            chart_cache.draw(charts.stage_strip, [(s.number, s.name, s.motto) for s in rubric.stages], placement.stage)
            gaps = placement.gaps[:3]
            if gaps:
                st.caption("**What it takes next:** " + "; ".join(
                    f"{shell.plain(g.label)} ({g.id}: "
                    + ("no data" if g.status == stages.NO_DATA else
                       f"{stages.shown(g.unit, g.value)}, needs {stages.shown_threshold(g)}") + ")"
                    for g in gaps) + ("; …" if len(placement.gaps) > 3 else "."))
        st.page_link("pages/stages.py", label="Where we stand: the evidence, the outlook and the checklist",
                     icon=":material/stairs:")

st.markdown("#### " + narrative.change_sentence("Adoption", now["adoption_rate"], before.get("adoption_rate"),
                                                scope.month, f" (against {scope.compare_label})")
            + narrative.laggard_clause(departments, escape=shell.plain) + ".")
notes = [f"As of {scope.month:%B %Y}, compared with {scope.compare_to:%B %Y}."]
if status and status["roster_month"] and status["roster_month"] != scope.month:
    notes.append(f"Headcount carried forward from the {status['roster_month']:%B %Y} roster.")
if not before:
    notes.append(f"No data held for {scope.compare_to:%B %Y}, so no deltas.")
st.caption(" ".join(notes))


def executive_brief(where=shell.location(), month=scope.month, filters=scope.filters, compare_to=scope.compare_to):
    """Built only when the button is clicked (Streamlit runs this on its own thread, with its own connection)."""
    from queries import brief, warehouse

    with warehouse.opened(where) as conn:
        return brief.build_brief(conn, month, filters, compare_to)


st.download_button("Download the executive brief (PDF)", executive_brief,
                   f"social-business-brief-{scope.month:%Y-%m}.pdf", "application/pdf", icon=":material/picture_as_pdf:", on_click="ignore", key="download_brief",
                   help="A one-page A4 summary of this view for the board: stage, headline figures, two charts, the "
                        "next actions, data freshness and the filters applied.")


def delta(key):
    return shell.points(shell.difference(now.get(key), before.get(key)))


def count_delta(key):
    change = shell.difference(now.get(key), before.get(key))
    return None if change is None else f"{change:+,.0f}"


tiles = st.columns(5)
tiles[0].metric("Adoption", shell.percent(now["adoption_rate"]), delta("adoption_rate"),
                help="People active on any tool this month, as a share of headcount.")
tiles[1].metric("Contribution", shell.percent(now["contribution_rate"]), delta("contribution_rate"),
                help="People who posted or replied at least once, as a share of headcount.")
tiles[2].metric("Leaders active", shell.percent(now["leadership_participation"]),
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
                None if shell.difference(now["responses_per_post"], before.get("responses_per_post")) is None
                else f"{now['responses_per_post'] - before['responses_per_post']:+.1f}",
                help="(Replies + reactions) / posts, over all tools.")
tiles[4].metric("Trained (12 months)", shell.percent(now["training_reach"]), delta("training_reach"),
                help="People trained in the trailing 12 months, as a share of headcount.")

left, right = st.columns([3, 2])
with left:
    trend = [r for r in shell.read(metrics.org_months, scope.trailing(12), scope.month, scope.filters)
             if r["adoption_rate"] is not None]
    if trend:
        chart_cache.draw(charts.rate_lines, trend, {"adoption_rate": "Adoption", "contribution_rate": "Contribution"},
                         "Adoption and contribution, last 12 months")
    else:
        st.info("No activity uploaded for these months yet: upload an activity export on the Data page.")
with right:
    st.markdown("**Departments that moved most**")
    moved = shell.read(adoption.movers, scope.month, scope.compare_to, scope.filters, min_group)
    if moved:
        table = pd.DataFrame([{"Department": m["department"], "Adoption": shell.percent(m["adoption_rate"]),
                               f"Change vs {scope.compare_to:%b %Y}": shell.points(m["change"])} for m in moved])
        st.dataframe(table, hide_index=True, width="stretch")
        shell.download_table(table, "departments-that-moved-most")
    else:
        st.caption(f"Needs adoption for {scope.month:%B %Y} and {scope.compare_to:%B %Y} in departments of at "
                   f"least {min_group} people.")
