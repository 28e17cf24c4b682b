"""Where we stand: the six-stage ladder, what it takes to reach the next stage, the evidence, the stage month by
month, and the checklist champions answer."""
import altair as alt
import pandas as pd
import streamlit as st

from pages import charts, shell
from queries import checklist, imports, stages, uploads, warehouse

scope = shell.scope()
st.title("Where we stand")
shell.demo_notice()
for message in st.session_state.pop("stage_messages", []):
    st.success(message, icon=":material/check_circle:")

try:
    rubric = stages.load()
except stages.RubricError as error:
    st.error(f"The stage rubric cannot be used: {shell.plain(error)}", icon=":material/error:")
    st.stop()


def ladder(current: int, results=None) -> alt.Chart:
    """The six steps as a staircase: reached steps in their colour, the current one outlined, later ones faded."""
    rows = []
    for stage in rubric.stages:
        result = next((r for r in results or [] if r.number == stage.number), None)
        state = "current stage" if stage.number == current else ("reached" if stage.number < current else "ahead")
        rows.append({"number": stage.number, "step": f"{stage.number} · {stage.name} — {stage.motto}",
                     "name": stage.name, "motto": stage.motto, "state": state,
                     "criteria": f"{result.met} of {result.total} met" if result else "",
                     "marker": "◀ we are here" if stage.number == current else ""})
    frame = pd.DataFrame(rows)
    colours = [charts.STAGE_COLORS[min(n, len(charts.STAGE_COLORS) - 1)] for n in frame["number"]]
    base = alt.Chart(frame, title="The six stages of social business", height=34 * len(frame)).encode(
        y=alt.Y("step:N", title=None, sort=alt.EncodingSortField("number", order="descending"),
                axis=alt.Axis(labelLimit=0, labelFontSize=13)))
    steps = base.mark_bar(height=24).encode(
        x=alt.X("number:Q", title=None, axis=None, scale=alt.Scale(domain=[0, rubric.top + 2.5])),
        color=alt.Color("step:N", legend=None, scale=alt.Scale(domain=list(frame["step"]), range=colours)),
        opacity=alt.condition(alt.datum.state == "ahead", alt.value(0.25), alt.value(1.0)),
        stroke=alt.condition(alt.datum.state == "current stage", alt.value("#000000"), alt.value(None)),
        strokeWidth=alt.condition(alt.datum.state == "current stage", alt.value(3), alt.value(0)),
        tooltip=[alt.Tooltip("number:Q", title="Stage"), alt.Tooltip("name:N", title="Name"),
                 alt.Tooltip("motto:N", title="Motto"), alt.Tooltip("state:N", title="Where we are"),
                 alt.Tooltip("criteria:N", title="Criteria")])
    marker = base.mark_text(align="left", dx=8, fontWeight="bold").encode(x="number:Q", text="marker:N")
    return steps + marker


if scope is None:
    st.markdown("#### Not started: no data has been uploaded yet.")
    st.altair_chart(ladder(0), width="stretch")
    shell.no_data_yet()

# The placement and the history chart below, from one read of the measures (see stages.standing)
placement, history = shell.read(stages.standing, scope.months[0], scope.month, rubric)
me = shell.actor()

# --- Headline and ladder -----------------------------------------------------------------------------------------
if placement.stage:
    st.markdown(f"#### As of {scope.month:%B %Y}, we are at stage {placement.stage} of {placement.top}: "
                f"{shell.plain(placement.stage_name)}, “{shell.plain(placement.motto)}”.")
else:
    first = rubric.stages[0]
    st.markdown(f"#### As of {scope.month:%B %Y}, we have not started: stage 1, {shell.plain(first.name)}, "
                "does not pass yet.")
rule = ("all of its criteria are met" if placement.pass_share >= 1
        else f"at least {placement.pass_share:.0%} of its criteria are met")
st.caption(f"Placed for the whole organisation: the sidebar's business unit, region, department and tool filters do "
           f"not change it. A stage passes when {rule}; we are at the highest stage N for which stages 1 to N all "
           "pass. Missing data counts as not met.")
st.altair_chart(ladder(placement.stage, placement.stages), width="stretch")

# --- What it takes to reach the next stage -----------------------------------------------------------------------
following = placement.next_stage
if following is None:
    st.success("Every stage of the rubric passes: social is part of how the business works.",
               icon=":material/verified:")
else:
    st.subheader(f"What it takes to reach stage {following.number}, {shell.plain(following.name)}")
    st.progress(following.met / following.total,
                text=f"{following.met} of {following.total} criteria of stage {following.number} met")
    for gap in placement.gaps:
        with st.container(border=True):
            st.markdown(f"**{gap.id} · {shell.plain(gap.label)}**")
            if gap.status == stages.NO_DATA:
                st.markdown(f"No data yet. {shell.plain(gap.needs)}.")
            elif gap.is_checklist:
                st.markdown("Answered **no** on the checklist below.")
            else:
                st.markdown(f"Now {stages.shown(gap.unit, gap.value)}, needs {stages.shown_threshold(gap)}.")
            if gap.hint:
                st.markdown(f"**Action:** {shell.plain(gap.hint)}")
            projection = placement.projections.get(gap.id)
            if projection:
                st.caption(f"Projection, from the trend of the last {stages.TREND_MONTHS} months (not a forecast): "
                           f"met {projection.text}.")

