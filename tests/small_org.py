"""A small organisation over three months with people in every person-level kind (roster, activity of two tools,
device usage, champions, training), with e-mails unique to the test, and scans for a person's id in storage.

Names are unique per call because a DuckLake run shares one data folder between every test's catalog: a scan of it
must not find another test's rows of the same person.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from conftest import DUCKLAKE, PEPPER, _PG, _createdb, _dbname, lake_data_path, lake_files

from queries import uploads, warehouse

MONTHS = ("2026-07", "2026-08", "2026-09")


def own_location(tmp_path, name: str = "warehouse") -> str:
    """A new, empty warehouse whose storage no other warehouse shares. On DuckLake the suite's warehouses are clones
    of one catalog sharing its data files, so expiring snapshots and deleting old files in one (as erasure does)
    would delete files the others still read: this one is a new catalog with a data folder of its own."""
    if not DUCKLAKE:
        return str(tmp_path / f"{name}.duckdb")
    os.environ["DASHBOARD_DATA_PATH"] = lake_data_path(tmp_path)  # one per test; no file is shared
    location = _createdb(f"{name.replace('-', '_')}_{uuid.uuid4().hex[:10]}")
    # Uncompressed Parquet, so that a byte scan of the data files finds a held id (tests/test_erase.py proves it).
    with warehouse.opened(location) as conn:
        conn.execute(f"CALL ducklake_set_option('{warehouse.LAKE}', 'parquet_compression', 'uncompressed')")
    warehouse.forget(location)
    return location


@pytest.fixture
def own_db(tmp_path, monkeypatch) -> str:
    """Like conftest's `db`, with storage of its own (own_location)."""
    monkeypatch.setenv("DASHBOARD_DATA_PATH", os.environ.get("DASHBOARD_DATA_PATH", ""))
    location = own_location(tmp_path)
    monkeypatch.setenv("DASHBOARD_DB", location)
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DEMO", "0")
    return location


def emails(tag: str | None = None) -> list[str]:
    tag = tag or uuid.uuid4().hex[:8]
    return [f"{name}.{tag}@example.com" for name in ("erin", "finn", "gus", "hal", "ivy", "jon")]


def person_key(email: str, pepper: str = PEPPER) -> str:
    return hashlib.sha256((pepper + email.strip().lower()).encode()).hexdigest()


def files(people: list[str], month: str) -> list[tuple[str, str, str]]:
    """(file name, text, kind) for one month; everyone is on the roster, the first person in every kind."""
    roster = "month,email,department,region,business_unit,level\n" + "".join(
        f"{month},{p},{'Sales' if i % 2 else 'Legal'},EMEA,Commercial,staff\n" for i, p in enumerate(people))
    activity = "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n" + "".join(
        f"{month},{p},viva-engage,{i},1,2,5,,\n{month},{p},slack,1,{i},0,,,3\n" for i, p in enumerate(people[:4]))
    champions = "month,email,department,role\n" + f"{month},{people[0]},Legal,Champion\n{month},{people[1]},Sales,Champion\n"
    training = "date,program,email\n" + f"{month}-14,Working Out Loud,{people[0]}\n{month}-15,Working Out Loud,{people[2]}\n"
    last_day = {"07": "31", "08": "31", "09": "30"}.get(month[5:], "28")
    devices = ("Report Refresh Date,User Principal Name,Display Name,User State,State Change Date,Last Activity Date,"
               "Used Web,Used Windows Phone,Used Android Phone,Used iPhone,Used iPad,Used Others,Report Period\n"
               + "".join(f"{month}-{last_day},{p},Person {i},Activated,,{month}-10,Yes,No,Yes,No,No,No,30\n"
                         for i, p in enumerate(people[:3])))
    return [(f"roster-{month}.csv", roster, "roster"), (f"activity-{month}.csv", activity, "activity"),
            (f"champions-{month}.csv", champions, "champions"), (f"training-{month}.csv", training, "training"),
            (f"engage_devices_{month}.csv", devices, None)]


def load_org(location: str, people: list[str], months=MONTHS) -> list[uploads.UploadResult]:
    results = []
    for month in months:
        for name, text, kind in files(people, month):
            results.append(uploads.import_file(name, text.encode(), location=location, month=month, kind=kind))
    return results


def storage_bytes(location: str) -> list[tuple[str, bytes]]:
    """Every byte the warehouse keeps: the file and its WAL; or DuckLake's Parquet files and a dump of its catalog."""
    if not DUCKLAKE:
        return [(p, Path(p).read_bytes()) for p in (location, location + ".wal") if os.path.exists(p)]
    warehouse.forget(location)
    found = lake_files(os.environ["DASHBOARD_DATA_PATH"])
    dump = subprocess.run([f"{_PG['bin']}/pg_dump", "-h", "127.0.0.1", "-p", _PG["port"], "-U", "postgres",
                           "--data-only", _dbname(location)], check=True, capture_output=True).stdout
    return found + [("pg_dump", dump)]


def holders(location: str, key: str) -> list[str]:
    """Where in storage the id's bytes are found: the file, or on DuckLake "parquet" and/or "pg_dump"."""
    found = {name for name, data in storage_bytes(location) if key.encode() in data}
    return sorted({"pg_dump" if name == "pg_dump" else "parquet" if DUCKLAKE else name for name in found})


def columns_holding(conn, key: str) -> list[str]:
    """Every table.column (of any type, cast to text) in which the id appears."""
    found = []
    for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
            "AND table_catalog = current_database()").fetchall():
        hits = conn.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) LIKE ?',
                            [f"%{key}%"]).fetchone()[0]
        if hits:
            found.append(f"{table}.{column}")
    return found


PAGES = ["app/pages/overview.py", "app/pages/stages.py", "app/pages/adoption.py", "app/pages/coe.py",
         "app/pages/communities.py", "app/pages/alignment.py", "app/pages/data.py"]


def page_text(location, page, monkeypatch):
    """What a page says and shows: its text, figures and tables (AppTest)."""
    from conftest import app

    monkeypatch.setenv("DASHBOARD_DB", location)
    at = app(page)
    assert not at.exception, at.exception
    shown = [m.value for m in at.markdown] + [(m.label, m.value) for m in at.metric]
    if page != "app/pages/data.py":  # the Data page's tables hold the ledger, compared above
        shown += [d.value.to_csv() for d in at.dataframe]
    return shown
