"""Stage checklist answers: the latest answer for each criterion as of a month, and recording new answers through
the upload ledger (so every answer has an upload id, who gave it and when, and can be undone)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace

import duckdb

from . import named, uploads, warehouse
from .access import LOCAL, Actor
from .imports import MonthNotGiven, read_upload
from .metrics import as_month

STAGE_PAGE = "stage page"


def answers_as_of(conn: duckdb.DuckDBPyConnection, month) -> dict[str, dict]:
    """{criterion: {answer, note, who, answered_at, answered_for}} holding in `month`."""
    month = as_month(month)
    return answers_by_month(conn, month, month).get(month, {})


def answers_by_month(conn: duckdb.DuckDBPyConnection, from_month, to_month) -> dict[dt.date, dict[str, dict]]:
    """{month: what answers_as_of gives for it} for every month from `from_month` to `to_month`, in one query.

    A month with no answer holding yet is left out.
    """
    found: dict[dt.date, dict[str, dict]] = {}
    params = {"from_month": as_month(from_month), "to_month": as_month(to_month)}
    for row in named.rows(conn, "checklist.answers_as_of", params):
        found.setdefault(row.pop("as_of"), {})[row.pop("criterion")] = row
    return found


def answer_csv(month, criterion: str, yes: bool, note: str = "") -> bytes:
    """One answer as the canonical checklist CSV (month,criterion,answer,note)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["month", "criterion", "answer", "note"])
    writer.writerow([as_month(month).strftime("%Y-%m"), criterion, "yes" if yes else "no", (note or "").strip()])
    return buffer.getvalue().encode("utf-8")


def answer(location_or_conn, month, criterion: str, yes: bool, note: str = "", who: str | None = None,
           actor: Actor = LOCAL):
    """Record one checklist answer for `month` (it holds from that month on), as an upload from the stage page.

    It goes through the same validation and ledger as a checklist.csv upload: an id that is not a checklist
    criterion of the rubric, or a note that starts like a spreadsheet formula, is refused with ImportRefused;
    an actor whose role may not answer the checklist gets PermissionDenied. `who` defaults to the actor's label.
    """
    month = as_month(month)
    data = answer_csv(month, criterion, yes, note)
    # A checklist holds no person ids, so no pepper is needed to pseudonymise anything.
    pending = read_upload(f"checklist {criterion} {month:%Y-%m}.csv", data, pepper="", kind="checklist")
    pending.format = replace(pending.format, source=STAGE_PAGE)
    if isinstance(location_or_conn, duckdb.DuckDBPyConnection):
        return uploads.commit(location_or_conn, pending, who=who, actor=actor, permission="answer")
    with warehouse.opened(location_or_conn) as conn:
        return uploads.commit(conn, pending, who=who, actor=actor, permission="answer")


def import_answers(location: str | None, file_name: str, data: bytes, month, who: str | None = None,
                   actor: Actor = LOCAL):
    """Import a checklist.csv. Its month column wins; a file without one answers for `month`."""
    try:
        return uploads.import_file(file_name, data, location=location, kind="checklist", who=who, actor=actor)
    except MonthNotGiven:
        pass
    return uploads.import_file(file_name, data, location=location, month=as_month(month), kind="checklist", who=who,
                               actor=actor)

