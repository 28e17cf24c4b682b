"""Adoption: how far participation has spread — trend, funnel, flows, departments, regions, levels, tools, leaders."""
import streamlit as st

from pages import cache, filters, layout
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
