"""Business alignment: are the KPIs on target, and does social activity move with them?"""
import pandas as pd
import streamlit as st

from pages import chart_cache, charts, shell
from queries import alignment, metrics

scope = shell.scope()
st.title("Business alignment")
if scope is None:
    shell.no_data_yet()

min_group = shell.min_group()
scorecard = shell.read(alignment.scorecard, scope.month)
if not scorecard:
    st.markdown(f"#### No KPIs for {scope.month:%B %Y} yet.")  # no user text here
    st.info("Upload kpis.csv (month, kpi, department, value, target, unit, higher_is_better, objective) on the Data "
            "page. Leave the department empty for the whole organisation; add department rows to compare KPIs with "
            "adoption across departments.", icon=":material/target:")
    shell.link_to_data()
    st.stop()

with_target = [k for k in scorecard if k["on_target"] is not None]
on_target = [k for k in with_target if k["on_target"]]
sentence = f"{len(on_target)} of {len(with_target)} KPIs with a target are on target in {scope.month:%B %Y}"
missed = [shell.plain(k["kpi"]) for k in with_target if not k["on_target"]]
st.markdown("#### " + sentence + (
    f"; {', '.join(missed[:2])} {'is' if len(missed[:2]) == 1 else 'are'} behind." if missed else "."))

# --- Scorecard ------------------------------------------------------------------------------------------------------
table = pd.DataFrame([{
    "KPI": k["kpi"], "Value": k["value"], "Target": k["target"], "Unit": k["unit"] or "",
    "Direction": "higher is better" if k["higher_is_better"] else "lower is better",
    "On target": "—" if k["on_target"] is None else ("yes" if k["on_target"] else "no"),
    "Change vs last month": k["change"], "Last 12 months": list(k["history"] or []),
    "Objective": k["objective"] or "",
} for k in scorecard])
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "Last 12 months": st.column_config.LineChartColumn("Last 12 months"),
    "Value": st.column_config.NumberColumn(format="%.1f"),
    "Target": st.column_config.NumberColumn(format="%.1f"),
    "Change vs last month": st.column_config.NumberColumn(format="%+.1f"),
})
shell.download_table(table.drop(columns=["Last 12 months"]), "kpi-scorecard")

# --- Department scatter and correlation ---------------------------------------------------------------------------
points = shell.read(alignment.department_points, scope.month, min_group)
correlations = {c["kpi"]: c for c in shell.read(alignment.correlations, scope.month, min_group)}
if points:
    kpis = sorted({p["kpi"] for p in points})
    kpi = st.selectbox("Department-level KPI", kpis, key="alignment_kpi")
    chosen = [p for p in points if p["kpi"] == kpi]
    result = correlations.get(kpi, {})
    chart_cache.draw(charts.kpi_against_adoption, chosen, kpi,
                     f"{kpi} against adoption, by department ({scope.month:%B %Y})")
    st.markdown(f"Across {result.get('departments', len(chosen))} departments there is "
                + alignment.describe_correlation(result.get("correlation")) + ".")
    st.caption(f"Departments of fewer than {min_group} people are left out. A correlation is not a cause.")
else:
    st.caption("No department-level KPI rows this month: add rows with a department to kpis.csv to compare each "
               "department's results with its adoption.")

# --- KPI against adoption over time ------------------------------------------------------------------------------
trend = shell.read(alignment.kpi_trend, scope.trailing(12), scope.month)
if trend:
    kpi = st.selectbox("KPI to compare with adoption over time", sorted({r["kpi"] for r in trend}),
                       key="alignment_trend_kpi")
    chart_cache.draw(charts.kpi_and_adoption_by_month, [r for r in trend if r["kpi"] == kpi], kpi,
                     f"{kpi} and adoption by month")
