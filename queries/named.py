"""Named SQL: each queries/*.sql file holds blocks headed `-- name: some_name`, asked for as 'file.some_name'."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent
_HEADER = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


@functools.cache
def _blocks(family: str) -> dict[str, str]:
    text = (SQL_DIR / f"{family}.sql").read_text()
    parts = _HEADER.split(text)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def sql(name: str) -> str:
    """The text of a named query, e.g. sql('metrics.org_month')."""
    family, _, block = name.partition(".")
    try:
        return _blocks(family)[block]
    except KeyError:
        raise KeyError(f"no query named {name!r} in queries/{family}.sql") from None


def run(conn: duckdb.DuckDBPyConnection, name: str, params: dict | None = None):
    """Execute a named query with named parameters; only the parameters the query uses are passed."""
    text = sql(name)
    used = {key: value for key, value in (params or {}).items() if f"${key}" in text}
    return conn.execute(text, used)


def rows(conn: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    """A named query's result as a list of dicts."""
    result = run(conn, name, params)
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]
