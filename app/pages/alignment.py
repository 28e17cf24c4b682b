"""Business alignment: are the KPIs on target, and does social activity move with them?"""
import streamlit as st

from app import cache, filters, layout
from queries import views

scope = filters.scope()
st.title("Business alignment")
if scope is None:
    layout.no_data_yet()

model = cache.read(views.alignment_view, scope)
if not model.has_kpis:
    layout.headline(f"No KPIs for {scope.month:%B %Y} yet.")
    st.info("Upload kpis.csv (month, kpi, department, value, target, unit, higher_is_better, objective) on the Data "
            "page. Leave the department empty for the whole organisation; add department rows to compare KPIs with "
            "adoption across departments.", icon=":material/target:")
    layout.link_to_data()
    st.stop()

if model.scorecard is not None:
    layout.headline(model.headline)
    st.caption("Whole-organisation KPIs: the sidebar's business unit, region, department and tool filters do not "
               "change this page.")

    # --- Scorecard --------------------------------------------------------------------------------------------------
    layout.dataframe(model.scorecard.frame, column_config={
        "Last 12 months": st.column_config.LineChartColumn("Last 12 months"),
        "Value": st.column_config.NumberColumn(format="%.1f"),
        "Target": st.column_config.NumberColumn(format="%.1f"),
        "Change vs last month": st.column_config.NumberColumn(format="%+.1f"),
    })
    layout.download_table(views.Table(model.scorecard.frame.drop(columns=["Last 12 months"]), model.scorecard.name))
else:  # a scoped viewer: their departments' KPI rows only (docs/deploy.md#department-scoped-viewers)
    layout.headline(f"Your departments' KPIs against their adoption, {scope.month:%B %Y}.")

# --- Department scatter and correlation ---------------------------------------------------------------------------
if model.department_kpis:
    kpi = st.selectbox("Department-level KPI", list(model.department_kpis), key="alignment_kpi")
    chart, sentence = model.department_kpis[kpi]
    layout.chart(chart)
    if sentence:
        st.markdown(layout.markdown(sentence))
st.caption(model.department_note)

# --- KPI against adoption over time ------------------------------------------------------------------------------
if model.trends:
    kpi = st.selectbox("KPI to compare with adoption over time", list(model.trends), key="alignment_trend_kpi")
    layout.chart(model.trends[kpi])
