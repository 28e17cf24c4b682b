"""Initiatives: what the organisation started, and whether it moved adoption and contribution in the departments it
covered, against the departments it did not."""
import streamlit as st

from app import cache, filters, layout
from queries import views

scope = filters.scope()
st.title("Initiatives")
if scope is None:
    layout.no_data_yet()

model = cache.read(views.initiatives_view, scope)
if scope.limited_to is not None:  # docs/deploy.md#department-scoped-viewers
    st.info(model.note, icon=":material/flag:")
    st.stop()
if not model.items:
    layout.headline("No initiatives recorded yet.")
    st.info("Record an initiative on the Data page (or upload an initiatives.csv): its name, start month and the "
            "departments it covers. Every trend then marks it, and this page measures its effect.",
            icon=":material/flag:")
    layout.link_to_data()
    st.stop()

layout.headline(f"{len(model.items)} initiative{'s' if len(model.items) != 1 else ''} recorded, measured as of "
                f"{scope.month:%B %Y}.")
st.caption(model.note + " Method and interval: docs/metrics.md#initiative-effect.")
layout.table(model.table, column_config={
    column: st.column_config.NumberColumn(format="%+.1f")
    for column in ("Effect on adoption (points)", "Effect on contribution (points)")})

for item in model.items:
    with st.container(border=True):
        st.subheader(layout.markdown(item.initiative.name), anchor=False)
        st.caption(layout.markdown(f"From {item.initiative.start:%B %Y}"
                                   + (f" to {item.initiative.end:%B %Y}" if item.initiative.end else "")
                                   + f" · covers {item.covers}"
                                   + (f" · {item.initiative.note}" if item.initiative.note else "")))
        st.markdown(layout.markdown("**Adoption.** " + item.adoption.sentence))
        st.markdown(layout.markdown("**Contribution.** " + item.contribution.sentence))
        if item.event_study:
            layout.chart(item.event_study)
