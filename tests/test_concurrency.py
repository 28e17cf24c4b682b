"""Concurrent and interrupted imports: nothing lost, nothing half-written, the lock wait is bounded."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import DUCKLAKE, ROOT, ROSTER_SEPT, snapshot
from queries import metrics, uploads, warehouse


def activity_for(month: str, people: int = 40) -> bytes:
    rows = "".join(f"{month},p{i}@example.com,slack,{i % 3},1,2\n" for i in range(people))
    return ("month,email,tool,posts,replies,reactions\n" + rows).encode()


MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]


def test_parallel_sessions_importing_different_months_all_land(db):
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=db, month="2026-01")
    errors = []

    def session(month):
        try:
            uploads.import_file(f"activity-{month}.csv", activity_for(month), location=db)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=session, args=(m,)) for m in MONTHS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with warehouse.opened(db) as conn:
        ledger = uploads.ledger(conn)
        assert sorted(r["months"] for r in ledger if r["kind"] == "activity") == MONTHS
        assert len({r["upload_id"] for r in ledger}) == len(ledger) == len(MONTHS) + 1
        assert [str(m)[:7] for m in metrics.months(conn)] == MONTHS
        counts = dict(conn.execute("SELECT strftime(month, '%Y-%m'), count(*) FROM live_activity GROUP BY 1").fetchall())
        assert counts == {m: 40 for m in MONTHS}


def test_cli_imports_in_parallel_processes_while_the_app_reads(db, tmp_path, serving):
    """This process plays the dashboard's server: it reads on, and lets each CLI import have the file in turn."""
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=db, month="2026-01")
    paths = []
    for month in MONTHS[:4]:
        path = tmp_path / f"activity-{month}.csv"
        path.write_bytes(activity_for(month, 2000))
        paths.append(path)
    env = {**os.environ, "DASHBOARD_DB": db, "DASHBOARD_LOCK_TIMEOUT": "60"}
    processes = [subprocess.Popen([sys.executable, "-m", "queries", "import", str(p)], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    reads = 0
    while any(p.poll() is None for p in processes):
        # the app keeps reading during the imports: a read waits while an import has the file
        with warehouse.opened(db, timeout=120) as conn:  # four imports in turn, on a machine that may be busy
            metrics.org_month(conn, "2026-01")
        reads += 1
    outputs = [p.communicate() for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], outputs
    assert reads > 0
    with warehouse.opened(db) as conn:
        assert sorted(r["months"] for r in uploads.ledger(conn) if r["kind"] == "activity") == MONTHS[:4]


@pytest.mark.skipif(DUCKLAKE, reason="DuckLake has no file lock: concurrent writers conflict and retry "
                                      "(test_parallel_sessions_… and test_replicas.py cover it)")
def test_the_writer_waits_a_bounded_time_then_reports_clearly(db):
    roster = os.path.join(os.path.dirname(db), "roster.csv")
    with open(roster, "w") as handle:
        handle.write(ROSTER_SEPT)
    with warehouse.opened(db):  # this process holds the file, as a long import in another process would
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "queries", "import", roster, "--month", "2026-09", "--db", db],
                              cwd=ROOT, env={**os.environ, "DASHBOARD_LOCK_TIMEOUT": "2"}, capture_output=True,
                              text=True, timeout=120)
        waited = time.monotonic() - started
    assert done.returncode != 0
    assert "busy" in done.stderr and "Try again" in done.stderr and "Traceback" not in done.stderr
    assert waited >= 2
    with warehouse.opened(db) as conn:
        assert uploads.ledger(conn) == []


KILL_SCRIPT = """
import sys, time
from queries import uploads, warehouse
original = warehouse.refresh_rollups
def slow(conn):
    original(conn)
    print("in-transaction", flush=True)
    time.sleep(60)  # the test kills the process here, inside the upload's transaction
warehouse.refresh_rollups = slow
uploads.import_file("activity.csv", open(sys.argv[1], "rb").read(), location=sys.argv[2])
"""


def test_an_import_killed_mid_way_leaves_no_half_upload(db, tmp_path):
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=db, month="2026-09")
    uploads.import_file("activity.csv", activity_for("2026-09", 10), location=db)
    before = snapshot(db)
    path = tmp_path / "activity-oct.csv"
    path.write_bytes(activity_for("2026-10", 5000))
    process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path), db], cwd=ROOT,
                               env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.strip() == "in-transaction", process.stderr.read()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert snapshot(db) == before  # the warehouse opens, the ledger has no half upload, metrics unchanged
    uploads.import_file("activity-oct.csv", path.read_bytes(), location=db)  # and it still takes writes
    with warehouse.opened(db) as conn:
        assert uploads.ledger(conn)[0]["months"] == "2026-10"


@pytest.mark.parametrize("attempt", range(3))
def test_an_import_killed_at_a_random_moment_is_all_or_nothing(db, tmp_path, attempt):
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=db, month="2026-09")
    before = snapshot(db)
    path = tmp_path / "activity.csv"
    path.write_bytes(activity_for("2026-10", 20000))
    process = subprocess.Popen([sys.executable, "-m", "queries", "import", str(path), "--db", db], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.4 + 0.3 * attempt)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    after = snapshot(db)
    if after["ledger"] == before["ledger"]:
        assert after == before
    else:
        assert after["ledger"][0]["row_count"] == 20000
        assert after["counts"]["activity"] == 20000
