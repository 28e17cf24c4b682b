"""Business alignment for the Alignment page and the rubric: KPI scorecard, correlations and trends."""
from __future__ import annotations

import duckdb

from . import named
from .metrics import as_month, min_group_or_default


def scorecard(conn: duckdb.DuckDBPyConnection, month) -> list[dict]:
    return named.rows(conn, "alignment.scorecard", {"month": as_month(month)})


def department_points(conn: duckdb.DuckDBPyConnection, month, min_group: int | None = None) -> list[dict]:
    params = {"month": as_month(month), "min_group": min_group_or_default(min_group)}
    return named.rows(conn, "alignment.department_points", params)


def correlations(conn: duckdb.DuckDBPyConnection, month, min_group: int | None = None) -> list[dict]:
    """Direction-adjusted Spearman correlation between department adoption and each department-level KPI."""
    month = as_month(month)
    return [{k: v for k, v in row.items() if k != "month"}
            for row in correlations_by_month(conn, month, month, min_group)]


def correlations_by_month(conn: duckdb.DuckDBPyConnection, from_month, to_month,
                          min_group: int | None = None) -> list[dict]:
    """What `correlations` gives, for every month from `from_month` to `to_month` at once (with a `month` key)."""
    params = {"from_month": as_month(from_month), "to_month": as_month(to_month),
              "min_group": min_group_or_default(min_group)}
    rows = named.rows(conn, "alignment.correlations", params)
    for row in rows:
        if row["correlation"] is not None:
            row["correlation"] = float(row["correlation"])
    return rows


def kpi_trend(conn: duckdb.DuckDBPyConnection, from_month, to_month) -> list[dict]:
    return named.rows(conn, "alignment.kpi_trend", {"from_month": as_month(from_month), "to_month": as_month(to_month)})


def describe_correlation(value: float | None) -> str:
    """Rank correlation in words, for executives."""
    if value is None:
        return "not enough departments with data to tell"
    strength = abs(value)
    word = ("a strong" if strength >= 0.6 else "a moderate" if strength >= 0.3 else "a weak" if strength >= 0.1
            else "no clear")
    direction = "" if strength < 0.1 else (" positive" if value > 0 else " negative")
    meaning = ("departments with higher adoption tend to do better on it" if value >= 0.1 else
               "departments with higher adoption tend to do worse on it" if value <= -0.1 else
               "adoption and this KPI do not move together across departments")
    return f"{word}{direction} link (rank correlation {value:+.2f}): {meaning}"
