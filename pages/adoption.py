"""Adoption: how far participation has spread — trend, funnel, flows, departments, regions, levels, tools, leaders."""
import pandas as pd
import streamlit as st

from pages import chart_cache, charts, shell
from queries import adoption, metrics, narrative

scope = shell.scope()
st.title("Adoption")
if scope is None:
    shell.no_data_yet()

min_group = shell.min_group()
now = shell.read(metrics.org_month, scope.month, scope.filters)
before = shell.read(metrics.org_month, scope.compare_to, scope.filters) if scope.has(scope.compare_to) else {}
departments = shell.read(adoption.by_dimension, "department", scope.month, scope.month, scope.filters, min_group)
st.markdown("#### " + narrative.change_sentence("Adoption", now["adoption_rate"], before.get("adoption_rate"),
                                                scope.month, f" (against {scope.compare_label})")
            + narrative.laggard_clause(departments, escape=shell.plain) + ".")
if now["headcount"] is not None and now["headcount"] < min_group:
    st.warning(f"The filters select fewer than {min_group} people, so no figures are shown. Widen the filters.")
    st.stop()
if now["adoption_rate"] is None:
    st.info(f"No activity for {scope.month:%B %Y}" + (" on this tool" if scope.filters.tool else "")
            + " yet, or no roster to count it against. Upload an activity export and the HR roster on the Data page.")
    shell.link_to_data()
    st.stop()

history = [r for r in shell.read(metrics.org_months, scope.trailing(24), scope.month, scope.filters)
           if r["headcount"]]

# --- Trend and funnel -------------------------------------------------------------------------------------------
trend = [{"month": r["month"], "active": r["adoption_rate"], "contributors": r["contribution_rate"],
          "creators": r["creators"] / r["headcount"] if r["creators"] is not None else None}
         for r in history if r["adoption_rate"] is not None]
left, right = st.columns([3, 2])
with left:
    chart_cache.draw(charts.rate_lines, trend, {"active": "Active", "contributors": "Contributors",
                                                "creators": "Creators"},
                     "Active, contributors and creators as a share of headcount")
with right:
    chart_cache.draw(charts.participation_funnel,
                     {"Headcount": now["headcount"], "Active": now["active"], "Contributors": now["contributors"],
                      "Creators": now["creators"]},
                     f"Participation funnel, {scope.month:%B %Y}")

# --- New, returning, lapsed -------------------------------------------------------------------------------------
flows = [{"month": r["month"], "New": r["new"], "Returning": r["returning"], "Lapsed": r["lapsed"]}
         for r in history if r["new"] is not None]
if flows:
    chart_cache.draw(charts.flows_by_month, flows, "New, returning and lapsed people per month")

# --- Departments × months -----------------------------------------------------------------------------------------
grid = shell.read(adoption.by_dimension, "department", scope.trailing(12), scope.month, scope.filters, min_group)
if grid:
    chart_cache.draw(charts.heatmap, grid, "Adoption by department and month (grey: suppressed or no data)", min_group)
    table = pd.DataFrame(grid)
    table["adoption_rate"] = table["adoption_rate"].map(lambda v: None if pd.isna(v) else round(v, 4))
    shell.download_table(table, "adoption-by-department-and-month")

# --- Region, level, tool ------------------------------------------------------------------------------------------
columns = st.columns(3)
for column, dimension, title in ((columns[0], "region", "By region"),
                                 (columns[1], "level", "By level")):
    rows = shell.read(adoption.by_dimension, dimension, scope.month, scope.month, scope.filters, min_group)
    with column:
        if rows:
            chart_cache.draw(charts.bars, rows, "group", "adoption_rate",
                             f"Adoption {title.lower()}, {scope.month:%b %Y}", min_group,
                             category_title=dimension.title())
tools = shell.read(adoption.by_tool, scope.month, scope.filters, min_group)
with columns[2]:
    if tools:
        chart_cache.draw(charts.adoption_by_tool, tools, f"Adoption by tool, {scope.month:%b %Y}")
        st.caption("A person active on several tools counts once in the headline and once per tool here.")

# --- Leadership -----------------------------------------------------------------------------------------------------
leaders = [r for r in history if r["leadership_participation"] is not None]
if leaders and (now.get("headcount") or 0) >= min_group:
    executives = [r for r in leaders if (r["executives"] or 0) >= min_group]
    if executives:
        chart_cache.draw(charts.rate_lines, executives, {"leadership_participation": "Executives active"},
                         "Leadership participation: active executives / executives")
    else:
        st.caption(f"Leadership participation is hidden: fewer than {min_group} executives in this selection.")
