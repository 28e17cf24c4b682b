"""CoE reach for the CoE page: champions by department, the champion lift and the CoE-pitfall signal."""
from __future__ import annotations

import duckdb

from . import named
from .metrics import ALL, Filters, as_month, min_group_or_default


def departments(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL, min_group: int | None = None) -> list[dict]:
    params = {"month": as_month(month), "min_group": min_group_or_default(min_group), **filters.params()}
    return named.rows(conn, "coe.departments", params)


def lift(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL, min_group: int | None = None) -> dict | None:
    params = {"month": as_month(month), "min_group": min_group_or_default(min_group), **filters.params()}
    found = named.rows(conn, "coe.lift", params)
    return found[0] if found else None


def champion_content_share(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL,
                           min_group: int | None = None) -> float | None:
    """Share of all posts and replies written by champions: the CoE-pitfall signal."""
    params = {"month": as_month(month), "min_group": min_group_or_default(min_group), **filters.params()}
    found = named.rows(conn, "coe.champion_content_share", params)
    value = found[0]["share"] if found else None
    return None if value is None else float(value)
