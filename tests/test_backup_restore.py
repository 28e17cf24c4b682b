"""Backup and restore (docs/deploy.md#backup-and-restore): one consistent file of the whole warehouse, loaded into an
empty warehouse of either backend with equal figures, ledger and undo; erased people stay erased; a crash during a
restore leaves the warehouse as it was or as it should be after."""
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import DUCKLAKE, PEPPER, ROOT, lake_data_path
from small_org import PAGES, columns_holding, emails, files, load_org, own_db, own_location, page_text, person_key  # noqa: F401,E501

from queries import metrics, storage, uploads, warehouse


def cli(*args, pepper=PEPPER):
    env = {**os.environ, "DASHBOARD_PEPPER": pepper}
    return subprocess.run([sys.executable, "-m", "queries", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def state(location):
    """What a restore must bring back: every month's figures, the rollups, the ledger and the audit trail."""
    with warehouse.opened(location) as conn:
        return {
            "metrics": {str(m): metrics.org_month(conn, m) for m in metrics.months(conn)},
            "rollups": {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                        for t in ("org_rollup", "cohort_rollup", "segment_moves", "month_status", "person_month")},
            "ledger": uploads.ledger(conn),
            "events": [e for e in uploads.events(conn) if e["action"] != "restored backup"],
        }


def pairs():
    """(source backend, target backend) round trips the run can make: DuckLake needs the suite's PostgreSQL."""
    return [("file", "ducklake"), ("ducklake", "file")] if DUCKLAKE else [("file", "file")]


def location_of(kind, tmp_path, name):
    if kind == "file":
        return str(tmp_path / f"{name}.duckdb")
    return own_location(tmp_path, name)


@pytest.mark.slow
@pytest.mark.parametrize("source_kind,target_kind", pairs())
def test_round_trip_gives_equal_figures_ledger_and_undo(tmp_path, monkeypatch, every_group_shown, source_kind,
                                                        target_kind):
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DATA_PATH", lake_data_path(tmp_path))
    source = location_of(source_kind, tmp_path, "source")
    target = location_of(target_kind, tmp_path, "target")
    people = emails()
    results = load_org(source, people)
    name, text, kind = files(people[:5], "2026-09")[0]
    later = uploads.import_file(name, text.encode(), location=source, month="2026-09", kind=kind)
    before = state(source)
    out = str(tmp_path / "backup.zip")
    done = cli("backup", "--out", out, "--db", source)
    assert done.returncode == 0, done.stderr
    done = cli("restore", out, "--db", target)
    assert done.returncode == 0, done.stderr
    assert state(target) == before
    # Every page reads the same on the restored warehouse as on the source.
    for page in PAGES:
        assert page_text(target, page, monkeypatch) == page_text(source, page, monkeypatch), page
    # Undo works on the restored warehouse as on the source: the re-uploaded roster gives way to the one it replaced.
    for location in (source, target):
        with warehouse.opened(location) as conn:
            assert uploads.undo(conn, later.upload_id) == [results[-5].upload_id]
    assert state(target)["metrics"] == state(source)["metrics"]
    assert state(target)["rollups"] == state(source)["rollups"]


def test_restore_refuses_a_held_warehouse_without_replace_and_another_pepper(own_db, tmp_path):
    load_org(own_db, emails(), months=("2026-09",))
    out = str(tmp_path / "backup.zip")
    assert cli("backup", "--out", out, "--db", own_db).returncode == 0
    refused = cli("restore", out, "--db", own_db)
    assert refused.returncode != 0 and "--replace" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    other = cli("restore", out, "--db", str(tmp_path / "other.duckdb"), pepper="another-pepper")
    assert other.returncode != 0 and "DASHBOARD_PEPPER" in other.stderr
    replaced = cli("restore", out, "--db", own_db, "--replace")
    assert replaced.returncode == 0, replaced.stderr


@pytest.mark.slow
def test_a_restore_never_brings_an_erased_person_back(own_db, tmp_path):
    people = emails()
    load_org(own_db, people, months=("2026-08", "2026-09"))
    gone = person_key(people[0])
    before_erasure = str(tmp_path / "before.zip")
    assert cli("backup", "--out", before_erasure, "--db", own_db).returncode == 0
    storage.erase_people([people[0]], location=own_db, actor=uploads.CLI)
    after_erasure = str(tmp_path / "after.zip")
    assert cli("backup", "--out", after_erasure, "--db", own_db).returncode == 0
    # The old backup still holds the person: restoring it over the warehouse re-applies the warehouse's list.
    done = cli("restore", before_erasure, "--db", own_db, "--replace")
    assert done.returncode == 0, done.stderr and "erasure list" in done.stdout
    with warehouse.opened(own_db) as conn:
        assert columns_holding(conn, gone) == []
    # The newer backup carries the list to a fresh warehouse, where a re-upload drops the person again.
    fresh = own_location(tmp_path, "fresh")
    assert cli("restore", after_erasure, "--db", fresh).returncode == 0
    name, text, kind = files(people, "2026-09")[0]
    result = uploads.import_file(name, text.encode(), location=fresh, month="2026-09", kind=kind)
    assert "Dropped 1 rows of erased people" in result.summary()
    with warehouse.opened(fresh) as conn:
        assert columns_holding(conn, gone) == []


@pytest.mark.slow
def test_a_killed_restore_leaves_the_warehouse_as_it_was_or_as_after(tmp_path, monkeypatch, every_group_shown):
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DATA_PATH", lake_data_path(tmp_path))
    source, target = own_location(tmp_path, "source"), own_location(tmp_path, "target")
    load_org(source, emails())
    load_org(target, emails(), months=("2026-09",))
    out = str(tmp_path / "backup.zip")
    assert cli("backup", "--out", out, "--db", source).returncode == 0
    was, after = state(target), state(source)
    warehouse.forget()
    env = {**os.environ, "DASHBOARD_PEPPER": PEPPER}
    outcomes = set()
    for delay in (0.5, 1.5, 3.0, 6.0):
        process = subprocess.Popen([sys.executable, "-m", "queries", "restore", out, "--db", target, "--replace"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        now = state(target)
        warehouse.forget()
        assert now in (was, after), f"in between after {delay} s"
        outcomes.add("before" if now == was else "after")
        if now == after:
            break
    assert outcomes
