"""Where we stand: the six-stage ladder, what it takes to reach the next stage, the evidence, the stage month by
month, and the checklist champions answer."""
import streamlit as st

from app import cache, filters, layout, signin, turns
from queries import checklist, imports, stages, uploads, views, warehouse

scope = filters.scope()
st.title("Where we stand")
layout.demo_notice(filters.frame())
for message in st.session_state.pop("stage_messages", []):
    st.success(message, icon=":material/check_circle:")

try:
    rubric = stages.load()
except stages.RubricError as error:
    st.error(f"The stage rubric cannot be used: {layout.plain(error)}", icon=":material/error:")
    st.stop()

if scope is None:
    layout.headline("Not started: no data has been uploaded yet.")
    layout.chart(views.not_started_ladder(rubric))
    layout.no_data_yet()

model = cache.read(views.standing, scope, rubric)
me = signin.actor()

# --- Headline and ladder -----------------------------------------------------------------------------------------
layout.headline(model.headline)
st.caption(model.rule)
for note in model.notes:
    st.caption(layout.markdown(note))
layout.chart(model.ladder)
if model.scoped:  # docs/deploy.md#department-scoped-viewers
    st.stop()

# --- What it takes to reach the next stage -----------------------------------------------------------------------
if model.complete:
    st.success("Every stage of the rubric passes: social is part of how the business works.",
               icon=":material/verified:")
else:
    st.subheader(layout.markdown(model.next_title))
    st.progress(model.progress, text=model.progress_text)
    for gap in model.gaps:
        with st.container(border=True):
            st.markdown(f"**{layout.markdown(gap.title)}**")
            st.markdown(layout.markdown(gap.status))
            if gap.action:
                st.markdown(f"**Action:** {layout.markdown(gap.action)}")
            if gap.projection:
                st.caption(gap.projection)

# --- Evidence ----------------------------------------------------------------------------------------------------
st.subheader("The evidence, stage by stage")
for label, rows, expanded in model.evidence:
    with st.expander(layout.markdown(label), expanded=expanded):
        layout.dataframe(rows)
layout.download_table(model.evidence_table, "Download the evidence (CSV)")

# --- Stage month by month ----------------------------------------------------------------------------------------
st.subheader("Stage month by month")
left, right = st.columns([3, 2])
with left:
    layout.chart(model.by_month)
with right:
    st.markdown("**First reached**")
    layout.table(model.first_reached)

# --- Checklist ---------------------------------------------------------------------------------------------------
st.subheader("Checklist")
st.write("The questions the data cannot answer. An answer holds from the month it is given for until it is changed; "
         "every answer is recorded in the upload ledger with who gave it and when.")
layout.dataframe(model.checklist)

if me.may("answer"):
    with st.form("checklist_answer", clear_on_submit=True):
        st.markdown(f"**Answer a question for {scope.month:%B %Y}** (choose another month in the sidebar's *As of*).")
        criterion = st.selectbox("Question", list(model.questions), format_func=model.questions.get,
                                 key="checklist_criterion")
        answer = st.radio("Answer", ["yes", "no"], horizontal=True, key="checklist_answer_value")
        note = st.text_input("Note (optional)", key="checklist_note", max_chars=500,
                             placeholder="For example: charter approved at the March leadership meeting")
        if st.form_submit_button("Save answer", icon=":material/save:", key="checklist_save"):
            try:
                with turns.aside():
                    checklist.answer(cache.location(), scope.month, criterion, answer == "yes", note, actor=me)
            except (imports.ImportRefused, uploads.PermissionDenied, warehouse.WarehouseBusy) as refused:
                st.error(layout.plain(refused), icon=":material/block:")
            else:
                st.session_state["stage_messages"] = [
                    f"Saved: {criterion} answered {answer} for {scope.month:%B %Y} by {layout.plain(me.label)}."]
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
            with turns.aside():
                result = checklist.import_answers(cache.location(), upload.name, upload.getvalue(), scope.month,
                                                  actor=me)
        except (imports.ImportRefused, uploads.PermissionDenied, warehouse.WarehouseBusy) as refused:
            st.error(layout.plain(refused), icon=":material/block:")
        else:
            st.session_state["stage_messages"] = [layout.plain(result.summary())]
            st.session_state["checklist_generation"] = st.session_state.get("checklist_generation", 0) + 1
            st.rerun()
