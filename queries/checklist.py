"""Stage checklist answers: the latest answer for each criterion as of a month."""
from __future__ import annotations

import duckdb

from . import named
from .metrics import as_month


def answers_as_of(conn: duckdb.DuckDBPyConnection, month) -> dict[str, dict]:
    """{criterion: {answer, note, who, answered_at, answered_for}} holding in `month`."""
    return {row.pop("criterion"): row for row in named.rows(conn, "checklist.answers_as_of", {"month": as_month(month)})}
