"""The warehouse: where it lives, how to open it, its versioned schema, and the pepper that pseudonymises people.

One setting chooses the backend: a file path is an embedded DuckDB file (one writing process at a time);
`ducklake:postgres:<conninfo>` is DuckLake, a PostgreSQL catalog with Parquet data under DASHBOARD_DATA_PATH, which
several app replicas and CLI imports can read and write at once. The same SQL serves both.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import os
import random
import secrets
import threading
import time
from pathlib import Path

import duckdb

from . import blob_storage, environment, instances

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOCATION = REPO_ROOT / "data" / "warehouse.duckdb"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LOCK_TIMEOUT_SECONDS = environment.seconds("DASHBOARD_LOCK_TIMEOUT", 30, 3600)
DUCKLAKE_PREFIX = "ducklake:"
LAKE = "lake"

# One writer at a time inside a process: ids are allocated as max + 1 inside the transaction, and the sessions
# of one Streamlit server share a process. Across processes, DuckDB's file lock serialises writers on the
# embedded file; on DuckLake every write transaction bumps one shared row (the write token), so two concurrent
# writers always conflict at COMMIT and the loser runs again (see `retrying`).
WRITE_LOCK = threading.RLock()


class WarehouseBusy(RuntimeError):
    """Other writers held the warehouse for longer than we are willing to wait."""


def resolve_location(cli_db: str | os.PathLike | None = None) -> str:
    """The warehouse location: the CLI's --db, else DASHBOARD_DB, else data/warehouse.duckdb."""
    if cli_db:
        return str(cli_db)
    env = os.environ.get("DASHBOARD_DB")
    if env:
        return env
    return str(DEFAULT_LOCATION)


def is_ducklake(location: str) -> bool:
    return str(location).startswith(DUCKLAKE_PREFIX)


def describe(location: str) -> str:
    """The location as shown to people: a DuckLake conninfo may hold a password, so only its kind is shown."""
    return "the DuckLake warehouse" if is_ducklake(location) else f"the warehouse {location}"


# The pepper the process's edge was given (the dashboard's Streamlit secrets, the CLI's secrets.toml): queries/
# never reads secrets itself, so it works the same with or without Streamlit installed.
_configured_pepper: str | None = None
_configured_azure: dict | None = None


def configure(*, pepper: str | None, azure: dict | None = None) -> None:
    """Set what the process's edge read from its secrets, before anything reads the warehouse.

    dashboard.py calls it on every run with `pepper` from Streamlit secrets (None when there is none, which
    clears an earlier setting); the CLI calls it once with `pepper` from .streamlit/secrets.toml. `azure` is the
    secrets' [azure] section, the blob storage's credential when the environment sets none (queries/blob_storage.py).
    """
    global _configured_pepper, _configured_azure
    _configured_pepper = str(pepper) if pepper else None
    _configured_azure = dict(azure) if azure else None


def pepper_for(location: str) -> str:
    """The secret pepper mixed into every person key.

    DASHBOARD_PEPPER wins, then the pepper the edge passed to `configure` (Streamlit secrets' `pepper`);
    otherwise, for an embedded file, one is generated once and kept beside the warehouse, readable only by its
    owner, so keys stay stable across runs. DuckLake replicas share no disk, so there the pepper must be configured.
    """
    env = os.environ.get("DASHBOARD_PEPPER")
    if env:
        return env
    if _configured_pepper:
        return _configured_pepper
    if is_ducklake(location):
        raise RuntimeError("A DuckLake warehouse needs DASHBOARD_PEPPER (or `pepper` in Streamlit secrets), the same "
                           "on every replica; it is never generated, because replicas share no disk to keep it on.")
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
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'main' AND table_name = 'meta'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def is_conflict(error: Exception) -> bool:
    """A write that lost an optimistic race (DuckLake detects it at COMMIT); the whole transaction can run again."""
    text = str(error)
    return isinstance(error, duckdb.TransactionException) and (
        "Transaction conflict" in text or "Exceeded the maximum retry count" in text)


