"""Adoption breakdowns for the Adoption and Overview pages: by org dimension, by tool, and who moved most."""
from __future__ import annotations

import duckdb

from . import named
from .metrics import ALL, Filters, as_month, min_group_or_default

DIMENSIONS = ("department", "region", "business_unit", "level")


def by_dimension(conn: duckdb.DuckDBPyConnection, dimension: str, from_month, to_month, filters: Filters = ALL,
                 min_group: int | None = None) -> list[dict]:
    """Adoption per department, region, business unit or level, per month; small groups suppressed."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    params = {"dimension": dimension, "from_month": as_month(from_month), "to_month": as_month(to_month),
              "min_group": min_group_or_default(min_group), **filters.params()}
    return named.rows(conn, "adoption.by_dimension", params)


def by_tool(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL,
            min_group: int | None = None) -> list[dict]:
    params = {"month": as_month(month), "min_group": min_group_or_default(min_group), **filters.params()}
    return named.rows(conn, "adoption.by_tool", params)


def movers(conn: duckdb.DuckDBPyConnection, month, compare_to, filters: Filters = ALL, min_group: int | None = None,
           top: int = 3) -> list[dict]:
    """The departments whose adoption moved most between two months (suppressed departments left out)."""
    now = {r["group"]: r for r in by_dimension(conn, "department", month, month, filters, min_group)}
    then = {r["group"]: r for r in by_dimension(conn, "department", compare_to, compare_to, filters, min_group)}
    moved = []
    for department, row in now.items():
        before = then.get(department)
        if row["adoption_rate"] is None or before is None or before["adoption_rate"] is None:
            continue
        moved.append({"department": department, "adoption_rate": row["adoption_rate"],
                      "previous": before["adoption_rate"], "change": row["adoption_rate"] - before["adoption_rate"]})
    moved.sort(key=lambda r: abs(r["change"]), reverse=True)
    return moved[:top]
