"""The retention window (docs/metrics.md#retention): person-level rows older than N months before the latest month
held are deleted with their bytes; every month's page figures stay as they were; an undo or re-upload that would
need expired rows is refused and says why."""
import os
import subprocess
import sys

import pytest
from conftest import PEPPER, ROOT
from small_org import PAGES, columns_holding, emails, files, holders, load_org, own_db, page_text, person_key  # noqa: F401,E501

from queries import metrics, retention, uploads, warehouse
from queries.imports import ImportRefused


def maintain(db, months):
    env = {**os.environ, "DASHBOARD_PEPPER": PEPPER, "DASHBOARD_RETENTION_MONTHS": str(months)}
    return subprocess.run([sys.executable, "-m", "queries", "maintain", "--db", db], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def figures(location):
    with warehouse.opened(location) as conn:
        rollups = {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                   for t in ("org_rollup", "cohort_rollup", "segment_moves", "month_status", "department_kpis")}
        per_month = {str(m): metrics.org_month(conn, m) for m in metrics.months(conn)}
    return rollups, per_month


def test_setting_reads_the_environment_then_the_settings_file():
    assert retention.setting(None, {}) is None
    assert retention.setting({"person_months": 13}, {}) == 13
    assert retention.setting({"person_months": 13}, {"DASHBOARD_RETENTION_MONTHS": "27"}) == 27
    with pytest.raises(ValueError):
        retention.setting(None, {"DASHBOARD_RETENTION_MONTHS": "0"})


@pytest.mark.slow
def test_expired_rows_and_their_bytes_go_and_every_months_figures_stay(own_db, every_group_shown, monkeypatch):
    people = emails()
    leaver = f"leaver.{people[0].split('.')[1]}"
    results = load_org(own_db, people + [leaver], months=("2026-07",))
    load_org(own_db, people, months=("2026-08", "2026-09"))
    before = figures(own_db)
    pages = {page: page_text(own_db, page, monkeypatch) for page in PAGES if page != "app/pages/data.py"}
    gone, kept = person_key(leaver), person_key(people[1])
    assert holders(own_db, gone)

    done = maintain(own_db, 1)
    assert done.returncode == 0, done.stderr
    assert "before 2026-08" in done.stdout and "roster" in done.stdout

    assert figures(own_db) == before
    assert {page: page_text(own_db, page, monkeypatch) for page in pages} == pages
    with warehouse.opened(own_db) as conn:
        assert retention.oldest_person_month(conn).isoformat() == "2026-08-01"
        assert retention.held_from(conn).isoformat() == "2026-08-01"
        for table in retention.person_month_tables(conn):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE month < DATE '2026-08-01'").fetchone()[0] == 0
        assert columns_holding(conn, gone) == []
        assert uploads.events(conn)[0]["action"] == "expired"
    assert holders(own_db, gone) == [] and holders(own_db, kept)

    # An undo or a re-upload of an expired month is refused, saying why; one of a kept month goes ahead and leaves
    # the expired months' figures as they were.
    with warehouse.opened(own_db) as conn, pytest.raises(ImportRefused, match="expired"):
        uploads.undo(conn, results[0].upload_id)
    name, text, kind = files(people, "2026-07")[1]
    with pytest.raises(ImportRefused, match="restore a backup"):
        uploads.import_file(name, text.encode(), location=own_db, month="2026-07", kind=kind)
    name, text, kind = files(people, "2026-09")[1]
    uploads.import_file(name, text.encode(), location=own_db, month="2026-09", kind=kind)
    rollups, per_month = figures(own_db)
    assert per_month["2026-07-01"] == before[1]["2026-07-01"]
    assert [r for r in rollups["org_rollup"] if str(r[0]) == "2026-07-01"] == \
        [r for r in before[0]["org_rollup"] if str(r[0]) == "2026-07-01"]

    again = maintain(own_db, 1)  # nothing more to expire: said so
    assert again.returncode == 0 and "already gone" in again.stdout
