"""Departments as organised today (docs/metrics.md#departments-as-organised-today): today's name of every department
a roster named, from the renames recorded in departments.csv uploads; and the rename a new roster suggests."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import duckdb

from . import warehouse

# A department that disappears from a new roster is suggested as renamed when at least this share of its people
# appear under one department name the previous roster did not have (docs/formats.md#departments).
SUGGEST_SHARE = 0.5


@dataclass(frozen=True)
class Rename:
    """From `month` on, department `from_department` is called `to_department`."""

    month: dt.date
    from_department: str
    to_department: str


def today_names(renames: list[Rename]) -> list[tuple[str, dt.date | None, dt.date, str]]:
    """Rows of department_names: (department, since_month, until_month, today). A roster of a month in
    [since_month, until_month) that names `department` names the department called `today` now.

    A department named on a roster of month R is renamed by the first rename of that name after R; the new name
    holds from that rename's month, so the chase goes on with the first rename of the new name after it. Months
    only grow along a chase, so it ends, even for a name that comes back (A → B, later B → A)."""
    by_name: dict[str, list[Rename]] = {}
    for rename in sorted(renames, key=lambda r: r.month):
        by_name.setdefault(rename.from_department, []).append(rename)

    def called_today(name: str, since: dt.date) -> str:
        while True:
            following = [r for r in by_name.get(name, []) if r.month > since]
            if not following:
                return name
            name, since = following[0].to_department, following[0].month

    rows = []
    for name, chain in by_name.items():
        since = None
        for rename in chain:
            today = called_today(rename.to_department, rename.month)
            if today != name:
                rows.append((name, since, rename.month, today))
            since = rename.month
    return rows


def live_renames(conn: duckdb.DuckDBPyConnection, month: dt.date | None = None) -> list[Rename]:
    """The renames in force (live departments uploads), of one month or of all."""
    rows = conn.execute(
        "SELECT month, from_department, to_department FROM live_departments "
        "WHERE ? IS NULL OR month = ? ORDER BY month, from_department", [month, month]).fetchall()
    return [Rename(*row) for row in rows]


def named_today(conn: duckdb.DuckDBPyConnection, named: tuple[str, ...], month: dt.date) -> tuple[str, ...]:
    """Departments as named today, for departments as named in `month` (docs/metrics.md#departments-as-organised-
    today); a name never renamed stays as it is."""
    if not named:
        return ()
    rows = dict(conn.execute(
        "SELECT department, today FROM department_names WHERE (since_month IS NULL OR since_month <= ?) "
        "AND ? < until_month AND list_contains(?, department)", [month, month, list(named)]).fetchall())
    return tuple(sorted({rows.get(d, d) for d in named}))


def name_today(conn: duckdb.DuckDBPyConnection, name: str, today: tuple[str, ...]) -> str:
    """A department named without a month (a target): the name itself while it is a department today (`today`:
    every department as named today), else the name its last rename leads to."""
    if name in today:
        return name
    renamed = conn.execute("SELECT today FROM department_names WHERE department = ? ORDER BY until_month DESC "
                           "LIMIT 1", [name]).fetchone()
    return renamed[0] if renamed else name


def refresh_names(conn: duckdb.DuckDBPyConnection) -> None:
    """Derive department_names from the live renames; warehouse.refresh_rollups calls it inside the upload's or
    undo's transaction when a departments upload changed."""
    rows = today_names(live_renames(conn))
    conn.execute("DELETE FROM department_names")
    warehouse.insert_rows(conn, "department_names", rows)


@dataclass(frozen=True)
class Suggestion:
    """A department the new roster no longer has, most of whose people it lists under one new name."""

    month: dt.date
    from_department: str
    to_department: str
    share: float  # of the department's people on the previous roster

    @property
    def sentence(self) -> str:
        return (f"Record the rename {self.from_department} → {self.to_department} from {self.month:%Y-%m}? "
                f"{self.from_department} is not on this roster, and {self.share:.0%} of its people on the previous "
                f"roster are now in {self.to_department}, a department the previous roster did not have.")


def suggested_renames(conn: duckdb.DuckDBPyConnection, pending) -> list[Suggestion]:
    """For a roster upload read but not yet committed, the renames it suggests against the roster in force the month
    before each of its months: a department that disappears while at least SUGGEST_SHARE of its people appear under one
    department name that did not exist before. Renames already recorded for that month are not suggested again.
    Read-only: nothing is recorded until someone asks (record_renames)."""
    if pending.kind != "roster":
        return []
    conn.register("preview_roster", pending.rows)
    try:
        found = conn.execute("""
            WITH months AS (
                SELECT m.month, (SELECT max(s.month) FROM live_slices s WHERE s.kind = 'roster' AND s.month < m.month)
                    AS previous
                FROM (SELECT DISTINCT month FROM preview_roster) m
            ),
            old AS (SELECT m.month, r.person_key, r.department FROM months m
                    JOIN live_roster r ON r.month = m.previous),
            new AS (SELECT month, person_key, department FROM preview_roster),
            gone AS (SELECT month, department FROM old EXCEPT SELECT month, department FROM new),
            fresh AS (SELECT month, department FROM new EXCEPT SELECT month, department FROM old),
            sizes AS (SELECT month, department, count(*) AS people FROM old GROUP BY ALL),
            moved AS (
                SELECT o.month, o.department AS from_department, n.department AS to_department, count(*) AS people
                FROM old o JOIN new n ON n.month = o.month AND n.person_key = o.person_key
                WHERE (o.month, o.department) IN (SELECT * FROM gone)
                  AND (n.month, n.department) IN (SELECT * FROM fresh)
                GROUP BY ALL
            )
            SELECT m.month, m.from_department, m.to_department, m.people / s.people AS share
            FROM moved m JOIN sizes s ON s.month = m.month AND s.department = m.from_department
            WHERE m.people >= ? * s.people
            ORDER BY m.month, m.from_department, m.to_department
        """, [SUGGEST_SHARE]).fetchall()
    finally:
        conn.unregister("preview_roster")
    recorded = {(r.month, r.from_department) for r in live_renames(conn)}
    candidates = [Suggestion(month, old, new, float(share)) for month, old, new, share in found
                  if (month, old) not in recorded]
    # Half the people in each of two new departments is no rename to suggest: which one is unclear.
    return [s for s in candidates
            if sum(1 for o in candidates if (o.month, o.from_department) == (s.month, s.from_department)) == 1]


def renames_csv(renames: list[Rename]) -> bytes:
    """A departments.csv holding these renames (docs/formats.md#departments)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "from", "to"])
    for r in renames:
        writer.writerow([f"{r.month:%Y-%m}", r.from_department, r.to_department])
    return out.getvalue().encode("utf-8")


def record_renames(location: str | None, renames: list[Rename], *, actor, who: str | None = None):
    """Record renames that someone accepted, as a departments upload through the same import path as a file (so
    the ledger shows it and undo takes it back). An upload replaces the renames of the months it names, so the
    renames already in force for those months go in the same file."""
    from . import uploads, warehouse

    months = sorted({r.month for r in renames})
    with warehouse.opened(location) as conn:
        kept = [r for m in months for r in live_renames(conn, m)]
    chosen = kept + [r for r in renames if (r.month, r.from_department) not in
                     {(k.month, k.from_department) for k in kept}]
    name = f"departments-{months[0]:%Y-%m}.csv" if len(months) == 1 else "departments.csv"
    return uploads.import_file(name, renames_csv(chosen), location=location, kind="departments", actor=actor,
                               who=who)
