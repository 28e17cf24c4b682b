"""Removing deleted rows' bytes from storage after an erasure or an expiry (docs/metrics.md#erasure).

A DELETE only hides rows. An embedded DuckDB file keeps their bytes (CHECKPOINT and VACUUM do not remove them), so
the file is copied into a new one (ATTACH plus COPY FROM DATABASE) and the copy swapped in with os.replace. DuckLake
keeps them in the old data files and snapshots, so the files are rewritten, the snapshots expired, the old files
deleted, any inlined rows flushed, and the catalog's per-table min/max of person-key columns recounted from the
files that remain.
"""
from __future__ import annotations

import contextlib
import os
import time

import duckdb

from . import erasure, instances, warehouse  # noqa: F401


def purge(location: str | None = None) -> str:
    """Remove the bytes of deleted rows from the warehouse's storage; a sentence saying what was done."""
    location = warehouse.resolve_location(location)
    if warehouse.is_ducklake(location):
        with warehouse.opened(location) as conn:
            with warehouse.WRITE_LOCK:
                purge_lake(conn)
        return ("Rewrote the data files, expired every older snapshot, deleted the old files and recounted the "
                "catalog's column statistics.")
    if location == ":memory:":
        return ""
    compact_file(location)
    return "Compacted the warehouse file into a new one and swapped it in."


def purge_lake(conn: duckdb.DuckDBPyConnection) -> None:
    lake = warehouse.LAKE
    # Counted, not fetched: the results hold time stamps with time zones, which Python would need pytz to read.
    # Every file with a deleted row is rewritten (the person tables' rows, and the audit labels erasure blanks); a
    # file without deletes is left as it is.
    steps = [f"ducklake_flush_inlined_data('{lake}')",
             f"ducklake_rewrite_data_files('{lake}', delete_threshold => 0)",
             f"ducklake_expire_snapshots('{lake}', older_than => now() + INTERVAL 1 DAY)",
             f"ducklake_cleanup_old_files('{lake}', cleanup_all => true)"]
    for step in steps:
        warehouse.retrying(lambda step=step: conn.execute(f"SELECT count(*) FROM {step}").fetchall())
    warehouse.retrying(lambda: _recount_table_stats(conn))


def _recount_table_stats(conn: duckdb.DuckDBPyConnection) -> None:
    """DuckLake widens a table's min/max per column as files are added and never narrows it on delete, so an erased
    id or label could stay there as a bound: recount the bounds of every text column from the live files' statistics
    (text compares as the stored text does; other types keep their bounds, which hold no id)."""
    meta = f"__ducklake_metadata_{warehouse.LAKE}"
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(
            f"UPDATE {meta}.ducklake_table_column_stats s SET min_value = f.lo, max_value = f.hi FROM ("
            f"  SELECT d.table_id, fs.column_id, min(fs.min_value) AS lo, max(fs.max_value) AS hi "
            f"  FROM {meta}.ducklake_data_file d JOIN {meta}.ducklake_file_column_stats fs USING (data_file_id) "
            f"  WHERE d.end_snapshot IS NULL GROUP BY ALL) f, {meta}.ducklake_column c "
            f"WHERE s.table_id = f.table_id AND s.column_id = f.column_id AND c.table_id = s.table_id "
            f"AND c.column_id = s.column_id AND c.end_snapshot IS NULL AND lower(c.column_type) = 'varchar'")
        # A table none of whose files hold a row any more keeps no bounds.
        conn.execute(
            f"UPDATE {meta}.ducklake_table_column_stats s SET min_value = NULL, max_value = NULL "
            f"FROM {meta}.ducklake_column c WHERE c.table_id = s.table_id AND c.column_id = s.column_id "
            f"AND lower(c.column_type) = 'varchar' AND NOT EXISTS (SELECT 1 FROM {meta}.ducklake_data_file d "
            f"WHERE d.table_id = s.table_id AND d.end_snapshot IS NULL)")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- The embedded file ------------------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def compacting_path(location: str) -> str:
    return f"{location}.compacting"


@contextlib.contextmanager
def exclusive_file(location: str, timeout: float | None = None):
    """Hold an embedded file alone, with no DuckDB instance of it open anywhere: announce it (queries/instances.py)
    so the dashboard's server lets go, close this process's own instance, and wait until the file is free. Other
    processes' readers keep their last version and wait; announced writers queue behind us."""
    key = os.path.abspath(location)
    deadline = time.monotonic() + (warehouse.LOCK_TIMEOUT_SECONDS if timeout is None else timeout)
    intent = instances.announce(key, deadline)
    try:
        own = instances.known(key)
        while own is not None and not own.release():
            if time.monotonic() >= deadline:
                raise warehouse.WarehouseBusy("This process is still reading the warehouse; try again in a minute.")
            time.sleep(0.05)
        while True:  # the server lets go within a tenth of a second of the announcement, once its reads are done
            try:
                probe = duckdb.connect(key)
                probe.execute("CHECKPOINT")  # nothing stays in the WAL, which would not match the new file
                probe.close()
                break
            except duckdb.IOException as error:
                if not warehouse._is_lock_error(error) or time.monotonic() >= deadline:
                    if warehouse._is_lock_error(error):
                        raise warehouse.WarehouseBusy("Another process kept the warehouse open; nothing was "
                                                      "changed. Try again in a minute.") from error
                    raise
                time.sleep(0.05)
        yield key
    finally:
        if intent is not None:
            os.close(intent)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def compact_file(location: str, timeout: float | None = None) -> None:
    """Copy the file into a new one and swap it in atomically: a deleted row's bytes do not survive the copy. A
    crash before the swap leaves the old file as it was (the next compaction removes the half-written copy); after
    it, the new one. The pepper file beside the warehouse is untouched."""
    with exclusive_file(location, timeout) as key:
        copy_into_new_file(key, lambda source, target: target.execute(f"COPY FROM DATABASE {source} TO new"))


def copy_into_new_file(key: str, fill) -> None:
    """Write a new file beside `key` with fill(source_alias, conn), then swap it in for `key` (held exclusively)."""
    target = compacting_path(key)
    for leftover in (target, target + ".wal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(leftover)
    conn = duckdb.connect()
    try:
        conn.execute(f"ATTACH {_literal(key)} AS old (READ_ONLY)")
        conn.execute(f"ATTACH {_literal(target)} AS new")
        fill("old", conn)
        conn.execute("DETACH new")
        conn.execute("DETACH old")
    finally:
        conn.close()
    if os.path.exists(target + ".wal") or os.path.exists(key + ".wal"):
        raise RuntimeError("The compacted copy did not checkpoint cleanly; the warehouse was left as it was.")
    _fsync(target)
    os.replace(target, key)
    _fsync(os.path.dirname(key) or ".")
    # Readers of this process keyed their version on the old file's inode; a new one makes them read it afresh.
    warehouse._versions.pop(key, None)


def erase_people(emails, *, location: str | None = None, actor) -> erasure.Erasure:
    """The one erasure path the Data page and the CLI share: remove the rows (one transaction), then their bytes."""
    location = warehouse.resolve_location(location)
    with warehouse.opened(location) as conn:
        done = erasure.erase(conn, emails, warehouse.pepper_for(location), actor)
    done.purge = purge(location)
    return done
