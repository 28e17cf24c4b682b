"""The warehouse: where it lives, its versioned schema, migrations, the pepper, and no personal data stored."""
import os
import stat

import pytest

from conftest import ACTIVITY_SEPT, DUCKLAKE, ROSTER_SEPT
from queries import erasure, identities, imports, metrics, uploads, warehouse


def test_location_default_env_and_cli(monkeypatch, tmp_path):
    monkeypatch.delenv("DASHBOARD_DB", raising=False)
    assert warehouse.resolve_location() == str(warehouse.REPO_ROOT / "data" / "warehouse.duckdb")
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "env.duckdb"))
    assert warehouse.resolve_location() == str(tmp_path / "env.duckdb")
    assert warehouse.resolve_location(str(tmp_path / "cli.duckdb")) == str(tmp_path / "cli.duckdb")


def test_schema_created_on_first_open_and_versioned(db):
    assert DUCKLAKE or not os.path.exists(db)
    with warehouse.opened(db) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        assert int(version) == warehouse.SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"uploads", "ledger_events", "roster", "activity", "org_rollup", "month_status"} <= tables


def test_a_later_migration_upgrades_an_existing_file(db, load, tmp_path, monkeypatch):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for path in warehouse.MIGRATIONS_DIR.glob("*.sql"):
        (migrations / path.name).write_text(path.read_text())
    next_version = warehouse.SCHEMA_VERSION + 1
    (migrations / f"{next_version:03d}_note.sql").write_text("ALTER TABLE uploads ADD COLUMN note VARCHAR;")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", migrations)
    warehouse.forget()  # DuckLake migrates when a process first attaches; attach afresh
    with warehouse.opened(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(next_version)
        # the data held before the migration is still there
        assert conn.execute("SELECT count(*) FROM roster").fetchone()[0] == 4
        assert conn.execute("SELECT note FROM uploads").fetchall() == [(None,)]


def test_an_old_warehouse_with_data_upgrades_to_the_latest_rollups(tmp_path, monkeypatch, every_group_shown):
    """A warehouse from before the incremental rollups (version 3) migrates through every later version, and its
    rollups then equal those of a new warehouse loaded with the same files, though later migrations reshaped them."""
    monkeypatch.setenv("DASHBOARD_PEPPER", "upgrade-pepper")
    old_migrations = tmp_path / "migrations"
    old_migrations.mkdir()
    for path in warehouse.MIGRATIONS_DIR.glob("00[123]_*.sql"):
        (old_migrations / path.name).write_text(path.read_text())
    latest = warehouse.MIGRATIONS_DIR
    files = [("roster.csv", ROSTER_SEPT), ("activity.csv", ACTIVITY_SEPT)]
    old, new = str(tmp_path / "old.duckdb"), str(tmp_path / "new.duckdb")

    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", old_migrations)
    # The code of version 3 had no scope macros; today's name tables that later migrations create.
    latest_macros = warehouse._scope_macros
    monkeypatch.setattr(warehouse, "_scope_macros", lambda: "SELECT 1")
    with monkeypatch.context() as then:  # and its canonical rows had no identity_key (migration 010)
        # nor incremental rollups (migration 004: the upgrade computes them) nor an erasure list (migration 012)
        then.setattr(warehouse, "refresh_rollups", lambda conn: 0)
        then.setattr(erasure, "drop_erased", lambda conn, rows: (rows, 0))
        # nor linked addresses (migration 010)
        then.setattr(identities, "alias_table", lambda: "(SELECT '' AS person_key, '' AS canonical_key WHERE false)")
        for kind in ("roster", "activity"):
            then.setitem(imports.CANONICAL_COLUMNS, kind,
                         [c for c in imports.CANONICAL_COLUMNS[kind] if c != "identity_key"])
        for name, text in files:
            uploads.import_file(name, text.encode(), location=old, month="2026-09")
    with warehouse.opened(old) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "3"

    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", latest)
    monkeypatch.setattr(warehouse, "_scope_macros", latest_macros)
    for name, text in files:
        uploads.import_file(name, text.encode(), location=new, month="2026-09")
    with warehouse.opened(old) as upgraded, warehouse.opened(new) as fresh:
        assert upgraded.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            warehouse.SCHEMA_VERSION)
        assert metrics.org_month(upgraded, "2026-09") == metrics.org_month(fresh, "2026-09")
        assert metrics.org_month(fresh, "2026-09")["active"] == 2
        for table in ("org_rollup", "person_month", "month_status", "segment_moves", "cohort_rollup"):
            query = f"SELECT * EXCLUDE (person_key) FROM {table} ORDER BY ALL" if table == "person_month" else (
                f"SELECT * FROM {table} ORDER BY ALL")
            assert upgraded.execute(query).fetchall() == fresh.execute(query).fetchall(), table


def test_pepper_generated_once_with_mode_600(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_PEPPER", raising=False)
    monkeypatch.setattr(warehouse, "_configured_pepper", None)
    location = str(tmp_path / "w.duckdb")
    first = warehouse.pepper_for(location)
    assert first == warehouse.pepper_for(location)
    mode = stat.S_IMODE(os.stat(location + ".pepper").st_mode)
    assert mode == 0o600
    monkeypatch.setenv("DASHBOARD_PEPPER", "from-env")
    assert warehouse.pepper_for(location) == "from-env"


def test_pepper_from_the_environment_then_from_the_edge_then_generated(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_PEPPER", raising=False)
    monkeypatch.setattr(warehouse, "_configured_pepper", None)
    location, lake = str(tmp_path / "w.duckdb"), "ducklake:postgres:dbname=nowhere"
    warehouse.configure(pepper="from-secrets")  # what dashboard.py and the CLI pass from their secrets
    assert warehouse.pepper_for(location) == warehouse.pepper_for(lake) == "from-secrets"
    assert not os.path.exists(location + ".pepper")  # nothing is generated while the edge gives a pepper
    monkeypatch.setenv("DASHBOARD_PEPPER", "from-env")
    assert warehouse.pepper_for(location) == warehouse.pepper_for(lake) == "from-env"
    monkeypatch.delenv("DASHBOARD_PEPPER")
    warehouse.configure(pepper=None)  # secrets without a pepper: back to the generated one, and none for DuckLake
    with pytest.raises(RuntimeError, match="DuckLake warehouse needs DASHBOARD_PEPPER"):
        warehouse.pepper_for(lake)
    generated = warehouse.pepper_for(location)
    assert generated not in ("from-secrets", "from-env") and os.path.exists(location + ".pepper")


def test_person_key_is_peppered_sha256_of_the_trimmed_lowercase_id(load, conn):
    load("roster.csv", ROSTER_SEPT.replace("ann@example.com", "  Ann@Example.COM "), month="2026-09")
    import hashlib

    expected = hashlib.sha256(b"test-pepper" + b"ann@example.com").hexdigest()
    keys = {r[0] for r in conn.execute("SELECT person_key FROM roster").fetchall()}
    assert expected in keys


def test_no_email_upn_or_name_is_stored_in_any_table(load, db):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    load("activity.csv", ACTIVITY_SEPT)
    with warehouse.opened(db) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR' "
            "AND table_schema = 'main' AND table_catalog = current_database()").fetchall()
        for table, column in columns:
            hits = conn.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE \'%@%\' '
                                f"OR lower(\"{column}\") LIKE '%ann%'").fetchone()[0]
            assert hits == 0, f"{table}.{column} holds an identifier"
