"""The retention window of person-level rows (docs/metrics.md#retention): rows of months more than N months before
the latest month held are deleted (and their bytes removed, storage.purge); the rollups keep every month's figures.

The first month still held is kept in meta ('person_rows_from'), so that an upload or undo that would need expired
person rows is refused, and a rollup refresh never recounts an expired month from the rows it no longer has.
"""
from __future__ import annotations

import datetime as dt

import duckdb

from . import erasure, warehouse
from .imports import ImportRefused

SETTING = "DASHBOARD_RETENTION_MONTHS"
KEY = "person_rows_from"
EXPIRED = "expired"  # the ledger_events action


def setting(section: dict | None, environ) -> int | None:
    """The retention in months: DASHBOARD_RETENTION_MONTHS, else [retention] person_months; None: no limit."""
    raw = environ.get(SETTING) or (section or {}).get("person_months")
    if raw in (None, ""):
        return None
    try:
        months = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"The retention ({SETTING} or [retention] person_months) must be a whole number of "
                         f"months, not {raw!r}.") from None
    if months < 1:
        raise ValueError(f"The retention ({SETTING} or [retention] person_months) must be at least 1 month.")
    return months


def held_from(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The first month whose person-level rows are still held, once any expired; None when none ever did."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [KEY]).fetchone()
    return dt.date.fromisoformat(row[0]) if row else None


def oldest_person_month(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The oldest month held per person (the Data page shows it beside the retention in force)."""
    return conn.execute("SELECT min(month) FROM person_month").fetchone()[0]


def _months_before(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def refuse_expired(conn: duckdb.DuckDBPyConnection, months, what: str) -> None:
    """Refuse a change to months whose person rows have expired: their rollups could not be recounted."""
    start = held_from(conn)
    old = sorted(m for m in months if m is not None and start is not None and m < start)
    if old:
        raise ImportRefused(
            f"{what} touches {old[0]:%Y-%m}, and person-level rows before {start:%Y-%m} have expired under the "
            "retention window, so its figures could not be recounted. Its figures are kept as they were; to change "
            "them, restore a backup from before the expiry into a new warehouse (docs/deploy.md#backup-and-restore).")


def person_month_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The person tables with a month column: the rows the window applies to."""
    tables = []
    for table, _ in erasure.person_tables(conn):
        if conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'main' AND "
                        "table_catalog = current_database() AND table_name = ? AND column_name = 'month'",
                        [table]).fetchone()[0]:
            tables.append(table)
    return tables


def expire(conn: duckdb.DuckDBPyConnection, months: int, who: str = "cli") -> tuple[dt.date | None, dict[str, int]]:
    """Delete the person-level rows of months more than `months` before the latest month held, in one transaction,
    and record it in the audit trail. Returns the first month kept and the rows removed per table."""

    def write():
        with warehouse.transaction(conn):
            latest = conn.execute("SELECT max(month) FROM month_status").fetchone()[0]
            if latest is None:
                return None, {}
            start = _months_before(latest, months)
            before = held_from(conn)
            removed = {}
            # A roster or champion register counts for the months after it until the next one: the one a kept month
            # reads is kept with it, so a later rebuild of that month still finds its people.
            carried = {kind: conn.execute(f"SELECT least(?, min({kind}_month)) FROM month_status WHERE month >= ?",
                                          [start, start]).fetchone()[0] for kind in ("roster", "champions")}
            for table in person_month_tables(conn):
                threshold = carried.get(table) or start
                count = conn.execute(f"DELETE FROM {table} WHERE month < ?", [threshold]).fetchone()[0]
                if count:
                    removed[table] = int(count)
            # A person's first active month is kept while any month of theirs is held; then it goes with them.
            count = conn.execute("DELETE FROM first_active WHERE person_key NOT IN "
                                 "(SELECT person_key FROM person_month)").fetchone()[0]
            if count:
                removed["first_active"] = int(count)
            if before is None or start > before:
                conn.execute("DELETE FROM meta WHERE key = ?", [KEY])
                conn.execute("INSERT INTO meta VALUES (?, ?)", [KEY, start.isoformat()])
            if removed:
                erasure._audit(conn, who, f"person rows before {start:%Y-%m}: {sum(removed.values())} rows",
                               action=EXPIRED)
            return start, removed

    with warehouse.WRITE_LOCK:
        return warehouse.retrying(write)
