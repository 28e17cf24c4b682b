"""Shared fixtures: a fresh warehouse per test, with a fixed pepper and no demo auto-load."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DASHBOARD_LOCK_TIMEOUT", "20")

from queries import uploads, warehouse  # noqa: E402


def _serve_like_streamlit_run() -> None:
    """AppTest re-detects the legacy pages/ folder on every run, so from the second run on it would run a
    page file without dashboard.py. A real server decides once, and st.navigation switches it off for good.
    Make AppTest behave like the server."""
    from streamlit.runtime import pages_manager

    original = pages_manager.PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pages_manager.PagesManager.uses_pages_directory = False

    pages_manager.PagesManager.__init__ = init


_serve_like_streamlit_run()

PEPPER = "test-pepper"


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    """A warehouse location in a temporary folder, used by the app and the CLI through DASHBOARD_DB."""
    location = str(tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("DASHBOARD_DB", location)
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DEMO", "0")
    return location


@pytest.fixture
def load(db):
    """load(name, text_or_bytes, month=None, kind=None) imports one file into the test warehouse."""

    def _load(name: str, content, month=None, kind=None, **kwargs):
        data = content.encode("utf-8") if isinstance(content, str) else content
        return uploads.import_file(name, data, location=db, month=month, kind=kind, **kwargs)

    return _load


@pytest.fixture
def conn(db):
    with warehouse.opened(db) as connection:
        yield connection


def snapshot(location: str) -> dict:
    """Everything an import could change: the ledger, every table's row count, and the latest metrics."""
    from queries import metrics

    with warehouse.opened(location) as connection:
        tables = [r[0] for r in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = 'main' ORDER BY 1").fetchall()]
        counts = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        ledger = uploads.ledger(connection)
        events = connection.execute("SELECT event_id, upload_id, action FROM ledger_events ORDER BY 1").fetchall()
        month_metrics = {str(m): metrics.org_month(connection, m) for m in metrics.months(connection)}
    return {"counts": counts, "ledger": ledger, "events": events, "metrics": month_metrics}


ROSTER_SEPT = (
    "email,department,region,business_unit,level\n"
    "ann@example.com,Sales,EMEA,Commercial,executive\n"
    "ben@example.com,Sales,EMEA,Commercial,staff\n"
    "cat@example.com,Legal,EMEA,Corporate,staff\n"
    "dan@example.com,Legal,NA,Corporate,manager\n"
)
ACTIVITY_SEPT = (
    "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n"
    "2026-09,ann@example.com,viva-engage,2,,3,10,,\n"
    "2026-09,ben@example.com,slack,0,1,0,,,4\n"
    "2026-09,ben@example.com,viva-engage,0,,0,5,,\n"
    "2026-09,zed@example.com,slack,4,0,0,,,2\n"
)


def app(page: str | None = None, timeout: int = 120):
    """An AppTest of the dashboard, optionally switched to a page such as 'pages/data.py'."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> str:
    """The demo organisation loaded once per test session; tests get a copy through `demo_db`."""
    from queries import demo

    location = str(tmp_path_factory.mktemp("demo") / "warehouse.duckdb")
    previous = os.environ.get("DASHBOARD_PEPPER")
    os.environ["DASHBOARD_PEPPER"] = PEPPER
    try:
        demo.load_demo(location)
    finally:
        if previous is None:
            os.environ.pop("DASHBOARD_PEPPER", None)
        else:
            os.environ["DASHBOARD_PEPPER"] = previous
    return location


@pytest.fixture
def demo_db(db, demo_template) -> str:
    """A fresh copy of the demo warehouse at the test's DASHBOARD_DB."""
    import shutil

    shutil.copyfile(demo_template, db)
    return db
