"""Where we stand: the six-stage ladder, what it takes to reach the next stage, the evidence, the stage month by
month, and the checklist champions answer."""
import pandas as pd
import streamlit as st

from pages import chart_cache, charts, shell
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

ladder_steps = [(s.number, s.name, s.motto) for s in rubric.stages]

if scope is None:
    st.markdown("#### Not started: no data has been uploaded yet.")
    chart_cache.draw(charts.stage_ladder, ladder_steps, 0, rubric.top)
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
chart_cache.draw(charts.stage_ladder, ladder_steps, placement.stage, rubric.top,
                 {r.number: (r.met, r.total) for r in placement.stages})

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
    chart_cache.draw(charts.stage_by_month, history, rubric.top, "Stage reached each month")
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
