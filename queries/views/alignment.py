"""The Business alignment page's model: the KPI scorecard and each KPI against adoption by department and month."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from .. import alignment, charts
from ..formats import user
from .common import Chart, Scope, Table, held_initiatives, initiative_marks


@dataclass(frozen=True)
class Alignment:
    """Whole-organisation KPIs and departments of at least the minimum size: organisation-wide, whatever the
    filters."""

    month: dt.date
    has_kpis: bool
    headline: str | None = None
    scorecard: Table | None = None
    department_kpis: dict = field(default_factory=dict)  # KPI -> (Chart, sentence)
    department_note: str | None = None
    trends: dict = field(default_factory=dict)  # KPI -> Chart


SCOPED_NOTE = ("The organisation's KPIs, their trends and how they go with adoption across departments are for "
               "viewers of the whole organisation: your view shows the KPI rows of your departments only.")


def alignment_view(conn: duckdb.DuckDBPyConnection, scope: Scope) -> Alignment:
    scorecard = alignment.scorecard(conn, scope.month)
    if not scorecard:
        return Alignment(scope.month, False)
    if scope.limited_to is not None:
        return _scoped_alignment(conn, scope)
    with_target = [k for k in scorecard if k["on_target"] is not None]
    on_target = [k for k in with_target if k["on_target"]]
    missed = [user(k["kpi"]) for k in with_target if not k["on_target"]][:2]
    headline = (f"{len(on_target)} of {len(with_target)} KPIs with a target are on target in {scope.month:%B %Y}"
                + (f"; {', '.join(missed)} {'is' if len(missed) == 1 else 'are'} behind." if missed else "."))
    table = Table(pd.DataFrame([{
        "KPI": k["kpi"], "Value": k["value"], "Target": k["target"], "Unit": k["unit"] or "",
        "Direction": "higher is better" if k["higher_is_better"] else "lower is better",
        "On target": "—" if k["on_target"] is None else ("yes" if k["on_target"] else "no"),
        "Change vs last month": k["change"], "Last 12 months": list(k["history"] or []),
        "Objective": k["objective"] or "",
    } for k in scorecard]), "kpi-scorecard")
    points_ = alignment.department_points(conn, scope.month, scope.min_group)
    correlations = {c["kpi"]: c for c in alignment.correlations(conn, scope.month, scope.min_group)}
    department_kpis = {}
    for kpi in sorted({p["kpi"] for p in points_}):
        chosen = [p for p in points_ if p["kpi"] == kpi]
        result = correlations.get(kpi, {})
        department_kpis[kpi] = (
            Chart(charts.kpi_against_adoption, (chosen, kpi, f"{kpi} against adoption, by department "
                                                             f"({scope.month:%B %Y})")),
            f"Across {result.get('departments', len(chosen))} departments there is "
            + alignment.describe_correlation(result.get("correlation")) + ".")
    trend = alignment.kpi_trend(conn, scope.trailing(12), scope.month)
    started = held_initiatives(conn, scope)
    trends = {kpi: Chart(charts.kpi_and_adoption_by_month, ([r for r in trend if r["kpi"] == kpi], kpi,
                                                           f"{kpi} and adoption by month"),
                         {"initiatives": initiative_marks(started, [r["month"] for r in trend if r["kpi"] == kpi])})
              for kpi in sorted({r["kpi"] for r in trend})}
    note = (f"Departments of fewer than {scope.min_group} people are left out. A correlation is not a cause."
            if department_kpis else
            "No department-level KPI rows this month: add rows with a department to kpis.csv to compare each "
            "department's results with its adoption.")
    return Alignment(scope.month, True, headline, table, department_kpis, note, trends)


def _scoped_alignment(conn: duckdb.DuckDBPyConnection, scope: Scope) -> Alignment:
    """A scoped viewer's alignment: each KPI against adoption in their own departments only, without the
    organisation's scorecard, its trends or a correlation across every department."""
    mine = set(scope.filters.departments)
    points_ = [p for p in alignment.department_points(conn, scope.month, scope.min_group) if p["department"] in mine]
    department_kpis = {
        kpi: (Chart(charts.kpi_against_adoption, ([p for p in points_ if p["kpi"] == kpi], kpi,
                                                  f"{kpi} against adoption, your departments ({scope.month:%B %Y})")),
              "")
        for kpi in sorted({p["kpi"] for p in points_})}
    note = SCOPED_NOTE + ("" if department_kpis else " None of them has a KPI row this month.")
    return Alignment(scope.month, True, None, None, department_kpis, note)
