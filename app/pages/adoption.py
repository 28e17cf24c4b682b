"""Adoption: how far participation has spread — trend, funnel, flows, departments, regions, levels, tools, leaders,
participation segments, habits and cohort retention."""
import streamlit as st

from app import cache, filters, layout
from queries import views

scope = filters.scope()
st.title("Adoption")
if scope is None:
    layout.no_data_yet()

model = cache.read(views.adoption_view, scope)
if model.withheld:
    layout.withheld(model.withheld)
if model.no_activity:
    st.info(model.no_activity)
    layout.link_to_data()
    st.stop()

layout.headline(model.headline)
layout.whole_organisation(model.whole_organisation)
for note in model.notes:
    st.caption(layout.markdown(note))

# --- Trend and funnel -------------------------------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    layout.chart(model.trend)
with right:
    layout.chart(model.funnel)

# --- New, returning, lapsed -------------------------------------------------------------------------------------
if model.flows:
    layout.chart(model.flows)

# --- Departments × months -----------------------------------------------------------------------------------------
if model.heatmap:
    layout.chart(model.heatmap)
    layout.download_table(model.heatmap_table)

# --- Region, level, tool ------------------------------------------------------------------------------------------
columns = st.columns(3)
for column, breakdown in zip(columns, model.breakdowns):
    with column:
        layout.chart(breakdown)
with columns[2]:
    if model.by_tool:
        layout.chart(model.by_tool)
        st.caption(model.by_tool_note)

# --- Leadership -----------------------------------------------------------------------------------------------------
if model.leadership:
    layout.chart(model.leadership)
elif model.leadership_note:
    st.caption(model.leadership_note)

# --- Participation: segments, moves, habits, cohorts ----------------------------------------------------------------
part = model.participation
st.subheader("Who creates, responds, observes", anchor=False)
if part.references_note:
    st.caption(layout.markdown(part.references_note))
if part.segments:
    layout.chart(part.segments)
elif part.segments_note:
    st.caption(part.segments_note)
left, right = st.columns(2)
with left:
    if part.moves:
        layout.chart(part.moves)
        st.caption(layout.markdown(part.moves_sentence))
with right:
    if part.habits:
        layout.chart(part.habits)
    if part.habits_sentence:
        st.caption(layout.markdown(part.habits_sentence))

st.subheader("Do newcomers stay?", anchor=False)
if part.cohorts:
    layout.chart(part.cohorts)
    layout.download_table(part.cohorts_table)
st.caption(part.cohorts_note)
