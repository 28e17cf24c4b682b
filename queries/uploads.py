"""Uploads: preview a file, commit it in one transaction, undo it, list the ledger, and keep saved column mappings.

The Data page and the command line import through the same two steps: `preview_upload` reads a file and stores
nothing, and `commit` stores what it read with its ledger row. Column mappings read HR exports as rosters."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from . import departments, erasure, identities, retention, warehouse
from .access import CLI, LOCAL, Actor, PermissionDenied, require  # noqa: F401  (PermissionDenied re-exported)
from .imports import CANONICAL_COLUMNS, STEERING_KINDS, ImportRefused, PendingUpload, read_upload
from .imports import m365
from .imports import mapping as column_mapping

PERSON_KINDS = ("activity", "champions", "training", "devices")


@dataclass
class UploadResult:
    upload_id: int
    kind: str
    source: str
    file_name: str
    months: list[str]
    tools: list[str]
    row_count: int
    replaced: list[int]
    matched: int | None
    unmapped: int | None
    concealed: int
    notes: tuple[str, ...] = ()
    linked: int = 0  # addresses whose person changed: linked to (or unlinked from) another address of a person

    def summary(self) -> str:
        what = f"{self.kind} ({self.source})"
        months = ", ".join(self.months) if len(self.months) <= 3 else (
            f"{len(self.months)} months ({self.months[0]} to {self.months[-1]})")
        line = f"{self.file_name}: imported {self.row_count} rows of {what} for {months} as upload #{self.upload_id}"
        if self.replaced:
            line += f", replacing upload(s) {', '.join('#' + str(r) for r in self.replaced)}"
        if self.unmapped:
            line += f"; {self.unmapped} people not on the roster (Unmapped)"
        if self.notes:  # what the preview said about the file (rows skipped, posts and replies missing)
            line += ". " + " ".join(self.notes)
        return line


# What one upload of a kind replaces, besides its month: the same tool, or for steering the same initiative or
# target (migration 013).
SLICE_KEYS = {"initiatives": "name", "targets": "metric || '|' || coalesce(department, '')"}
# An initiative is replaced by the next upload of its name whatever its start: a corrected start month moves it.
ANY_MONTH = ("initiatives",)


def linked_note(addresses: int, previewed: bool = False) -> str:
    """What the ledger, the preview and the CLI say about addresses that changed person (docs/metrics.md#identity)."""
    if previewed:
        return (f"links {addresses} {'address' if addresses == 1 else 'addresses'} to another address of the same "
                "person; the months that hold them will be counted again, each person once.")
    return (f"{addresses} {'address' if addresses == 1 else 'addresses'} linked to another address of the same "
            "person (or unlinked), so the months that hold them were counted again.")


# When something was stored, in UTC whatever the server's time zone: current_timestamp is a TIMESTAMPTZ, and storing
# it in a TIMESTAMP column would keep the session's local time, which the pages label UTC.
NOW_UTC = "(current_timestamp AT TIME ZONE 'UTC')"


def _next_id(conn, table: str, column: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchone()[0])


def _event(conn, upload_id: int, action: str, who: str, detail: str = "") -> None:
    conn.execute(
        f"INSERT INTO ledger_events VALUES (?, ?, ?, ?, {NOW_UTC}, ?)",
        [_next_id(conn, "ledger_events", "event_id"), upload_id, action, who, detail],
    )


def commit(conn: duckdb.DuckDBPyConnection, pending: PendingUpload, who: str | None = None,
           actor: Actor = LOCAL, permission: str = "upload") -> UploadResult:
    """Write a pending upload as one transaction: rows, slices replacing the same (kind, tool, month),
    the ledger row and events, and the rollups for the months it affects. The actor's role must allow
    `permission` (an answer given on the stage page needs "answer", any other file "upload")."""
    require(actor, _permission(pending, permission))
    who = who or actor.label
    kind = pending.kind
    def write() -> UploadResult:  # one whole transaction, run again if it loses a DuckLake write conflict
        with warehouse.transaction(conn):
            upload_id = _next_id(conn, "uploads", "upload_id")
            # Erased people never come back: their rows are dropped here, inside the transaction, and said so.
            rows, dropped = erasure.drop_erased(conn, pending.rows)
            notes = tuple(pending.notes) + ((f"Dropped {dropped} rows of erased people "
                                             "(docs/metrics.md#erasure).",) if dropped else ())
            conn.register("incoming", rows)
            if kind in PERSON_KINDS + ("roster",):  # a month whose person rows expired cannot be recounted
                retention.refuse_expired(conn, [r[0] for r in conn.execute("SELECT DISTINCT month FROM incoming")
                                                .fetchall()], pending.file_name)
            columns = ", ".join(CANONICAL_COLUMNS[kind])
            if kind == "checklist":
                conn.execute(f"INSERT INTO checklist SELECT ?, {columns}, ?, {NOW_UTC} FROM incoming",
                             [upload_id, who])
            else:
                conn.execute(f"INSERT INTO {kind} (upload_id, {columns}) SELECT ?, {columns} FROM incoming",
                             [upload_id])
            tool = SLICE_KEYS.get(kind, "tool" if "tool" in CANONICAL_COLUMNS[kind] else "''")
            slices = conn.execute(
                f"SELECT {tool} AS tool, month, count(*) FROM incoming GROUP BY ALL ORDER BY month, tool"
            ).fetchall()
            replaced = []
            if kind != "checklist":  # checklist answers accumulate; the latest answer per criterion counts
                replaced = [r[0] for r in conn.execute(
                    "SELECT DISTINCT s.upload_id FROM upload_slices s JOIN (SELECT DISTINCT "
                    f"{tool} AS tool, month FROM incoming) i ON s.tool = i.tool AND (? OR s.month = i.month) "
                    "WHERE s.kind = ? AND s.state = 'active' ORDER BY 1", [kind in ANY_MONTH, kind]).fetchall()]
                conn.execute(
                    f"UPDATE upload_slices SET state = 'replaced' FROM (SELECT DISTINCT {tool} AS tool, month "
                    "FROM incoming) i WHERE upload_slices.kind = ? AND upload_slices.state = 'active' "
                    "AND upload_slices.tool = i.tool AND (? OR upload_slices.month = i.month)",
                    [kind, kind in ANY_MONTH])
            warehouse.insert_rows(conn, "upload_slices", [(upload_id, kind, t, m, "active", n) for t, m, n in slices])
            _settle_statuses(conn, replaced)
            for old in replaced:
                _event(conn, old, "replaced", who, f"by upload #{upload_id}")
            conn.execute(
                "INSERT INTO uploads (upload_id, kind, source, file_name, sha256, months, row_count, matched, "
                "unmapped, uploaded_by, uploaded_at, status) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, {NOW_UTC}, 'active')",
                [upload_id, kind, pending.source, pending.file_name, pending.sha256, ",".join(pending.month_labels()),
                 rows.num_rows, who],
            )
            if notes:  # what the preview said about the file, for the ledger (migration 007)
                conn.execute("UPDATE uploads SET notes = ? WHERE upload_id = ?", [" ".join(notes), upload_id])
            try:
                linked = warehouse.refresh_rollups(conn)
            except identities.Conflict as conflict:
                raise ImportRefused(identities.conflict_message(conflict.conflicts, pending.file_name, pending.rows,
                                                                pending.file_rows)) from None
            matched = unmapped = None
            if kind in PERSON_KINDS:
                # each address counted under its person (docs/metrics.md#identity), as the rollups count it
                matched, unmapped = conn.execute(
                    "WITH people AS (SELECT DISTINCT i.month, coalesce(a.canonical_key, i.person_key) AS person_key "
                    f"FROM incoming i LEFT JOIN {identities.alias_table()} a ON a.person_key = i.person_key) "
                    "SELECT count(DISTINCT i.person_key) FILTER (WHERE pm.person_key IS NOT NULL), "
                    "count(DISTINCT i.person_key) FILTER (WHERE pm.person_key IS NULL) FROM people i "
                    "LEFT JOIN person_month pm ON pm.month = i.month AND pm.person_key = i.person_key"
                ).fetchone()
                conn.execute("UPDATE uploads SET matched = ?, unmapped = ? WHERE upload_id = ?",
                             [matched, unmapped, upload_id])
            _event(conn, upload_id, "uploaded", who, pending.file_name)
            conn.unregister("incoming")
        notes = notes + ((linked_note(linked),) if linked else ())
        return UploadResult(upload_id, kind, pending.source, pending.file_name, pending.month_labels(), pending.tools,
                            rows.num_rows, replaced, matched, unmapped, pending.concealed_rows, notes, linked)

    with warehouse.WRITE_LOCK:
        return warehouse.retrying(write)


def preview_coverage(conn: duckdb.DuckDBPyConnection, pending: PendingUpload) -> dict:
    """Join coverage of a pending upload (read, not yet committed), read-only: the distinct people in its rows found
    (`matched`) or not found (`unmapped`) on the roster that applies to each of its months (the latest active
    roster upload of that month or earlier), and how many of them are M365 concealed ids (`concealed`).

    Counted the way `commit` fills the ledger. Kinds without people (roster, communities, KPIs, checklist)
    give None for matched and unmapped. `linked`: the addresses the file would link to another address of the same
    person (docs/metrics.md#identity).
    """
    names = pending.rows.column_names
    linked = identities.preview_linked(conn, pending.rows)
    if pending.kind not in PERSON_KINDS or "person_key" not in names:
        return {"matched": None, "unmapped": None, "concealed": 0, "linked": linked}
    conn.register("preview_rows", pending.rows)
    try:
        concealed = "i.concealed" if "concealed" in names else "false"
        matched, unmapped, hidden = conn.execute(
            "WITH months AS (SELECT DISTINCT month FROM preview_rows), "
            "roster_months AS (SELECT m.month, (SELECT max(s.month) FROM live_slices s WHERE s.kind = 'roster' "
            "AND s.month <= m.month) AS roster_month FROM months m), "
            "found AS (SELECT DISTINCT rm.month, r.person_key FROM roster_months rm "
            "JOIN live_roster r ON r.month = rm.roster_month), "
            # each address counted under its person, as the roster's rows are (docs/metrics.md#identity)
            f"people AS (SELECT i.month, coalesce(a.canonical_key, i.person_key) AS person_key, {concealed} AS hidden "
            "FROM preview_rows i LEFT JOIN person_alias a ON a.person_key = i.person_key) "
            "SELECT count(DISTINCT i.person_key) FILTER (WHERE f.person_key IS NOT NULL), "
            "count(DISTINCT i.person_key) FILTER (WHERE f.person_key IS NULL), "
            "count(DISTINCT i.person_key) FILTER (WHERE hidden) "
            "FROM people i LEFT JOIN found f ON f.month = i.month AND f.person_key = i.person_key"
        ).fetchone()
    finally:
        conn.unregister("preview_rows")
    if "concealed" not in names:  # device usage keeps no concealed flag per row; the file-level count stands in
        hidden = pending.concealed_rows
    return {"matched": int(matched), "unmapped": int(unmapped), "concealed": int(hidden), "linked": linked}


def _settle_statuses(conn, upload_ids: list[int]) -> None:
    """An upload is 'replaced' once none of its slices is active, and 'active' again when one is restored."""
    for upload_id in upload_ids:
        conn.execute(
            "UPDATE uploads SET status = CASE WHEN EXISTS (SELECT 1 FROM upload_slices s WHERE s.upload_id = ? "
            "AND s.state = 'active') THEN 'active' ELSE 'replaced' END WHERE upload_id = ? AND status <> 'undone'",
            [upload_id, upload_id])


def undo(conn: duckdb.DuckDBPyConnection, upload_id: int, who: str | None = None, actor: Actor = LOCAL) -> list[int]:
    """Take an upload back out. Where it had replaced earlier data, that earlier data comes back.
    Returns the ids of the uploads restored. Only admins may undo."""
    require(actor, "undo")
    who = who or actor.label
    def write() -> list[int]:
        with warehouse.transaction(conn):
            row = conn.execute("SELECT kind, status FROM uploads WHERE upload_id = ?", [upload_id]).fetchone()
            if row is None:
                raise ImportRefused(f"There is no upload #{upload_id}.")
            kind, status = row
            if status == "undone":
                raise ImportRefused(f"Upload #{upload_id} was already undone.")
            active = conn.execute(
                "SELECT tool, month FROM upload_slices WHERE upload_id = ? AND state = 'active'", [upload_id]
            ).fetchall()
            if kind in PERSON_KINDS + ("roster",):
                retention.refuse_expired(conn, [month for _, month in active], f"Undoing upload #{upload_id}")
            restored = set()
            for tool, month in active:
                previous = conn.execute(
                    "SELECT max(s.upload_id) FROM upload_slices s JOIN uploads u USING (upload_id) WHERE s.kind = ? "
                    "AND s.tool = ? AND (? OR s.month = ?) AND s.state = 'replaced' AND s.upload_id < ? "
                    "AND u.status <> 'undone'", [kind, tool, kind in ANY_MONTH, month, upload_id]).fetchone()[0]
                if previous is not None and kind != "checklist":
                    conn.execute("UPDATE upload_slices SET state = 'active' WHERE upload_id = ? AND kind = ? "
                                 "AND tool = ? AND (? OR month = ?)", [previous, kind, tool, kind in ANY_MONTH,
                                                                       month])
                    restored.add(previous)
            conn.execute("UPDATE upload_slices SET state = 'undone' WHERE upload_id = ?", [upload_id])
            conn.execute("UPDATE uploads SET status = 'undone' WHERE upload_id = ?", [upload_id])
            _settle_statuses(conn, sorted(restored))
            _event(conn, upload_id, "undone", who)
            for previous in sorted(restored):
                _event(conn, previous, "restored", who, f"after undo of upload #{upload_id}")
            try:
                warehouse.refresh_rollups(conn)
            except identities.Conflict as conflict:
                raise ImportRefused(f"Upload #{upload_id} was not undone: the uploads it would bring back give one "
                                    f"person two ids. {conflict}") from None
        return sorted(restored)

    with warehouse.WRITE_LOCK:
        return warehouse.retrying(write)


@dataclass
class UploadPreview:
    """One uploaded file as the Data page shows it before anything is stored: read and ready to commit, or refused;
    the saved column mappings offered for it; its join coverage, notes and the department renames it suggests."""

    file_name: str
    pending: PendingUpload | None  # what `commit` stores on the confirm; None when the file is refused
    refused: ImportRefused | None = None
    offer: column_mapping.MappingOffer | None = None  # None when a mapping has no part in reading the file
    mapping: column_mapping.ColumnMapping | None = None  # the saved mapping the file was read with
    coverage: dict | None = None  # preview_coverage, when the preview was asked for it
    renames: tuple = ()  # departments.Suggestion: offered, never applied

    @property
    def invites_mapping(self) -> bool:
        """Refused only because no format reads a file that looks like an HR roster: map its columns instead."""
        return self.refused is not None and self.offer is not None and self.mapping is None \
            and self.offer.invites_mapping(self.refused)

    @property
    def refusal(self) -> str | None:
        """Why the file was refused, as the Data page says it."""
        if self.refused is None:
            return None
        return self.offer.refusal(self.refused) if self.offer is not None and self.mapping is None \
            else str(self.refused)

    def command_line_refusal(self) -> ImportRefused:
        """Why the file was refused, as the command line says it: an HR export no saved mapping reads is told to map
        its columns on the Data page."""
        if self.offer is not None and self.mapping is None and self.offer.roster_like:
            return ImportRefused(f"{self.refused} {column_mapping.MAP_IT}")
        return self.refused

    @property
    def notes(self) -> list[str]:
        """What reading the file left out or derived (rows skipped, levels from job titles)."""
        return list(self.pending.notes) if self.pending is not None else []

    @property
    def linked_note(self) -> str | None:
        if not self.coverage or not self.coverage["linked"]:
            return None
        return linked_note(self.coverage["linked"], previewed=True)

    @property
    def unmatched_note(self) -> str | None:
        """The people the roster does not list, and why when their Microsoft 365 ids are concealed."""
        coverage = self.coverage
        if not coverage or not (coverage["unmapped"] or coverage["concealed"]):
            return None
        people = coverage["unmapped"] or coverage["concealed"]
        note = (f"{people} {'person' if people == 1 else 'people'} in this file could not be matched to the roster; "
                "they are imported and counted as Unmapped.")
        if coverage["concealed"] and m365.is_m365(self.pending.format):
            note += (f" {coverage['concealed']} of them {'has' if coverage['concealed'] == 1 else 'have'} a "
                     "concealed Microsoft 365 id (a 32-character code instead of a user name). To turn off "
                     f"concealment: {m365.CONCEALMENT_PATH}, then export the report again.")
        elif coverage["unmapped"]:
            note += " Check that the roster for this month lists them (contractors and joiners often are not)."
        return note


def _permission(pending: PendingUpload, permission: str = "upload") -> str:
    """What storing the file needs: targets are an admin's to set (docs/metrics.md#targets)."""
    return "target" if pending.kind == "targets" else permission


def preview_upload(file_name: str, data: bytes, *, location: str | None = None, month=None, kind: str | None = None,
                   allow_period: bool = False, mapping: str | None = None,
                   choose: Callable[[column_mapping.MappingOffer], column_mapping.ColumnMapping | None] | None = None,
                   saved: list[column_mapping.ColumnMapping] | None = None,
                   with_coverage: bool = True, actor: Actor | None = None) -> UploadPreview:
    """Read a file for import without storing anything: what the Data page shows, and what `commit` then stores.

    A saved column mapping reads the file (docs/formats.md#other-hr-exports) when `mapping` names it; otherwise
    only when the file does not import as it is. Then `choose` (the Data page's choice, given the offer) picks it,
    or without `choose` the one mapping saved for the file's very header, if exactly one was. `saved` is the saved
    mappings when the caller holds them already. A mapping that is named but not saved, or several saved for one
    header, is refused (ImportRefused); a refused file comes back as `refused`, and so does a file `actor` may not
    store (targets are an admin's). `with_coverage` reads the warehouse for the join coverage and the renames the
    file suggests."""
    location = warehouse.resolve_location(location)
    pepper = warehouse.pepper_for(location)

    def saved_mappings_now() -> list[column_mapping.ColumnMapping]:
        nonlocal saved
        if saved is None:
            with warehouse.opened(location) as conn:
                saved = saved_mappings(conn)
        return saved

    def read(chosen: column_mapping.ColumnMapping | None) -> tuple[PendingUpload | None, ImportRefused | None]:
        try:
            return read_upload(file_name, data, pepper=pepper, month=month, kind=kind, allow_period=allow_period,
                               mapping=chosen), None
        except ImportRefused as refused:
            return None, refused

    offer = chosen = None
    if mapping is not None:
        chosen = column_mapping.for_import(file_name, data, saved_mappings_now(), name=mapping, kind=kind)
        pending, refused = read(chosen)
    else:
        pending, refused = read(None)
        # Without a form to choose on, a saved mapping is sought only for a file that does not import as it is.
        if kind in (None, "roster") and (choose is not None or pending is None):
            offer = column_mapping.offer(file_name, data, saved_mappings_now(), kind,
                                         read_without_mapping=pending is not None)
        if offer is not None:
            chosen = choose(offer) if choose is not None else \
                column_mapping.for_import(file_name, data, saved_mappings_now(), name=None, kind=kind)
        if chosen is not None:
            pending, refused = read(chosen)
    if pending is not None and actor is not None and not actor.may(_permission(pending)):
        pending, refused = None, ImportRefused(f"{file_name}: only an admin may set targets. Ask an admin to upload "
                                               "this file; nothing was stored.")
    preview = UploadPreview(file_name, pending, refused, offer, chosen)
    if pending is not None and with_coverage:
        with warehouse.opened(location) as conn:  # read-only: nothing is stored before the confirm
            preview.coverage = preview_coverage(conn, pending)
            preview.renames = tuple(departments.suggested_renames(conn, pending))
    return preview


def import_file(file_name: str, data: bytes, *, location: str | None = None, month=None, kind: str | None = None,
                who: str | None = None, allow_period: bool = False, actor: Actor = LOCAL,
                mapping: str | None = None) -> UploadResult:
    """Import a file without a form (the command line, the demo, the checklist): preview it as the Data page does,
    then commit it in one transaction. A refused file raises ImportRefused."""
    require(actor, "upload")
    location = warehouse.resolve_location(location)
    preview = preview_upload(file_name, data, location=location, month=month, kind=kind, allow_period=allow_period,
                             mapping=mapping, with_coverage=False, actor=actor)
    if preview.refused is not None:
        raise preview.command_line_refusal() from None
    with warehouse.opened(location) as conn:
        return commit(conn, preview.pending, who, actor)


def ledger(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every upload, newest first."""
    result = conn.execute(
        "SELECT upload_id, kind, source, file_name, months, row_count, matched, unmapped, uploaded_by, "
        "strftime(uploaded_at, '%Y-%m-%d %H:%M:%S') AS uploaded_at, status, notes, sha256 FROM uploads "
        "ORDER BY upload_id DESC")
    columns = [c[0] for c in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def events(conn: duckdb.DuckDBPyConnection) -> list[dict]:
    """The audit trail: who uploaded, replaced, undid or restored what, and when."""
    result = conn.execute(
        "SELECT event_id, upload_id, action, who, strftime(happened_at, '%Y-%m-%d %H:%M:%S') AS happened_at, detail "
        "FROM ledger_events ORDER BY event_id DESC")
    columns = [c[0] for c in result.description]
    return [dict(zip(columns, row)) for row in result.fetchall()]


def latest_refresh(conn: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    # Saving a column mapping, sending the digest, or recording an initiative or a target changes no figure, so
    # none of them counts as a refresh of the data.
    return conn.execute("SELECT max(e.happened_at) FROM ledger_events e LEFT JOIN uploads u USING (upload_id) "
                        "WHERE e.action NOT IN (?, ?) AND NOT list_contains(?, coalesce(u.kind, ''))",
                        [MAPPING_SAVED, DIGEST_SENT, list(STEERING_KINDS)]).fetchone()[0]


# --- Column mappings of HR exports (docs/formats.md#other-hr-exports) ----------------------------------------------

MAPPING_SAVED = "mapping saved"
DIGEST_SENT = "digest sent"  # written by queries/digest.sql, one event per recipient
# Saving a mapping reads the whole file with it first; the month a roster counts for has no bearing on that.
_ANY_MONTH = "2000-01"


def saved_mappings(conn: duckdb.DuckDBPyConnection) -> list[column_mapping.ColumnMapping]:
    """Every saved column mapping, by name."""
    rows = conn.execute("SELECT name, signature, headers, columns, saved_by, strftime(saved_at, '%Y-%m-%d %H:%M:%S') "
                        "FROM column_mappings ORDER BY lower(name)").fetchall()
    return [column_mapping.ColumnMapping.stored(*row) for row in rows]


def save_mapping(conn: duckdb.DuckDBPyConnection, mapping: column_mapping.ColumnMapping, file_name: str,
                 data: bytes, *, pepper: str, actor: Actor = LOCAL) -> str:
    """Save a column mapping once it reads every row of the file it was made for, replacing a mapping of the same
    name, and record who saved it in the audit trail. Returns a sentence for the champion; a mapping that cannot
    read the file is refused (ImportRefused) and nothing is saved."""
    require(actor, "upload")
    name = column_mapping.check_name(mapping.name)
    headers = column_mapping.read_headers(file_name, data)
    reader = column_mapping.built_in_reader(file_name, headers, "roster")
    if reader is not None:
        raise ImportRefused(f"{file_name} is read as a {reader.source} without a mapping; upload it with Kind roster "
                            "(or detected), and no mapping is saved.")
    mapping = dataclasses.replace(mapping, name=name, signature=column_mapping.header_signature(headers),
                                  headers=tuple(headers), saved_by=None, saved_at=None)
    read_upload(file_name, data, pepper=pepper, month=_ANY_MONTH, mapping=mapping)
    detail = f"\"{name}\": {mapping.describe()}"

    def write() -> bool:
        with warehouse.transaction(conn):
            replaced = conn.execute("SELECT count(*) FROM column_mappings WHERE lower(name) = lower(?)",
                                    [name]).fetchone()[0] > 0
            conn.execute("DELETE FROM column_mappings WHERE lower(name) = lower(?)", [name])
            conn.execute(f"INSERT INTO column_mappings VALUES (?, ?, ?, ?, ?, {NOW_UTC})",
                         [name, mapping.signature, mapping.headers_json(), mapping.columns_json(), actor.label])
            _event(conn, None, MAPPING_SAVED, actor.label, detail + (" (replacing the earlier mapping of that name)"
                                                                     if replaced else ""))
        return replaced

    with warehouse.WRITE_LOCK:
        replaced = warehouse.retrying(write)
    return (f"Column mapping \"{name}\" saved{' (it replaces the earlier one of that name)' if replaced else ''}: "
            f"{mapping.describe()}. Files with the same columns are offered it from now on.")
