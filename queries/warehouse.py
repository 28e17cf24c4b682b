"""The warehouse: where it lives, how to open it, its versioned schema, and the pepper that pseudonymises people."""
from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCATION = REPO_ROOT / "data" / "warehouse.duckdb"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LOCK_TIMEOUT_SECONDS = float(os.environ.get("DASHBOARD_LOCK_TIMEOUT", "30"))


# One writer at a time inside a process: ids are allocated as max + 1 inside the transaction, and the sessions
# of one Streamlit server share a process. Across processes, DuckDB's file lock serialises writers.
WRITE_LOCK = threading.RLock()


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse for longer than we are willing to wait."""


def resolve_location(cli_db: str | os.PathLike | None = None) -> str:
    """The warehouse location: the CLI's --db, else DASHBOARD_DB, else data/warehouse.duckdb."""
    if cli_db:
        return str(cli_db)
    env = os.environ.get("DASHBOARD_DB")
    if env:
        return env
    return str(DEFAULT_LOCATION)


def _streamlit_secret(name: str) -> str | None:
    # Streamlit is optional here: the CLI runs without it, and st.secrets raises when no secrets file exists.
    try:
        import streamlit as st

        value = st.secrets.get(name)
    except Exception:
        return None
    return str(value) if value else None


def pepper_for(location: str) -> str:
    """The secret pepper mixed into every person key.

    DASHBOARD_PEPPER wins, then Streamlit secrets' `pepper`; otherwise one is generated once and kept
    beside the warehouse, readable only by its owner, so keys stay stable across runs.
    """
    env = os.environ.get("DASHBOARD_PEPPER")
    if env:
        return env
    from_secrets = _streamlit_secret("pepper")
    if from_secrets:
        return from_secrets
    pepper_file = Path(str(location) + ".pepper")
    if pepper_file.exists():
        return pepper_file.read_text().strip()
    pepper_file.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    # O_EXCL makes two first-time processes agree on one pepper instead of overwriting each other.
    try:
        fd = os.open(pepper_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return pepper_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    os.chmod(pepper_file, 0o600)
    return value


def migrations() -> list[tuple[int, str]]:
    """Schema migrations as (version, sql), in order. A file named 003_add_x.sql is version 3."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        found.append((int(path.name.split("_", 1)[0]), path.read_text()))
    return found


SCHEMA_VERSION = max(version for version, _ in migrations())


def _schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date, one transaction per migration. Returns the version reached."""
    current = _schema_version(conn)
    for version, sql in migrations():
        if version <= current:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.execute(sql)
            # A migration that changes what the rollups hold recomputes them for the data already held.
            if "refresh-rollups" in sql and current > 0:
                first = conn.execute("SELECT min(month) FROM upload_slices WHERE state = 'active'").fetchone()[0]
                if first is not None:
                    refresh_rollups(conn, first)
            conn.execute("DELETE FROM meta WHERE key = 'schema_version'")
            conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        current = version
    return current


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


def connect(location: str | None = None, read_only: bool = False,
            timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, creating and migrating it as needed.

    DuckDB lets one process write a file at a time, so when another process holds it we wait a bounded
    time and then raise WarehouseBusy with a message a person can act on.
    """
    location = resolve_location(location)
    deadline = time.monotonic() + (LOCK_TIMEOUT_SECONDS if timeout is None else timeout)
    delay = 0.05
    if location != ":memory:":
        Path(location).parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            if read_only and Path(location).exists():
                conn = duckdb.connect(location, read_only=True)
                if _schema_version(conn) == SCHEMA_VERSION:
                    return conn
                conn.close()
            conn = duckdb.connect(location)
            break
        except duckdb.IOException as error:
            if not _is_lock_error(error) or time.monotonic() >= deadline:
                if _is_lock_error(error):
                    raise WarehouseBusy(
                        f"The warehouse {location} is busy with another import; tried for "
                        f"{LOCK_TIMEOUT_SECONDS if timeout is None else timeout:.0f} s. Try again in a minute."
                    ) from error
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    try:
        migrate(conn)
    except Exception:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def opened(location: str | None = None, read_only: bool = False):
    """`with opened() as conn:` — one connection for one unit of work, always closed afterwards."""
    conn = connect(location, read_only=read_only)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection):
    """Run a block of writes as one transaction: all of it lands, or none of it does."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def data_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The latest ledger event id: it changes on every upload, undo or checklist answer, so caches key on it."""
    return int(conn.execute("SELECT coalesce(max(event_id), 0) FROM ledger_events").fetchone()[0])


def refresh_rollups(conn: duckdb.DuckDBPyConnection, from_month) -> None:
    """Recompute month_status, person_month and org_rollup for every month from `from_month` on.

    Later months are included because carried-forward rosters, new/returning people and trailing
    training reach all depend on earlier months. Call inside the upload's transaction.
    """
    from . import named

    for block in named.names("rollups"):
        named.run(conn, f"rollups.{block}", {"from_month": from_month})
