"""CoE reach: where champions are, how many, who is trained, the champion lift and the CoE-pitfall signal."""
import streamlit as st

from app import cache, filters, layout
from queries import views

scope = filters.scope()
st.title("CoE reach")
if scope is None:
    layout.no_data_yet()

model = cache.read(views.coe_reach, scope)
if model.withheld:
    layout.withheld(model.withheld)
if model.no_register:
    layout.headline("No champion register yet.")
    st.info("Upload the champion register (champions.csv: email, department, role) on the Data page to see which "
            "departments have a champion. It carries forward month to month until you upload a new one.",
            icon=":material/groups:")
    layout.link_to_data()
    st.stop()

layout.headline(model.headline)
layout.whole_organisation(model.whole_organisation)
if model.carried:
    st.caption(model.carried)

layout.tiles(model.tiles)
if model.pitfall:
    st.warning(model.pitfall, icon=":material/warning:")

left, right = st.columns(2)
with left:
    if model.departments:
        layout.chart(model.departments)
        layout.download_table(model.departments_table)
with right:
    if model.lift:
        layout.chart(model.lift)
    elif model.lift_note:
        st.caption(model.lift_note)
    if model.training:
        layout.chart(model.training)
    else:
        st.info(model.training_note)
