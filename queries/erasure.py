"""Erasing people (GDPR Art. 17): which keys an e-mail stands for, every person-level row of them in every table, the
erasure list that keeps them out of later imports and restores, and the audit line (docs/metrics.md#erasure).

Removing the rows is half of it; storage.purge then removes their bytes from the file or the DuckLake data path.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from . import identities, warehouse
from .access import Actor, require
from .imports import person_key_sql

# Every column that holds a person's pseudonymous id, in any table, now or later: person_key on the canonical and
# per-person rollup tables; identity_key and identity_changes' old_key / new_key where the schema has them. Tables
# are found by these names at run time (person_tables), so a table a later migration adds is covered unasked.
PERSON_KEY_COLUMNS = ("person_key", "old_key", "new_key", "identity_key")
ERASED = "erased"  # the ledger_events action
LIST = "erased_people"


class UnknownPerson(ValueError):
    """An e-mail given for erasure matches no row held and no earlier erasure: nothing was changed."""


def person_key(conn: duckdb.DuckDBPyConnection, email: str, pepper: str) -> str:
    """The person key of an e-mail, computed exactly as the imports compute it (queries/imports: read_upload)."""
    return conn.execute(f"SELECT {person_key_sql('$email')}", {"pepper": pepper, "email": email}).fetchone()[0]


def keys_of(conn: duckdb.DuckDBPyConnection, emails, pepper: str) -> dict[str, set[str]]:
    """Every key each e-mail stands for: its own person key, every address linked to it and the ids seen beside
    them (docs/metrics.md#identity), so erasing any one address erases the person. The one place that says whose
    rows an erasure removes."""
    return {email: identities.person_keys(conn, person_key(conn, email, pepper)) for email in emails}


def digest_sql(expression: str) -> str:
    """SQL for the erasure-list entry of a key: a one-way hash, so the list never holds the key itself."""
    return f"sha256('erased:' || {expression})"


def person_tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, tuple[str, ...]]]:
    """Every base table that holds people, with its person-key columns, from the schema as it is now."""
    names = ", ".join(f"'{c}'" for c in PERSON_KEY_COLUMNS)
    rows = conn.execute(
        "SELECT c.table_name, list(c.column_name ORDER BY c.ordinal_position) FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name WHERE t.table_type = 'BASE TABLE' AND c.table_schema = 'main' "
        f"AND c.table_catalog = current_database() AND c.column_name IN ({names}) "
        "GROUP BY c.table_name ORDER BY c.table_name").fetchall()
    return [(table, tuple(columns)) for table, columns in rows]


def _any_of(columns, placeholder: str) -> str:
    return " OR ".join(f"{c} IN (SELECT key FROM {placeholder})" for c in columns)


def remove_rows(conn: duckdb.DuckDBPyConnection, keys) -> dict[str, int]:
    """Delete every row holding one of `keys` in any person-key column of any table; rows removed per table.
    Call it inside a write transaction."""
    conn.execute("CREATE OR REPLACE TEMP TABLE erasure_keys (key VARCHAR)")
    conn.executemany("INSERT INTO erasure_keys VALUES (?)", [[k] for k in sorted(keys)])
    removed = {}
    try:
        for table, columns in person_tables(conn):
            count = conn.execute(f"DELETE FROM {table} WHERE {_any_of(columns, 'erasure_keys')}").fetchone()[0]
            if count:
                removed[table] = int(count)
    finally:
        conn.execute("DROP TABLE erasure_keys")
    return removed


def _held(conn, keys) -> bool:
    conn.execute("CREATE OR REPLACE TEMP TABLE erasure_probe (key VARCHAR)")
    conn.executemany("INSERT INTO erasure_probe VALUES (?)", [[k] for k in sorted(keys)])
    try:
        return any(conn.execute(f"SELECT count(*) FROM {table} WHERE {_any_of(columns, 'erasure_probe')}")
                   .fetchone()[0] for table, columns in person_tables(conn))
    finally:
        conn.execute("DROP TABLE erasure_probe")


def _listed(conn, keys) -> bool:
    return all(conn.execute(f"SELECT count(*) FROM {LIST} WHERE digest = {digest_sql('?')}", [k]).fetchone()[0]
               for k in keys)


@dataclass
class Erasure:
    people: int  # the e-mails given
    already: int  # of them, erased before and holding no rows
    removed: dict[str, int] = field(default_factory=dict)  # rows removed per table
    purge: str = ""  # what storage.purge did

    def lines(self) -> list[str]:
        out = [f"Erased {self.people} {'person' if self.people == 1 else 'people'}"
               + (f" ({self.already} already erased before)" if self.already else "") + "."]
        if self.removed:
            out += [f"  {table:20} {count:>8,} " + ("audit labels blanked" if table == "labels" else "rows removed")
                    for table, count in sorted(self.removed.items())]
        else:
            out.append("  No rows held them any more.")
        out.append("Rollups (anonymous counts) are kept as they were (docs/metrics.md#erasure).")
        if self.purge:
            out.append(self.purge)
        return out


def erase(conn: duckdb.DuckDBPyConnection, emails, pepper: str, actor: Actor) -> Erasure:
    """Remove every person-level row of these people in one transaction, add them to the erasure list and record
    the erasure in the audit trail (who, how many people, when; never an id). An e-mail that matches nothing held
    and was never erased refuses the whole erasure (UnknownPerson). The bytes stay until storage.purge runs."""
    require(actor, "erase")
    emails = [e for e in dict.fromkeys(e.strip() for e in emails) if e]
    if not emails:
        raise UnknownPerson("Name at least one e-mail to erase.")

    def write() -> Erasure:
        with warehouse.transaction(conn):
            found = keys_of(conn, emails, pepper)
            already = 0
            for email, keys in found.items():
                if not _held(conn, keys):
                    if _listed(conn, keys):
                        already += 1
                        continue
                    raise UnknownPerson(f"No row of any table holds {email}: nothing was erased. Check the "
                                        "spelling (any e-mail or UPN the exports used works).")
            every = set().union(*found.values())
            removed = remove_rows(conn, every)
            for key in sorted(every):
                conn.execute(f"INSERT INTO {LIST} SELECT {digest_sql('$1')}, $2, {_NOW} WHERE NOT EXISTS "
                             f"(SELECT 1 FROM {LIST} WHERE digest = {digest_sql('$1')})", [key, label_digest(key)])
            labels = scrub_labels(conn)
            if labels:
                removed["labels"] = labels
            _audit(conn, actor.label, f"{len(emails)} {'person' if len(emails) == 1 else 'people'}, "
                                      f"{sum(n for t, n in removed.items() if t != 'labels')} rows")
        return Erasure(len(emails), already, removed)

    with warehouse.WRITE_LOCK:
        return warehouse.retrying(write)


_NOW = "(current_timestamp AT TIME ZONE 'UTC')"


def _audit(conn, who: str, detail: str, action: str = ERASED) -> None:
    event_id = conn.execute("SELECT coalesce(max(event_id), 0) + 1 FROM ledger_events").fetchone()[0]
    conn.execute(f"INSERT INTO ledger_events VALUES (?, NULL, ?, ?, {_NOW}, ?)", [event_id, action, who, detail])


LABEL_LENGTH = 10  # access.label_for and digest.recipient_key name people by the first 10 characters of their key
_TOKEN = f"[0-9a-f]{{{LABEL_LENGTH}}}"


def label_digest(key: str) -> str:
    return hashlib.sha256(f"erased label:{key[:LABEL_LENGTH]}".encode()).hexdigest()


def scrub_labels(conn: duckdb.DuckDBPyConnection) -> int:
    """Blank the short hash of every erased person in the text columns of the tables that are not person tables
    (the audit trail's `who`, the ledger's `uploaded_by`, checklist answers, saved mappings, digest deliveries):
    "admin 3f9a0c12de" becomes "admin erased". Returns the values changed. Call it inside a write transaction."""
    listed = {r[0] for r in conn.execute(f"SELECT label_digest FROM {LIST} WHERE label_digest IS NOT NULL").fetchall()}
    if not listed:
        return 0
    skip = {table for table, _ in person_tables(conn)} | {LIST}
    columns = conn.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE t.table_type = 'BASE TABLE' AND c.table_schema = 'main' AND c.table_catalog = current_database() "
        "AND c.data_type = 'VARCHAR' ORDER BY 1, 2").fetchall()
    changed = 0
    for table, column in columns:
        if table in skip:
            continue
        tokens = conn.execute(f"SELECT DISTINCT unnest(regexp_extract_all({column}, '{_TOKEN}')) FROM {table}").fetchall()
        for (token,) in tokens:
            if token and label_digest(token) in listed:
                changed += int(conn.execute(f"UPDATE {table} SET {column} = replace({column}, ?, 'erased') "
                                            f"WHERE contains({column}, ?)", [token, token]).fetchone()[0])
    return changed


def drop_erased(conn: duckdb.DuckDBPyConnection, rows: pa.Table) -> tuple[pa.Table, int]:
    """The rows of an import without those of erased people, and how many were dropped. Call it inside the
    import's transaction, so an erasure committed meanwhile is seen."""
    columns = [c for c in PERSON_KEY_COLUMNS if c in rows.column_names]
    # The list exists from migration 012 on, and imports run on a migrated warehouse.
    if not columns or not conn.execute(f"SELECT count(*) FROM {LIST}").fetchone()[0]:
        return rows, 0
    conn.register("erasure_incoming", rows)
    try:
        erased = " OR ".join(f"{digest_sql(c)} IN (SELECT digest FROM {LIST})" for c in columns)
        kept = conn.execute(f"SELECT * FROM erasure_incoming WHERE NOT coalesce({erased}, false)").fetch_arrow_table()
    finally:
        conn.unregister("erasure_incoming")
    return kept, rows.num_rows - kept.num_rows


def reapply(conn: duckdb.DuckDBPyConnection, entries) -> dict[str, int]:
    """Make sure these erasure-list entries (digest, label_digest) are listed, and that no row or label of anyone
    listed is held (a restore calls it after loading the backup's list, with the list of the warehouse it
    replaced). Call it inside a write transaction."""
    for digest, label in sorted(set(entries), key=lambda e: e[0]):
        conn.execute(f"INSERT INTO {LIST} SELECT $1, $2, {_NOW} WHERE NOT EXISTS "
                     f"(SELECT 1 FROM {LIST} WHERE digest = $1)", [digest, label])
    removed = {}
    for table, columns in person_tables(conn):
        erased = " OR ".join(f"{digest_sql(c)} IN (SELECT digest FROM {LIST})" for c in columns)
        count = conn.execute(f"DELETE FROM {table} WHERE {erased}").fetchone()[0]
        if count:
            removed[table] = int(count)
    labels = scrub_labels(conn)
    if labels:
        removed["labels"] = labels
    return removed


def entries(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return [tuple(r) for r in conn.execute(f"SELECT digest, label_digest FROM {LIST} ORDER BY digest").fetchall()]


def digests(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT digest FROM {LIST} ORDER BY digest").fetchall()]
