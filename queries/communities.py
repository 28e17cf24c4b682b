"""Community health for the Communities page and the CLI: each community's status (active, quiet, dormant) and its
posts and reads per member, with small communities counted but never listed (docs/metrics.md#community-health)."""
from __future__ import annotations

import datetime as dt

import duckdb

from . import named
from .metrics import as_month, min_group_or_default

STATUSES = ("active", "quiet", "dormant")


def held_months(conn: duckdb.DuckDBPyConnection, from_month, to_month, tool: str | None = None) -> list[dt.date]:
    """The months in the range that hold communities data for the tool (any tool when None)."""
    params = {"from_month": as_month(from_month), "to_month": as_month(to_month), "tool": tool or None}
    return [row["month"] for row in named.rows(conn, "communities.held_months", params)]


def by_month(conn: duckdb.DuckDBPyConnection, from_month, to_month, tool: str | None = None,
             min_group: int | None = None, detail_from=None) -> list[dict]:
    """Every community of every month in the range, with its status. A row with `listed` False is a community
    under the minimum group size (or without a member count): only its month, tool and status are given, for the
    totals. Months before `detail_from` (default: every month is in detail) come as one row per status, with
    `communities` the number of communities it stands for and nothing else but month and status."""
    params = {"from_month": as_month(from_month), "to_month": as_month(to_month), "tool": tool or None,
              "min_group": min_group_or_default(min_group),
              "detail_from": as_month(detail_from or from_month)}
    rows = named.rows(conn, "communities.by_month", params)
    for row in rows:
        row["communities"] = int(row["communities"])
        for key in ("members", "posts", "reads", "reactions", "silent_months"):
            if row[key] is not None:
                row[key] = int(row[key])
        for key in ("posts_per_member", "reads_per_member"):
            if row[key] is not None:
                row[key] = float(row[key])
    return rows


def status_counts(rows: list[dict]) -> dict[str, int]:
    """How many communities of `rows` (one month's) are active, quiet and dormant, listed or not."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        counts[row["status"]] += row.get("communities", 1)
    return counts


def listed(rows: list[dict]) -> list[dict]:
    """The communities that may be shown as rows: at least the minimum group size of members."""
    return [row for row in rows if row["listed"]]


def of_month(conn: duckdb.DuckDBPyConnection, month, tool: str | None = None,
             min_group: int | None = None) -> list[dict] | None:
    """One month's communities (as `by_month`), or None when the month holds no communities data for the tool."""
    month = as_month(month)
    if not held_months(conn, month, month, tool):
        return None
    return by_month(conn, month, month, tool, min_group)


def as_json(rows: list[dict]) -> list[dict]:
    """The listed communities as the CLI prints them: `python -m queries communities --json`."""
    return [{"tool": r["tool"], "community": r["community"], "members": r["members"], "posts": r["posts"],
             "reads": r["reads"], "reactions": r["reactions"], "status": r["status"]} for r in listed(rows)]
