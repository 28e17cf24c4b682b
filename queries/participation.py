"""Participation (docs/metrics.md#participation): who creates, responds, observes or is inactive, who is active as a
habit, stickiness, the moves between segments and how cohorts of newcomers stay, read through named SQL."""
from __future__ import annotations

import duckdb

from . import named
from .metrics import ALL, Filters, as_month, min_group_or_default

SEGMENTS = ("creators", "responders", "observers", "inactive")
# person_month.segment values, in the order the pages show them, and how they read
SEGMENT_NAMES = {"creator": "Creators", "responder": "Responders", "observer": "Observers", "inactive": "Inactive"}
CLI_KEYS = (*SEGMENTS, "habitual", "stickiness")


def _params(from_month, to_month, filters: Filters, min_group: int | None) -> dict:
    # the tool filter does not apply: a segment describes a person across all tools
    return {"from_month": as_month(from_month), "to_month": as_month(to_month),
            "min_group": min_group_or_default(min_group), **filters.params()}


def _typed(row: dict) -> dict:
    typed = {}
    for key, value in row.items():
        if value is not None and key == "stickiness":
            value = float(value)
        elif value is not None and key != "month":
            value = int(value)
        typed[key] = value
    return typed


def segments_by_month(conn: duckdb.DuckDBPyConnection, from_month, to_month, filters: Filters = ALL,
                      min_group: int | None = None) -> list[dict]:
    """Per month held: headcount, creators, responders, observers, inactive, habitual, stickiness and active_12m;
    None where undefined or withheld."""
    return [_typed(r) for r in named.rows(conn, "participation.segments_by_month",
                                          _params(from_month, to_month, filters, min_group))]


def segments(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL, min_group: int | None = None) -> dict:
    """The CLI's figures for one month: the four segment counts, the habitual count and stickiness (a fraction)."""
    found = segments_by_month(conn, month, month, filters, min_group)
    row = found[0] if found else {}
    return {key: row.get(key) for key in CLI_KEYS}


def moves(conn: duckdb.DuckDBPyConnection, from_month, to_month, filters: Filters = ALL,
          min_group: int | None = None) -> list[dict]:
    """People by segment in the month before and in the month ({month, from_segment, to_segment, people})."""
    return [{**r, "people": int(r["people"])}
            for r in named.rows(conn, "participation.moves", _params(from_month, to_month, filters, min_group))]


def cohorts(conn: duckdb.DuckDBPyConnection, from_month, to_month, filters: Filters = ALL,
            min_group: int | None = None) -> list[dict]:
    """Each cohort of newcomers from `from_month` to `to_month` of at least the minimum group size in scope:
    {"cohort": date, "size": n, "retention": {months after: share active}}, for the later months held up to
    `to_month`."""
    found: dict = {}
    for row in named.rows(conn, "participation.cohorts", _params(from_month, to_month, filters, min_group)):
        cohort = found.setdefault(row["cohort"], {"cohort": row["cohort"], "size": int(row["size"]),
                                                  "retention": {}})
        if row["month"] is not None:
            cohort["retention"][int(row["months_after"])] = float(row["retention"])
    return list(found.values())


def moved_up_and_down(rows: list[dict]) -> tuple[int, int]:
    """(observers who became responders or creators, responders or creators who became observers) in `rows`."""
    contributing = {"responder", "creator"}
    up = sum(r["people"] for r in rows if r["from_segment"] == "observer" and r["to_segment"] in contributing)
    down = sum(r["people"] for r in rows if r["from_segment"] in contributing and r["to_segment"] == "observer")
    return up, down