# --- Evidence ----------------------------------------------------------------------------------------------------
st.subheader("The evidence, stage by stage")
evidence = []
for result in placement.stages:
    verdict = "passes" if result.passes else "does not pass"
    rows = [{"Stage": result.number, "Criterion": c.id, "What": c.label, "Measured": stages.shown(c.unit, c.value),
             "Needs": stages.shown_threshold(c), "Status": stages.STATUS_LABELS[c.status],
             "How to improve": c.needs + "." if c.needs else c.hint} for c in placement.of_stage(result.number)]
    evidence.extend(rows)
    with st.expander(f"Stage {result.number} · {shell.plain(result.name)}: {verdict} ({result.met} of "
                     f"{result.total} met)", expanded=result.number == placement.stage + 1):
        st.dataframe(pd.DataFrame(rows).drop(columns=["Stage"]), hide_index=True, width="stretch")
shell.download_table(pd.DataFrame(evidence), f"stage-evidence-{scope.month:%Y-%m}",
                     "Download the evidence (CSV)")

# --- Stage month by month ----------------------------------------------------------------------------------------
st.subheader("Stage month by month")
left, right = st.columns([3, 2])
with left:
    frame = charts.month_axis(pd.DataFrame(history))
    frame["colour"] = [charts.STAGE_COLORS[min(n, len(charts.STAGE_COLORS) - 1)] for n in frame["stage"]]
    line = alt.Chart(frame, title="Stage reached each month", height=260).encode(
        x=alt.X("yearmonth(month):T", title=None),
        y=alt.Y("stage:Q", title="Stage", scale=alt.Scale(domain=[0, rubric.top]),
                axis=alt.Axis(tickMinStep=1, values=list(range(rubric.top + 1)))))
    st.altair_chart(
        line.mark_line(interpolate="step-after", color="#7f7f7f")
        + line.mark_point(filled=True, size=90).encode(
            color=alt.Color("colour:N", scale=None),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("stage:Q", title="Stage"),
                     alt.Tooltip("stage_name:N", title="Name")]),
        width="stretch")
with right:
    reached = stages.first_reached(history, rubric)
    table = pd.DataFrame([{"Stage": r["stage"], "Name": r["stage_name"],
                           "First reached": r["first_reached"].strftime("%B %Y") if r["first_reached"] else "not yet"}
                          for r in reached])
    st.markdown("**First reached**")
    st.dataframe(table, hide_index=True, width="stretch")
    shell.download_table(table, "stages-first-reached")

# --- Checklist ---------------------------------------------------------------------------------------------------
st.subheader("Checklist")
st.write("The questions the data cannot answer. An answer holds from the month it is given for until it is changed; "
         "every answer is recorded in the upload ledger with who gave it and when.")
questions = [c for c in rubric.criteria if c.is_checklist]
answers = shell.read(checklist.answers_as_of, scope.month)
current = pd.DataFrame([{
    "Criterion": c.id, "Question": c.label,
    "Answer": ("yes" if answers[c.id]["answer"] else "no") if c.id in answers else "not answered",
    "Note": answers.get(c.id, {}).get("note"), "Given for": answers.get(c.id, {}).get("answered_for"),
    "By": answers.get(c.id, {}).get("who"), "When (UTC)": answers.get(c.id, {}).get("answered_at"),
} for c in questions])
st.dataframe(current, hide_index=True, width="stretch")
labels = {c.id: f"{c.id} · {c.label}" for c in questions}

if me.may("answer"):
    with st.form("checklist_answer", clear_on_submit=True):
        st.markdown(f"**Answer a question for {scope.month:%B %Y}** (choose another month in the sidebar's *As of*).")
        criterion = st.selectbox("Question", list(labels), format_func=labels.get, key="checklist_criterion")
        answer = st.radio("Answer", ["yes", "no"], horizontal=True, key="checklist_answer_value")
        note = st.text_input("Note (optional)", key="checklist_note", max_chars=500,
                             placeholder="For example: charter approved at the March leadership meeting")
        if st.form_submit_button("Save answer", icon=":material/save:", key="checklist_save"):
            try:
                checklist.answer(shell.location(), scope.month, criterion, answer == "yes", note, actor=me)
            except (imports.ImportRefused, uploads.PermissionDenied, warehouse.WarehouseBusy) as refused:
                st.error(shell.plain(refused), icon=":material/block:")
            else:
                st.session_state["stage_messages"] = [
                    f"Saved: {criterion} answered {answer} for {scope.month:%B %Y} by {shell.plain(me.label)}."]
                st.rerun()
else:
    st.caption("Your champions or CoE lead answer the checklist; ask them to update it.")

if me.may("upload"):
    uploader_key = f"checklist_file_{st.session_state.get('checklist_generation', 0)}"
    upload = st.file_uploader("Or upload checklist.csv (criterion, answer, note; an optional month column)",
                              type=["csv", "xlsx"], key=uploader_key,
                              help=f"Rows without a month answer for {scope.month:%B %Y}.")
    if upload is not None and st.button("Import checklist answers", icon=":material/upload:", key="checklist_import"):
        try:
            result = checklist.import_answers(shell.location(), upload.name, upload.getvalue(), scope.month, actor=me)
        except (imports.ImportRefused, uploads.PermissionDenied, warehouse.WarehouseBusy) as refused:
            st.error(shell.plain(refused), icon=":material/block:")
        else:
            st.session_state["stage_messages"] = [shell.plain(result.summary())]
            st.session_state["checklist_generation"] = st.session_state.get("checklist_generation", 0) + 1
            st.rerun()
