"""Erasing a person (docs/metrics.md#erasure): every row in every table goes, and their bytes from storage; the
rollups stay; an erased person never comes back; the audit says who erased how many, never whom."""
import os
import subprocess
import sys

import pytest
from conftest import DUCKLAKE, PEPPER, ROOT
from small_org import columns_holding, emails, files, holders, load_org, own_db, person_key  # noqa: F401

from queries import erasure, metrics, storage, uploads, warehouse
from queries.access import Actor, PermissionDenied


def cli(*args):
    env = {**os.environ, "DASHBOARD_PEPPER": PEPPER}
    return subprocess.run([sys.executable, "-m", "queries", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def figures(location):
    with warehouse.opened(location) as conn:
        rollups = {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                   for t in ("org_rollup", "cohort_rollup", "segment_moves", "month_status")}
        per_month = {str(m): metrics.org_month(conn, m) for m in metrics.months(conn)}
    return rollups, per_month


def test_erase_removes_every_row_and_its_bytes_and_keeps_the_rollups(own_db, every_group_shown):
    db = own_db
    people = emails()
    while person_key(people[0]) != min(map(person_key, people)):
        people = emails()  # the erased id is then the lowest value of every person-key column: a catalog bound
    load_org(db, people)
    gone, kept = person_key(people[0]), person_key(people[1])
    before = figures(db)
    with warehouse.opened(db) as conn:
        held = columns_holding(conn, gone)
        tables = {table for table, _ in erasure.person_tables(conn)}
    # The person is in every person-level table, and the scans can see a person's id where it is.
    assert {"roster", "activity", "champions", "training", "devices", "person_month", "first_active"} <= tables
    assert {c.split(".")[0] for c in held} >= {"roster", "activity", "champions", "training", "devices",
                                               "person_month", "first_active"}
    assert holders(db, gone) and holders(db, kept)
    if DUCKLAKE:  # the scan reads the data files themselves, not only the catalog
        assert holders(db, kept) == ["parquet", "pg_dump"]

    done = cli("erase", people[0].upper(), "--yes", "--db", db)
    assert done.returncode == 0, done.stderr
    for table in ("roster", "activity", "champions", "training", "devices", "person_month", "first_active"):
        assert table in done.stdout
    assert "Traceback" not in done.stderr

    with warehouse.opened(db) as conn:
        assert columns_holding(conn, gone) == []
        assert columns_holding(conn, kept)
        events = uploads.events(conn)
        listed = erasure.digests(conn)
    erased = events[0]
    assert erased["action"] == "erased" and erased["who"] == "cli" and erased["detail"].startswith("1 person")
    assert all(gone not in str(e) for e in events)
    assert len(listed) == 1 and gone not in listed[0]
    assert holders(db, gone) == []
    assert holders(db, kept)  # the scan still finds a live person: it would have found the erased one
    if DUCKLAKE:
        assert "parquet" in holders(db, kept)
    assert figures(db) == before  # anonymous rollups and every figure stay as they were


@pytest.mark.skipif(not DUCKLAKE, reason="time travel is DuckLake's")
def test_no_older_snapshot_of_the_lake_holds_the_erased_person(own_db):
    db = own_db
    people = emails()
    load_org(db, people)
    gone = person_key(people[0])
    with warehouse.opened(db) as conn:
        first = conn.execute("SELECT min(snapshot_id) FROM ducklake_snapshots('lake')").fetchone()[0]
    storage.erase_people([people[0]], location=db, actor=uploads.CLI)
    with warehouse.opened(db) as conn:
        snapshots = [r[0] for r in conn.execute("SELECT snapshot_id FROM ducklake_snapshots('lake')").fetchall()]
        assert first not in snapshots  # the old snapshots are expired
        for snapshot in snapshots:
            for table, columns in erasure.person_tables(conn):
                for column in columns:
                    assert not conn.execute(f"SELECT count(*) FROM {table} AT (VERSION => {snapshot}) "
                                            f"WHERE {column} = ?", [gone]).fetchone()[0]
        with pytest.raises(Exception):
            conn.execute(f"SELECT count(*) FROM roster AT (VERSION => {first})").fetchall()


def test_an_erased_person_never_comes_back_and_each_import_says_how_many_rows_it_dropped(own_db):
    db = own_db
    people = emails()
    load_org(db, people)
    storage.erase_people([people[0]], location=db, actor=uploads.CLI)
    name, text, kind = files(people, "2026-09")[1]  # a re-upload of the same month's activity
    result = uploads.import_file(name, text.encode(), location=db, month="2026-09", kind=kind)
    assert "Dropped 2 rows of erased people" in result.summary()
    assert result.row_count == 6
    name, text, kind = files(people, "2026-10")[0]  # and a new month's roster
    result = uploads.import_file(name, text.encode(), location=db, month="2026-10", kind=kind)
    assert "Dropped 1 rows of erased people" in result.summary()
    with warehouse.opened(db) as conn:
        assert columns_holding(conn, person_key(people[0])) == []
        notes = [r["notes"] for r in uploads.ledger(conn)[:2]]
    assert all("erased people" in n for n in notes)


def test_unknown_email_refuses_and_changes_nothing(own_db):
    db = own_db
    people = emails()
    load_org(db, people, months=("2026-09",))
    done = cli("erase", people[0], "nobody@example.com", "--yes", "--db", db)
    assert done.returncode != 0 and "nobody@example.com" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    with warehouse.opened(db) as conn:
        assert columns_holding(conn, person_key(people[0]))
        assert erasure.digests(conn) == []
    assert cli("erase", people[0], "--db", db).returncode != 0  # without --yes: nothing done
    again = cli("erase", people[0], "--yes", "--db", db)
    assert again.returncode == 0, again.stderr
    twice = cli("erase", people[0], "--yes", "--db", db)  # already erased: said so, not unknown
    assert twice.returncode == 0 and "already erased" in twice.stdout


def test_an_erased_uploaders_audit_label_is_blanked_and_stays_blank_after_a_restore(own_db, tmp_path):
    from queries import access, backup

    people = emails()
    load_org(own_db, people, months=("2026-09",))
    label = access.label_for(people[2], "champion", PEPPER)  # people[2] also uploads: the ledger names them
    name, text, kind = files(people, "2026-09")[0]
    uploads.import_file(name, text.encode(), location=own_db, month="2026-09", kind=kind,
                        actor=Actor("champion", label))
    short = person_key(people[2])[:10]
    assert short in label
    before = str(tmp_path / "before.zip")
    backup.backup(before, own_db)
    done = storage.erase_people([people[2]], location=own_db, actor=uploads.CLI)
    assert done.removed["labels"] == 3  # the ledger row, and the events "uploaded" and "replaced"
    with warehouse.opened(own_db) as conn:
        assert columns_holding(conn, short) == []
        assert "champion erased" in [r["uploaded_by"] for r in uploads.ledger(conn)]
    assert holders(own_db, short) == []
    backup.restore(before, own_db, replace=True)  # the old backup names them: the restore blanks them again
    with warehouse.opened(own_db) as conn:
        assert columns_holding(conn, short) == [] and columns_holding(conn, person_key(people[2])) == []


def test_only_admins_erase(own_db):
    db = own_db
    people = emails()
    load_org(db, people, months=("2026-09",))
    with warehouse.opened(db) as conn, pytest.raises(PermissionDenied):
        erasure.erase(conn, [people[0]], PEPPER, Actor("champion", "champion 1"))


def test_person_tables_come_from_the_schema_so_later_tables_are_covered(own_db):
    db = own_db
    people = emails()
    load_org(db, people, months=("2026-09",))
    gone = person_key(people[0])
    with warehouse.opened(db) as conn:
        # a table a later issue might add, holding people under the same column names
        conn.execute("CREATE TABLE later_links (upload_id INTEGER, month DATE, old_key VARCHAR, new_key VARCHAR)")
        conn.execute("INSERT INTO later_links VALUES (1, DATE '2026-09-01', ?, 'other'), "
                     "(1, DATE '2026-09-01', 'other', ?)", [gone, gone])
        assert ("later_links", ("old_key", "new_key")) in erasure.person_tables(conn)
    storage.erase_people([people[0]], location=db, actor=uploads.CLI)
    with warehouse.opened(db) as conn:
        assert conn.execute("SELECT count(*) FROM later_links").fetchone()[0] == 0
        assert columns_holding(conn, gone) == []


def test_the_data_page_erases_for_admins_and_shows_the_retention(own_db, monkeypatch):
    from conftest import app

    people = emails()
    load_org(own_db, people, months=("2026-09",))
    monkeypatch.setenv("DASHBOARD_RETENTION_MONTHS", "13")
    at = app("app/pages/data.py")
    assert not at.exception
    assert any("kept for 13 months" in m.value and "2026-09" in m.value for m in at.markdown)
    at.text_area(key="erase_emails_0").set_value(people[0])
    at.checkbox(key="erase_sure_0").check()
    at.run()
    next(b for b in at.button if b.label == "Erase").click()
    at.run()
    assert not at.exception
    assert any("Erased 1 person" in s.value and "roster" in s.value for s in at.success)
    assert people[0] not in str([s.value for s in at.success])
    with warehouse.opened(own_db) as conn:
        assert columns_holding(conn, person_key(people[0])) == []


def _held_state(location, key):
    with warehouse.opened(location) as conn:
        where = columns_holding(conn, key)
        listed = len(erasure.digests(conn))
        events = [e["action"] for e in uploads.events(conn)]
    warehouse.forget(location) if not DUCKLAKE else None
    return where, listed, events


def test_a_killed_erase_leaves_the_person_there_or_erased_never_half(own_db, every_group_shown):
    import signal
    import time

    people = emails()
    load_org(own_db, people)
    gone = person_key(people[0])
    before = figures(own_db)
    warehouse.forget(own_db) if not DUCKLAKE else None
    env = {**os.environ, "DASHBOARD_PEPPER": PEPPER}
    for delay in (0.3, 0.8, 1.5, 2.5, 4.0, 8.0):
        process = subprocess.Popen([sys.executable, "-m", "queries", "erase", people[0], "--yes", "--db", own_db],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        where, listed, events = _held_state(own_db, gone)
        assert figures(own_db) == before  # rollups untouched either way
        if listed == 0:  # as it was: every row still there, no audit line
            assert len(where) >= 7 and "erased" not in events
        else:  # erased: no row anywhere, one audit line
            assert where == [] and events.count("erased") == 1
            break
    # Running the same erasure again finishes it, whatever the kill interrupted: the bytes go too.
    done = cli("erase", people[0], "--yes", "--db", own_db)
    assert done.returncode == 0, done.stderr
    assert holders(own_db, gone) == [] and holders(own_db, person_key(people[1]))
    if not DUCKLAKE:
        assert not os.path.exists(storage.compacting_path(own_db))


@pytest.mark.skipif(DUCKLAKE, reason="the hand-over of an embedded file")
def test_erase_takes_the_file_from_a_serving_dashboard_and_its_readers_see_the_new_file(own_db, serving):
    people = emails()
    load_org(own_db, people, months=("2026-09",))
    gone = person_key(people[0])
    with warehouse.opened(own_db) as conn:  # the server holds the file open between reads
        assert columns_holding(conn, gone)
    version = warehouse.current_version(own_db)
    done = cli("erase", people[0], "--yes", "--db", own_db)
    assert done.returncode == 0, done.stderr
    assert warehouse.current_version(own_db) > version
    with warehouse.opened(own_db) as conn:
        assert columns_holding(conn, gone) == [] and columns_holding(conn, person_key(people[1]))
    assert holders(own_db, gone) == []


@pytest.mark.slow
@pytest.mark.skipif(DUCKLAKE, reason="compaction is the embedded file's")
def test_a_killed_compaction_leaves_the_old_file_or_the_new_one(own_db, every_group_shown):
    import signal
    import time

    load_org(own_db, emails())
    before = figures(own_db)
    warehouse.forget(own_db)
    script = f"from queries import storage; storage.compact_file({own_db!r})"
    for delay in (0.2, 0.5, 0.9, 1.4, 2.0):
        process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert figures(own_db) == before
        warehouse.forget(own_db)
    storage.compact_file(own_db)
    assert figures(own_db) == before and not os.path.exists(storage.compacting_path(own_db))
