"""Communities: which communities thrive, which have gone quiet or dormant, and how that changes month to month."""
import streamlit as st

from app import cache, filters, layout
from queries import views

scope = filters.scope()
st.title("Communities")
if scope is None:
    layout.no_data_yet()

model = cache.read(views.communities_view, scope)
if model.no_data:
    layout.headline(f"No communities data for {scope.month:%B %Y}.")
    st.info(model.no_data, icon=":material/forum:")
    layout.link_to_data()
    st.caption(model.scope_note)
    st.stop()

layout.headline(model.headline)
st.caption(model.scope_note)
layout.tiles(model.tiles)
for note in model.notes:
    st.caption(layout.markdown(note))

layout.chart(model.trend)
if scope.limited_to is not None:  # counts only (docs/deploy.md#department-scoped-viewers)
    st.info(model.healthiest_note, icon=":material/forum:")
    st.stop()

left, right = st.columns(2)
with left:
    if model.healthiest:
        layout.chart(model.healthiest)
    else:
        st.caption(model.healthiest_note)
with right:
    if model.at_risk:
        layout.chart(model.at_risk)
    else:
        st.caption(model.at_risk_note)

st.subheader(f"Every community listed, {scope.month:%B %Y}")
if model.table:
    layout.table(model.table, column_config={
        "Posts per member": st.column_config.NumberColumn(format="%.2f"),
        "Reads per member": st.column_config.NumberColumn(format="%.2f"),
    })
else:
    st.caption("No community has enough members to be listed.")
