"""Headline metrics for a month (docs/metrics.md#headline-metrics), read from the scoped, suppressed source through
named SQL."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from . import named, rubric
from .imports import parse_month

METRIC_KEYS = (
    "headcount", "active", "adoption_rate", "contributors", "contribution_rate", "creators", "returning", "new",
    "leadership_participation", "responses_per_post", "active_communities", "champion_coverage",
    "champions_per_1000", "training_reach", "kpis_on_target_share",
)


@dataclass(frozen=True)
class Filters:
    """The sidebar's scope. Empty means everything. Departments are named and chosen as organised today unless
    `as_then` (docs/metrics.md#departments-as-organised-today)."""

    departments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    tool: str | None = None
    as_then: bool = False

    def params(self) -> dict:
        return {
            "departments": list(self.departments) or None,
            "regions": list(self.regions) or None,
            "units": list(self.units) or None,
            "tool": self.tool or None,
            "as_then": bool(self.as_then),
        }


ALL = Filters()


def as_month(month: str | dt.date) -> dt.date:
    return parse_month(month, "The month")


def _typed(values: dict) -> dict:
    result = {}
    for key, value in values.items():
        if value is not None and key in COUNT_KEYS:
            value = int(value)
        elif value is not None and key != "month":
            value = float(value)
        result[key] = value
    return result


COUNT_KEYS = {"headcount", "active", "contributors", "creators", "returning", "new", "lapsed", "active_communities",
              "executives", "champions"}


def min_group_or_default(min_group: int | None) -> int:
    """The minimum group size asked for, else the configured one (docs/metrics.md#minimum-group-size)."""
    return rubric.min_group_size() if min_group is None else int(min_group)


def org_months(conn: duckdb.DuckDBPyConnection, from_month, to_month, filters: Filters = ALL,
               min_group: int | None = None) -> list[dict]:
    """Headline metrics (plus lapsed, executives and champions) for every month held in a range; a month whose
    scope holds fewer than the minimum group size has every figure about people None."""
    params = {"from_month": as_month(from_month), "to_month": as_month(to_month),
              "min_group": min_group_or_default(min_group), **filters.params()}
    return [_typed(row) for row in named.rows(conn, "metrics.org_months", params)]


def org_month(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL, min_group: int | None = None) -> dict:
    """The fifteen headline metrics for one month; a metric without data is None."""
    found = org_months(conn, month, month, filters, min_group)
    values = found[0] if found else {}
    return {key: values.get(key) for key in METRIC_KEYS}


# What `python -m queries metrics` prints: the headline metrics, then lapsed (returning and new are among them).
CLI_KEYS = (*METRIC_KEYS, "lapsed")


def cli_metrics(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL,
                min_group: int | None = None) -> dict:
    """The CLI's figures for one month and scope: the figures the pages show for it (org_months), keyed CLI_KEYS."""
    found = org_months(conn, month, month, filters, min_group)
    values = found[0] if found else {}
    return {key: values.get(key) for key in CLI_KEYS}


def months(conn: duckdb.DuckDBPyConnection) -> list[dt.date]:
    return [r["month"] for r in named.rows(conn, "metrics.months")]


def latest_month(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    held = months(conn)
    return held[-1] if held else None


def shift_month(month: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before, when negative) `month`."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_status(conn: duckdb.DuckDBPyConnection, month) -> dict | None:
    found = named.rows(conn, "metrics.month_status", {"month": as_month(month)})
    return found[0] if found else None


def contribution_gaps(conn: duckdb.DuckDBPyConnection, from_month, to_month) -> list[dict]:
    """The (month, tool) pairs in a range whose activity reports no posts or replies (the older Teams export), and
    whether another tool reports them that month (docs/metrics.md#contribution-data)."""
    return named.rows(conn, "metrics.contribution_gaps", {"from_month": as_month(from_month),
                                                         "to_month": as_month(to_month)})


@dataclass
class FilterOptions:
    departments: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)


def filter_options(conn: duckdb.DuckDBPyConnection, as_then: bool = False) -> FilterOptions:
    """The departments (as organised today, or then), regions, units and tools held in any month."""
    found = named.rows(conn, "metrics.filter_options", {"as_then": bool(as_then)})
    row = found[0] if found else {}
    return FilterOptions(*(list(row.get(k) or []) for k in ("departments", "regions", "units", "tools")))


def withheld_months(conn: duckdb.DuckDBPyConnection, from_month, to_month, filters: Filters = ALL,
                    min_group: int | None = None) -> list[dt.date]:
    """The months in a range whose scope holds someone but fewer than the minimum group size."""
    params = {"from_month": as_month(from_month), "to_month": as_month(to_month),
              "min_group": min_group_or_default(min_group), **filters.params()}
    return [r["month"] for r in named.rows(conn, "metrics.withheld_months", params)]


def mobile_reach(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL,
                 min_group: int | None = None) -> float | None:
    """Share of active people who used a phone or tablet app (Viva Engage or Teams device usage) in the month.

    None when the month has no device upload. Not one of METRIC_KEYS: the CLI's JSON keys are fixed.
    """
    found = named.rows(conn, "metrics.mobile_reach", {"month": as_month(month),
                                                      "min_group": min_group_or_default(min_group),
                                                      **filters.params()})
    value = found[0]["mobile_reach"] if found else None
    return None if value is None else float(value)