def retrying(work, timeout: float | None = None):
    """Run `work()` — one whole write transaction — again while it loses write conflicts, up to a deadline.

    Never triggers on the embedded file, where writers wait for the file lock instead.
    """
    deadline = time.monotonic() + (LOCK_TIMEOUT_SECONDS if timeout is None else timeout)
    attempt = 0
    while True:
        attempt += 1
        try:
            return work()
        except duckdb.TransactionException as error:
            if not is_conflict(error):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseBusy("Other uploads kept the warehouse busy; nothing was changed. "
                                    "Try again in a minute.") from error
            time.sleep(random.random() * min(2.0, 0.05 * 2 ** attempt))


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date, one transaction per migration. Returns the version reached.

    Replicas starting together may race to run the same migration: the version is read inside the transaction,
    and a lost race runs again (and then finds the work done).
    """
    current = _schema_version(conn)
    pending = [(version, sql) for version, sql in migrations() if version > current]
    # The rollups of the data already held are brought up to date once, with the last pending migration, because
    # the refresh SQL is written for the latest schema. It is incremental, so it costs nothing when nothing
    # changed, and catches up after a run that stopped between migrations. A migration that changes what the
    # rollups hold says refresh-rollups: every month is then recomputed.
    refresh_at = pending[-1][0] if current > 0 and pending else None
    recompute = any("refresh-rollups" in sql for _, sql in pending)
    for version, sql in pending:

        def step(version=version, sql=sql) -> int:
            conn.execute("BEGIN TRANSACTION")
            try:
                now = _schema_version(conn)
                if version > now:
                    conn.execute(sql)
                    if version == refresh_at:
                        if recompute:
                            conn.execute("DELETE FROM rollup_sources")
                        refresh_rollups(conn)
                    conn.execute("DELETE FROM meta WHERE key = 'schema_version'")
                    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(version)])
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")  # a failed COMMIT has rolled back already; a ROLLBACK would hide its error
            return max(now, version)

        current = retrying(step)
    return current


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


# --- DuckLake --------------------------------------------------------------------------------------------------


def extension_path(name: str) -> str:
    """The extension file shipped in the pinned duckdb-extension-<name> wheel: loaded by path, never downloaded."""
    package = importlib.import_module(f"duckdb_extension_{name}")
    path = os.path.join(os.path.dirname(package.__file__), "extensions", f"v{duckdb.__version__}",
                        f"{name}.duckdb_extension")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} is missing: pip install duckdb-extension-{name}=={duckdb.__version__}")
    return path


def _literal(text: str) -> str:
    """LOAD and ATTACH take no prepared parameters, so values go in as SQL string literals."""
    return "'" + str(text).replace("'", "''") + "'"


def data_path() -> str | None:
    return os.environ.get("DASHBOARD_DATA_PATH") or None


def _open_lake(location: str) -> duckdb.DuckDBPyConnection:
    # Never duckdb.connect(location) with a ducklake: string: DuckDB would try to download the extension.
    instance = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    where = data_path()
    blob = blob_storage.is_blob(where)
    remote = bool(where and "://" in where)
    for name in ("postgres_scanner", "ducklake") + (("azure",) if blob else ("httpfs",) if remote else ()):
        instance.execute(f"LOAD {_literal(extension_path(name))}")
    if blob:
        _blob_secret(instance, where)
    elif remote and where.startswith("s3://"):
        options = [f"KEY_ID {_literal(os.environ.get('AWS_ACCESS_KEY_ID', ''))}",
                   f"SECRET {_literal(os.environ.get('AWS_SECRET_ACCESS_KEY', ''))}",
                   f"REGION {_literal(os.environ.get('AWS_REGION', 'us-east-1'))}"]
        if os.environ.get("DASHBOARD_S3_ENDPOINT"):
            options += [f"ENDPOINT {_literal(os.environ['DASHBOARD_S3_ENDPOINT'])}", "URL_STYLE 'path'",
                        f"USE_SSL {os.environ.get('DASHBOARD_S3_USE_SSL', 'true').lower() != 'false'}"]
        instance.execute(f"CREATE SECRET dashboard_s3 (TYPE s3, {', '.join(options)})")
    options = [f"DATA_PATH {_literal(where)}"] if where else []
    # No data inlining: with small writes inlined into PostgreSQL, maintenance in one process broke another
    # process's open write transaction; without it, that is an ordinary, retryable conflict.
    options.append("DATA_INLINING_ROW_LIMIT 0")
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    while True:
        try:
            instance.execute(f"ATTACH {_literal(location)} AS {LAKE} "
                             f"({', '.join(options)})")
            break
        except duckdb.Error as error:
            # Replicas racing to create the catalog in an empty database: all but one fail; the next try attaches.
            if "Failed to initialize DuckLake" not in str(error) or time.monotonic() >= deadline:
                instance.close()
                if "data_path is not set" in str(error):
                    raise RuntimeError("A new DuckLake warehouse needs DASHBOARD_DATA_PATH (a shared folder, "
                                       "az://container/prefix/ or s3://bucket/prefix/) for its data files.") from None
                raise
            time.sleep(0.1 + random.random() * 0.3)
    instance.execute(f"USE {LAKE}")
    migrate(instance)
    return instance


def _blob_secret(instance: duckdb.DuckDBPyConnection, where: str) -> None:
    """The DuckDB secret for Azure Blob Storage, then a listing under the data path, so that a wrong credential or a
    missing container is a one-line message at open instead of a failed upload later (queries/blob_storage.py)."""
    try:
        used = blob_storage.credential(_configured_azure)
        try:
            instance.execute(used.secret_sql("dashboard_azure", _literal))
        except duckdb.Error as error:  # only the text before the echoed statement, which holds the credential
            raise blob_storage.StorageRefused(f"DuckDB refused the {used.kind} ({', '.join(used.settings)}): "
                                              f"{str(error).split('LINE 1:')[0].strip()}") from None
        try:
            instance.execute(blob_storage.probe_sql(where, _literal)).fetchall()
        except duckdb.Error as error:
            raise blob_storage.explain(error, where, used) from None
    except BaseException:
        instance.close()
        raise


def _open_file(location: str, deadline: float) -> duckdb.DuckDBPyConnection:
    """Open (creating) and migrate an embedded file, waiting up to the deadline while another process holds it."""
    delay = 0.05
    if location != ":memory:":
        Path(location).parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            instance = duckdb.connect(location)
            break
        except duckdb.IOException as error:
            if not _is_lock_error(error) or time.monotonic() >= deadline:
                if _is_lock_error(error):
                    raise instances.Unavailable("another process holds the file") from error
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    try:
        migrate(instance)
    except BaseException:
        instance.close()
        raise
    return instance


def _opener(location: str):
    if is_ducklake(location):
        return lambda deadline: _open_lake(location)
    return lambda deadline: _open_file(location, deadline)


def _key(location: str) -> str:
    return location if is_ducklake(location) or location == ":memory:" else os.path.abspath(location)


@contextlib.contextmanager
def opened(location: str | None = None, timeout: float | None = None):
    """`with opened() as conn:` — a cursor of this process's one instance of the warehouse, for one unit of work.

    The instance is created and migrated on first use. Each caller gets its own cursor (a separate connection
    to the same instance), so threads and sessions never share one. An embedded file can be open in one process
    at a time: when another process has it, or has announced that it wants it, we wait a bounded time and then
    raise WarehouseBusy with a message a person can act on (queries/instances.py says how the file changes hands).
    """
    location = resolve_location(location)
    wait = LOCK_TIMEOUT_SECONDS if timeout is None else timeout
    shared = instances.shared(_key(location), _opener(location), embedded=not is_ducklake(location))
    try:
        conn = shared.checkout(time.monotonic() + wait)
    except instances.Unavailable as error:
        # No location in the message: pages show it to viewers, who must never see a server path.
        raise WarehouseBusy(f"The warehouse is busy with another import; tried for {wait:.0f} s. Nothing was "
                            "changed. Try again in a minute.") from error
    broken = False
    try:
        if is_ducklake(location):
            conn.execute(f"USE {LAKE}")  # a cursor starts in the instance's default catalog, not the attached lake
        conn.execute(_scope_macros())  # the scoped, suppressed source: TEMP macros live on one connection
        yield conn
    except duckdb.FatalException:
        broken = True  # DuckDB invalidated the instance (say, the disk filled up): open a new one when it is free
        raise
    finally:
        try:
            with contextlib.suppress(duckdb.Error):
                conn.close()
        finally:
            shared.checkin(broken)


@functools.cache
def _scope_macros() -> str:
    return (Path(__file__).resolve().parent / "scope.sql").read_text()


def serve() -> None:
    """This process is the dashboard's server: it keeps its instance open between reads and hands an embedded
    file over to another process (the CLI) that announces an import (queries/instances.py)."""
    instances.serve()


def forget(location: str | None = None) -> None:
    """Close this process's instance of a warehouse (or of all) now; none of its cursors may be in use.

    Tests call it before copying a warehouse, and the benchmark to start cold.
    """
    instances.release(None if location is None else _key(resolve_location(location)))


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection):
    """Run a block of writes as one transaction: all of it lands, or none of it does.

    It first bumps the write token, so on DuckLake any two concurrent write transactions conflict (otherwise two
    insert-only writes could commit side by side with the same max + 1 id); wrap it in `retrying`.
    """
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'write_seq'")
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")  # a failed COMMIT has rolled back already; a ROLLBACK would hide its error
    _committed()


def _committed() -> None:
    global _commits
    with _flights_lock:
        _commits += 1


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """INSERT `rows` (tuples in the table's column order) into `table` in one statement, not one per row: on
    DuckLake every INSERT writes a data file and a catalog entry of its own (docs/architecture.md#what-an-upload-recounts)."""
    if rows:
        marks = "(" + ", ".join(["?"] * len(rows[0])) + ")"
        conn.execute(f"INSERT INTO {table} VALUES " + ", ".join([marks] * len(rows)),
                     [value for row in rows for value in row])


def maintain(conn: duckdb.DuckDBPyConnection, location: str) -> None:
    """Compact storage. On DuckLake: keep a day of snapshots (so no running query loses its files), then
    CHECKPOINT merges small files and drops what has expired; conflicts with running writers are retried."""
    if is_ducklake(location):
        for option in ("expire_older_than", "delete_older_than"):
            retrying(lambda option=option: conn.execute(f"CALL ducklake_set_option('{LAKE}', '{option}', '1 day')"))
    retrying(lambda: conn.execute("CHECKPOINT"))


def data_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The latest ledger event id: it changes on every upload, undo or checklist answer, so caches key on it."""
    return int(conn.execute("SELECT coalesce(max(event_id), 0) FROM ledger_events").fetchone()[0])


class VersionMoved(RuntimeError):
    """The data changed between pinning its version and reading it: pin the version again and read again."""


# A page's cache miss waits this long for an import in another process to finish before it says the warehouse is busy.
READ_WAIT_SECONDS = environment.seconds("DASHBOARD_READ_WAIT", 10, 3600)
_versions: dict[str, tuple[tuple, int]] = {}


def _file_stamp(location: str) -> tuple:
    """What changes on disk whenever a transaction commits to an embedded file: its WAL, or the file itself."""
    stamp = []
    for path in (location, location + ".wal"):
        try:
            found = os.stat(path)
            stamp.append((found.st_ino, found.st_size, found.st_mtime_ns))
        except FileNotFoundError:
            stamp.append(None)
    return tuple(stamp)


def current_version(location: str | None = None) -> int:
    """The data version a page run pins its reads to.

    On an embedded file it is read from the warehouse only when the file or its WAL changed on disk since it was
    last read here, so a run with nothing new opens nothing; while another process holds the file, the version
    last read stands (the pages go on showing it until the import is done). DuckLake has no file: there the
    version is one catalog query on the process's attached instance, shared by the runs that ask at once.
    """
    location = resolve_location(location)
    if is_ducklake(location):
        return _lake_version(location)
    key = _key(location)
    stamp = _file_stamp(key)
    known = _versions.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        # With a version known, never wait: while another process has the file, or another thread is opening it,
        # the known version stands. Without one (a server's first run) there is nothing to show until it is read.
        with opened(location, timeout=0 if known is not None else READ_WAIT_SECONDS) as conn:
            version = data_version(conn)
    except WarehouseBusy:
        if known is None:
            raise
        return known[1]
    _versions[key] = (stamp, version)  # the stamp from before the read: a change during it is read next time
    return version


class _Flight:
    """One catalog read of the DuckLake data version, which the runs that ask while it is under way share."""

    def __init__(self, commits: int):
        self.commits = commits  # this process's commits when the read began
        self.done = threading.Event()
        self.version: int | None = None  # None once done: the read failed, with this error
        self.failed: BaseException | None = None


_flights: dict[str, _Flight] = {}
_flights_lock = threading.Lock()
_commits = 0  # commits made by this process (transaction): a read begun before one of them is not shared after it


def _lake_version(location: str) -> int:
    """The DuckLake data version, read once for all the runs that ask while a read is under way (sixteen viewers
    opening pages at once made sixteen catalog queries that contended in DuckDB and PostgreSQL). A run that asks
    after this process committed never takes a read begun before that commit, so an importer's next run sees its
    own upload; a commit by another process is seen by the next read, as it would be a moment later anyway."""
    def read() -> int:
        with opened(location, timeout=READ_WAIT_SECONDS) as conn:
            return data_version(conn)

    key = _key(location)
    with _flights_lock:
        flight = _flights.get(key)
        leading = flight is None or flight.commits != _commits
        if leading:
            flight = _flights[key] = _Flight(_commits)
    if not leading:
        if not flight.done.wait(READ_WAIT_SECONDS):
            raise WarehouseBusy(f"The warehouse did not answer within {READ_WAIT_SECONDS:.0f} s. Nothing was "
                                "changed. Try again in a minute.")
        if flight.version is not None:
            return flight.version
        if isinstance(flight.failed, WarehouseBusy):  # what the shared read met, this run would meet too
            raise WarehouseBusy(str(flight.failed))
        return read()  # the shared read failed: this run reads alone
    try:
        flight.version = read()
        return flight.version
    except BaseException as error:
        flight.failed = error
        raise
    finally:
        with _flights_lock:
            if _flights.get(key) is flight:
                del _flights[key]
        flight.done.set()


def read_at(location: str, version: int, func, *args, **kwargs):
    """`func(conn, *args, **kwargs)` answered from exactly `version` of the data, or VersionMoved.

    The version check and the reads run in one transaction, so they see one snapshot: a cache entry stored under
    a version always holds that version's numbers, even while an import commits beside it.
    """
    with opened(location, timeout=READ_WAIT_SECONDS) as conn:
        conn.execute("BEGIN TRANSACTION")
        try:
            found = data_version(conn)
            if found != version:
                # The version pinned from the file's stamp is behind: read it afresh on the next run, so a page
                # that reruns finds the version it will read at, and never reruns on the same stale one.
                _versions.pop(_key(location), None)
                raise VersionMoved(f"data version {found}, not {version}")
            result = func(conn, *args, **kwargs)
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("ROLLBACK")  # nothing was written; ending the transaction releases its snapshot
        return result


def refresh_rollups(conn: duckdb.DuckDBPyConnection) -> int:
    """Bring the rollups (month_status, person_month, org_rollup, segment_moves, cohort_rollup, department_kpis,
    kpi_correlations, department_names) up to date
    with the live uploads. Call it inside the transaction that changed them (an upload or an undo).

    Only the months the change affects are recomputed (queries/rollups.sql says which): the refresh compares
    the live upload slices with those the rollups were last computed from, so callers need not say what changed.
    Addresses are linked to their person first (queries/identities.py): an address whose person changed makes its
    slices count as changed. Returns how many addresses changed person (identities.Conflict when two ids of one
    kind would meet in one person).
    """
    from . import identities, named

    # The schema is the latest: migrate() refreshes only with the last pending migration, and uploads and undo
    # run on a migrated warehouse. (A catalog lookup here cost each upload 30 ms on DuckLake.)
    full = conn.execute("SELECT count(*) = 0 FROM rollup_sources").fetchone()[0]
    named.run(conn, "rollups.changes")
    relinked = 0
    if full or identities.links_changed(conn):
        relinked = identities.relink(conn)
    if not full and not conn.execute("SELECT count(*) FROM rollup_changes").fetchone()[0]:
        conn.execute("DROP TABLE rollup_changes")
        return 0  # a checklist answer: nothing the rollups hold
    named.run(conn, "rollups.status")
    named.run(conn, "rollups.months", {"full": full})
    named.run(conn, "rollups.flag_months")
    named.run(conn, "rollups.tool_months", {"full": full})
    # Months whose person rows expired (queries/retention.py) keep their rollups: never recounted from rows gone.
    rows_from = conn.execute("SELECT CAST(max(value) AS DATE) FROM meta WHERE key = 'person_rows_from'").fetchone()[0]
    if rows_from is not None:
        for table in ("rollup_months", "rollup_flag_months", "rollup_tool_months"):
            conn.execute(f"DELETE FROM {table} WHERE month < ?", [rows_from])
    named.run(conn, "rollups.replace_month_status")
    named.run(conn, "rollups.insert_month_status")
    temporary = ["rollup_changes", "month_status_new", "rollup_months", "rollup_flag_months", "rollup_tool_months"]
    first_flag, last_flag = conn.execute("SELECT min(month), max(month) FROM rollup_flag_months").fetchone()
    if first_flag is not None:  # a champion register or training changed: two flags, not whole months
        params = {"first_flag_month": first_flag, "last_flag_month": last_flag}
        for block in ("stage_flags", "update_flags", "update_flag_counts"):
            named.run(conn, f"rollups.{block}", params)
        temporary.append("flag_changes")
    first_month, last_month = conn.execute("SELECT min(month), max(month) FROM rollup_months").fetchone()
    if first_month is not None:
        params = {"first_month": first_month, "last_month": last_month}
        for block in ("stage_activity", "update_contribution_tools", "stage_person_month", "stage_first_active", "delete_first_active", "insert_first_active",
                      "delete_person_month", "insert_person_month", "new_months"):
            named.run(conn, f"rollups.{block}", params)
        if conn.execute("SELECT count(*) FROM rollup_new_months").fetchone()[0]:
            named.run(conn, "rollups.update_new", params)
        named.run(conn, "rollups.lookback_months", params)
        # Bounds given as values, not subqueries, so that the scans of person_month skip the other months' rows.
        params["first_cohort"], params["first_counted"], params["last_counted"] = conn.execute(
            "SELECT min(month) FILTER (WHERE counted_for <> 'lookback'), min(month), max(month) FROM ("
            "SELECT month, 'rebuilt' AS counted_for FROM rollup_months UNION ALL "
            "SELECT month, 'new' FROM rollup_new_months UNION ALL SELECT month, 'lookback' FROM rollup_lookback_months)"
        ).fetchone()
        for block in ("update_unmapped", "delete_org_rollup", "insert_org_rollup",
                      "insert_org_rollup_tools", "delete_segment_moves", "insert_segment_moves", "delete_cohorts",
                      "insert_cohorts"):
            named.run(conn, f"rollups.{block}", params)
        temporary += ["rollup_activity", "pm_stage", "first_active_changes", "rollup_new_months",
                      "rollup_lookback_months"]
    named.run(conn, "rollups.department_kpi_months")
    temporary.append("department_kpi_months")
    if conn.execute("SELECT count(*) FROM department_kpi_months").fetchone()[0]:  # not for registers or communities
        for block in ("delete_department_kpis", "insert_department_kpis", "delete_kpi_correlations",
                      "insert_kpi_correlations"):
            named.run(conn, f"rollups.{block}")
    if full or conn.execute("SELECT count(*) FROM rollup_changes WHERE kind = 'departments'").fetchone()[0]:
        from . import departments

        departments.refresh_names(conn)  # today's department names (docs/metrics.md#departments-as-organised-today)
    named.run(conn, "rollups.delete_sources")
    named.run(conn, "rollups.insert_sources")
    for table in temporary:
        conn.execute(f"DROP TABLE {table}")
    return relinked
