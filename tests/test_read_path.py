"""The read path every page takes (app/cache.py read: the data version, the read cache, one warehouse instance per process
with a cursor per caller) under many threads at once: while imports and undos run, and on a cold cache."""
import contextlib
import datetime as dt
import functools
import threading
import time

import pytest

from conftest import ROOT
from queries import adoption, instances, metrics, uploads, warehouse
from test_rollups import Recount, assert_same

THREADS = 16
MONTH = dt.date(2026, 10, 1)
FILTERS = [metrics.ALL, metrics.Filters(departments=("Sales",)), metrics.Filters(tool="slack")]


@pytest.fixture
def shell():
    from app import cache as module

    module._cached_read.clear()
    return module


def new_month_activity(month: str, people: int) -> bytes:
    """Slack activity for the first `people` demo people in a month the demo does not hold."""
    emails = []
    with open(ROOT / "data" / "demo" / "roster.csv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            email = line.split(",", 2)[1]
            if email not in emails:
                emails.append(email)
            if len(emails) == people:
                break
    rows = "".join(f"{month},{email},slack,{i % 3},1,{i % 5},,,{1 + i % 9}\n" for i, email in enumerate(emails))
    return ("month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n" + rows).encode()


def page_reads(shell, version):
    """What a page reads at one data version: months, the headline for several filters, a breakdown."""
    months = shell.read_at(version, metrics.months)
    found = {"months": [str(m) for m in months]}
    for month in months[-3:]:
        for filters in FILTERS:
            found[(str(month), filters)] = shell.read_at(version, metrics.org_month, month, filters)
    found["departments"] = shell.read_at(version, adoption.by_dimension, "department", months[-1], months[-1],
                                         metrics.ALL, 5)
    return found


def recount(location):
    """Single-threaded: the same reads straight from the warehouse, and the headline person by person."""
    with warehouse.opened(location) as conn:
        version = warehouse.data_version(conn)
        months = metrics.months(conn)
        found = {"months": [str(m) for m in months]}
        for month in months[-3:]:
            for filters in FILTERS:
                found[(str(month), filters)] = metrics.org_month(conn, month, filters)
        # and the latest month's headline recounted person by person (every filter would take minutes on DuckLake)
        latest = str(months[-1])
        assert_same(found[(latest, metrics.ALL)], Recount(conn).metrics(months[-1], metrics.ALL), latest)
        found["departments"] = adoption.by_dimension(conn, "department", months[-1], months[-1], metrics.ALL, 5)
    return version, found


@pytest.mark.slow
def test_sixteen_readers_during_imports_and_undos_see_only_whole_versions(demo_db, shell):
    """16 threads read as pages do while another thread imports new months and undoes them. No read fails, and
    every result equals the single-threaded recount of the version it was read at."""
    version, expected_reads = recount(demo_db)
    expected = {version: expected_reads}
    seen: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def writer():
        try:
            for step, month in enumerate(["2026-11", "2026-12", "2027-01"]):
                result = uploads.import_file(f"slack-{month}.csv", new_month_activity(month, 300 + 100 * step),
                                             location=demo_db)
                version, reads = recount(demo_db)
                expected[version] = reads
                if step == 1:
                    with warehouse.opened(demo_db) as conn:
                        uploads.undo(conn, result.upload_id)
                    version, reads = recount(demo_db)
                    expected[version] = reads
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            writing.clear()

    def reader():
        try:
            while writing.is_set():
                version = warehouse.current_version(demo_db)
                try:
                    seen.append((version, page_reads(shell, version)))
                except warehouse.VersionMoved:
                    continue  # a page reruns at the new version
                time.sleep(0.02)  # the viewer looks at the page before the next run (a busy loop would starve the writer)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(THREADS)] + [threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert errors == []
    assert len(expected) == 5  # the start, three imports and an undo
    assert len(seen) >= THREADS
    for version, reads in seen:
        assert version in expected, f"read at version {version}, which no write produced"
        assert reads == expected[version], f"a read at version {version} differs from its recount"
    assert len({version for version, _ in seen}) >= 2, "the readers never overlapped a write"


def test_a_cold_cache_computes_each_read_once(demo_db, shell, monkeypatch):
    """Right after an import every session misses the cache at once: the read cache computes each key once (it
    holds a lock per key) and the other sessions take that result."""
    calls = []
    original = metrics.org_month

    @functools.wraps(original)
    def counted(conn, month, filters=metrics.ALL):
        calls.append(month)
        return original(conn, month, filters)

    monkeypatch.setattr(metrics, "org_month", counted)
    version = warehouse.current_version(demo_db)
    start = threading.Barrier(THREADS)
    results, errors = [], []

    def session():
        try:
            start.wait()
            results.append(shell.read_at(version, metrics.org_month, MONTH, metrics.ALL))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=session) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(calls) == 1
    assert len(results) == THREADS and all(r == results[0] for r in results)


