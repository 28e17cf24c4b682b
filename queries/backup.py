"""Backup and restore of a whole warehouse, on either backend and between them (docs/deploy.md#backup-and-restore).

A backup is one zip file: a Parquet file per table (the ledger, the audit trail, the erasure list, the rollups and
the person rows) written from one read transaction, so it is consistent while the app serves, and a manifest with
the schema version, a fingerprint of the pepper (never the pepper) and the erasure list. A restore loads it into an
empty warehouse, or with `replace` into a held one, in one transaction, and re-applies the erasure lists of both.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass

import duckdb

from . import erasure, storage, warehouse

FORMAT = "social-business-dashboard backup 1"
MANIFEST = "manifest.json"
KEPT_BY_TARGET = ("meta",)  # the schema version and write token are the target's own


class RestoreRefused(RuntimeError):
    """The backup cannot be loaded into this warehouse; nothing was changed."""


def fingerprint(pepper: str) -> str:
    """A one-way fingerprint that tells whether two warehouses use the same pepper, without revealing it."""
    return hashlib.sha256(f"pepper fingerprint:{pepper}".encode()).hexdigest()[:16]


def _tables(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema = 'main' "
        "AND table_catalog = current_database() ORDER BY table_name").fetchall()]


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def backup(out: str, location: str | None = None) -> dict:
    """Write a backup of the warehouse to `out` (written beside it and renamed, so `out` is whole or absent)."""
    location = warehouse.resolve_location(location)
    pepper = warehouse.pepper_for(location)
    folder = tempfile.mkdtemp(prefix="dashboard-backup-")
    try:
        with warehouse.opened(location) as conn:
            conn.execute("BEGIN TRANSACTION")  # one snapshot for every table
            try:
                tables = {}
                for table in _tables(conn):
                    path = os.path.join(folder, f"{table}.parquet")
                    conn.execute(f"COPY (SELECT * FROM {table}) TO {_literal(path)} (FORMAT parquet)")
                    tables[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                manifest = {"format": FORMAT, "schema_version": warehouse._schema_version(conn),
                            "pepper_fingerprint": fingerprint(pepper), "tables": tables,
                            "erased": erasure.digests(conn), "data_version": warehouse.data_version(conn)}
            finally:
                conn.execute("ROLLBACK")
        with open(os.path.join(folder, MANIFEST), "w") as handle:
            json.dump(manifest, handle, indent=1)
        partial = f"{out}.partial"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:  # Parquet is compressed already
            for name in sorted(os.listdir(folder)):
                archive.write(os.path.join(folder, name), name)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return manifest


@dataclass
class Restored:
    tables: dict
    erased_rows: dict
    replaced: bool
    purge: str = ""

    def lines(self) -> list[str]:
        out = [f"Restored {sum(self.tables.values()):,} rows in {len(self.tables)} tables"
               + (", replacing what the warehouse held" if self.replaced else "") + "."]
        if self.erased_rows:
            out.append("Re-applied the erasure list: " + ", ".join(
                f"{n} audit labels blanked" if t == "labels" else f"{n} rows of {t} removed"
                for t, n in sorted(self.erased_rows.items())) + ".")
        if self.purge:
            out.append(self.purge)
        return out


def _held(conn) -> bool:
    return any(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
               for t in _tables(conn) if t not in KEPT_BY_TARGET)


def restore(source: str, location: str | None = None, replace: bool = False) -> Restored:
    """Load a backup into the warehouse at `location`: an empty one, or any with `replace`. One transaction, so a
    crash leaves the warehouse as it was; then the bytes of what it replaced are removed (storage.purge)."""
    location = warehouse.resolve_location(location)
    folder = tempfile.mkdtemp(prefix="dashboard-restore-")
    try:
        try:
            with zipfile.ZipFile(source) as archive:
                archive.extractall(folder)
            with open(os.path.join(folder, MANIFEST)) as handle:
                manifest = json.load(handle)
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
            raise RestoreRefused(f"{source} is not a dashboard backup ({error}); nothing was changed.") from None
        if manifest.get("format") != FORMAT:
            raise RestoreRefused(f"{source} is not a dashboard backup; nothing was changed.")
        if manifest["pepper_fingerprint"] != fingerprint(warehouse.pepper_for(location)):
            raise RestoreRefused("The backup was made with another pepper than this warehouse's, so its people would "
                                 "not match later imports: set DASHBOARD_PEPPER (or `pepper` in secrets) to the "
                                 "pepper of the warehouse the backup came from, then restore again. Nothing was "
                                 "changed.")
        with warehouse.opened(location) as conn:
            version = warehouse._schema_version(conn)
            if manifest["schema_version"] != version:
                raise RestoreRefused(f"The backup has schema version {manifest['schema_version']} and this "
                                     f"warehouse {version}: restore it with the release that wrote it, then "
                                     "upgrade. Nothing was changed.")

            def write() -> Restored:
                with warehouse.transaction(conn):
                    if _held(conn) and not replace:
                        raise RestoreRefused(f"{warehouse.describe(location).capitalize()} is not empty: restore into "
                                             "an empty one, or add --replace. Nothing was changed.")
                    earlier = erasure.entries(conn)
                    shown = warehouse.data_version(conn)
                    present = set(_tables(conn))
                    for table in present - set(KEPT_BY_TARGET):
                        conn.execute(f"DELETE FROM {table}")
                    counts = {}
                    for table in manifest["tables"]:
                        if table in KEPT_BY_TARGET:
                            continue
                        if table not in present:
                            raise RestoreRefused(f"The backup holds a table {table} this warehouse lacks; nothing "
                                                 "was changed.")
                        path = os.path.join(folder, f"{table}.parquet")
                        conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet({_literal(path)})")
                        counts[table] = manifest["tables"][table]
                    removed = erasure.reapply(conn, earlier)  # the backup's own list is loaded with it
                    _bump_version(conn, shown)
                return Restored(counts, removed, replace)

            with warehouse.WRITE_LOCK:
                done = warehouse.retrying(write)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    done.purge = storage.purge(location) if (replace or done.erased_rows) else ""
    return done


def _bump_version(conn, shown: int) -> None:
    """Pages cache on the latest ledger event id; the restore records an event whose id is past any the warehouse
    showed before, so no page keeps figures cached from before the restore."""
    event_id = max(shown, conn.execute("SELECT coalesce(max(event_id), 0) FROM ledger_events").fetchone()[0]) + 1
    conn.execute("INSERT INTO ledger_events VALUES (?, NULL, 'restored backup', 'cli', "
                 "(current_timestamp AT TIME ZONE 'UTC'), '')", [event_id])