def test_a_server_opens_its_warehouse_once_for_many_readers(demo_db, shell, serving):
    """Concurrent readers share one instance, each with its own cursor; nobody reopens the file per read."""
    warehouse.forget(demo_db)
    version = warehouse.current_version(demo_db)
    start = threading.Barrier(8)

    def session(index):
        start.wait()
        for month in (dt.date(2026, 5 + index % 6, 1), MONTH):
            shell.read_at(version, metrics.org_month, month, metrics.Filters(regions=(f"R{index}",)))

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    shared = instances.known(warehouse._key(demo_db))
    assert shared.opened_count == 1
    assert shared.users == 0


def test_an_instance_duckdb_invalidated_is_replaced_once_its_cursors_are_back(demo_db, serving):
    import duckdb

    with warehouse.opened(demo_db) as conn:
        warehouse.data_version(conn)
    shared = instances.known(warehouse._key(demo_db))
    opened = shared.opened_count
    with pytest.raises(duckdb.FatalException):
        with warehouse.opened(demo_db):
            raise duckdb.FatalException("database has been invalidated")  # as DuckDB says after a failed write
    with warehouse.opened(demo_db) as conn:
        assert warehouse.data_version(conn) > 0
    assert shared.opened_count == opened + 1


def test_the_ducklake_version_is_read_once_for_the_runs_that_ask_at_once(monkeypatch):
    """Sixteen runs pinning their version together share one catalog read; a run that asks after this process
    committed never takes a read begun before the commit; when the shared read fails, each run reads alone."""
    reads, release, started = [], threading.Event(), threading.Event()
    answers = iter(range(100, 200))

    @contextlib.contextmanager
    def opened(location, timeout=None):
        yield location

    def data_version(_conn):
        reads.append(threading.get_ident())
        started.set()
        assert release.wait(10)
        return next(answers)

    joined = []

    class Joining(threading.Event):  # counts the runs waiting on a read under way
        def wait(self, timeout=None):
            joined.append(threading.get_ident())
            return super().wait(timeout)

    class Flight(warehouse._Flight):
        def __init__(self, commits):
            super().__init__(commits)
            self.done = Joining()

    monkeypatch.setattr(warehouse, "_Flight", Flight)
    monkeypatch.setattr(warehouse, "opened", opened)
    monkeypatch.setattr(warehouse, "data_version", data_version)
    lake = "ducklake:postgres:dbname=flights host=127.0.0.1"
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(warehouse.current_version(lake))) for _ in range(THREADS)]
    threads[0].start()
    assert started.wait(10)  # the first run's read is under way: the others join it
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while len(joined) < THREADS - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(reads) == 1 and seen == [100] * THREADS

    # a read under way when this process commits is not shared with the runs that ask after the commit
    release.clear()
    started.clear()
    before = threading.Thread(target=lambda: seen.append(("before", warehouse.current_version(lake))))
    before.start()
    assert started.wait(10)
    warehouse._committed()
    after = threading.Thread(target=lambda: seen.append(("after", warehouse.current_version(lake))))
    after.start()
    deadline = time.monotonic() + 10
    while len(reads) < 3 and time.monotonic() < deadline:  # its own read has begun
        time.sleep(0.01)
    release.set()
    before.join(timeout=10)
    after.join(timeout=10)
    assert len(reads) == 3 and sorted(v for k, v in seen[THREADS:]) == [101, 102]

    # the shared read fails (the warehouse stayed busy): the runs that joined it read for themselves
    failing = {"left": 1}

    def flaky(_conn):
        reads.append(threading.get_ident())
        started.set()
        assert release.wait(10)
        if failing["left"]:
            failing["left"] -= 1
            raise warehouse.WarehouseBusy("busy")
        return 7

    release.clear()
    started.clear()
    monkeypatch.setattr(warehouse, "data_version", flaky)
    outcomes = []

    def ask():
        try:
            outcomes.append(warehouse.current_version(lake))
        except warehouse.WarehouseBusy:
            outcomes.append("busy")

    leader = threading.Thread(target=ask)
    leader.start()
    assert started.wait(10)
    joined.clear()
    follower = threading.Thread(target=ask)
    follower.start()
    deadline = time.monotonic() + 10
    while not joined and time.monotonic() < deadline:  # the follower waits on the leader's read
        time.sleep(0.01)
    release.set()
    leader.join(timeout=10)
    follower.join(timeout=10)
    assert outcomes == ["busy", "busy"]  # the follower meets what the shared read met, without a read of its own
    assert failing["left"] == 0

    # a read that does not answer: the runs waiting on it give up after DASHBOARD_READ_WAIT, with the busy message
    release.clear()
    started.clear()
    monkeypatch.setattr(warehouse, "READ_WAIT_SECONDS", 0.2)
    outcomes.clear()
    stuck = threading.Thread(target=ask)
    stuck.start()
    assert started.wait(10)
    ask()
    assert outcomes == ["busy"]
    release.set()
    stuck.join(timeout=10)
