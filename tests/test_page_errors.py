"""What a viewer sees when a page cannot be drawn: a kind message with a reference code, never a traceback or a
server path; the details in the server log under that code; a plain message while an import holds the warehouse;
a rerun, not a mix of two versions, when the data moves during a run."""
import logging

import pytest
from streamlit import config

from conftest import app
from queries import metrics, warehouse

SECRET_PATH = "/srv/dashboard/private/warehouse.duckdb"


@pytest.fixture
def hosted_errors(monkeypatch, demo_db):
    """Errors handled as a viewer meets them (the suite otherwise lets them raise), on a fresh cache."""
    from app import cache

    monkeypatch.delenv("DASHBOARD_RAISE_ERRORS", raising=False)
    cache._cached_read.clear()
    yield
    cache._cached_read.clear()


@pytest.fixture
def log_records():
    from app import guard

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    guard.log.addHandler(handler)
    yield records
    guard.log.removeHandler(handler)


def every_text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "title", "header", "subheader", "exception",
                 "metric", "expander"):
        for element in getattr(at, kind):
            parts.append(str(getattr(element, "value", "")) + str(getattr(element, "label", "")))
    return "\n".join(parts)


def broken_org_months(conn, *args, **kwargs):
    raise RuntimeError(f"IO Error: could not read {SECRET_PATH}")


def test_an_unexpected_error_shows_a_reference_code_and_logs_the_details(hosted_errors, log_records, monkeypatch):
    monkeypatch.setattr(metrics, "org_months", broken_org_months)
    previous = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "none")  # as the Dockerfile and compose file set it
    try:
        at = app()
    finally:
        config.set_option("client.showErrorDetails", previous)
    assert not at.exception
    [error] = at.error
    assert "Something went wrong" in error.value and "reference" in error.value
    code = error.value.split("reference **")[1].split("**")[0]
    assert len(code) == 6
    assert SECRET_PATH not in every_text(at) and "Traceback" not in every_text(at)
    assert not at.expander, "hosted settings (showErrorDetails none) show no details"
    [record] = [r for r in log_records if code in r.getMessage()]
    assert SECRET_PATH in str(record.exc_info[1])  # the details are in the server log, under the code


def test_local_mode_may_show_the_details_to_the_person_running_it(hosted_errors, monkeypatch):
    monkeypatch.setattr(metrics, "org_months", broken_org_months)
    at = app()
    assert "reference" in at.error[0].value
    [details] = at.expander
    assert "only when the dashboard runs locally" in details.label
    assert SECRET_PATH in at.exception[0].message  # inside the collapsed expander


def test_a_busy_warehouse_says_an_import_is_running(hosted_errors, monkeypatch):
    def busy(*args, **kwargs):
        raise warehouse.WarehouseBusy("the warehouse /x is busy with another import")

    monkeypatch.setattr(warehouse, "read_at", busy)
    at = app()
    assert not at.exception and not at.error
    assert any("An import is running" in i.value for i in at.info)
    assert "/x" not in every_text(at)


def test_data_that_moves_during_a_run_reruns_the_page_at_the_new_version(hosted_errors, monkeypatch):
    original = warehouse.read_at
    moved = []

    def moves_once(location, version, func, *args, **kwargs):
        if not moved:
            moved.append(version)
            raise warehouse.VersionMoved("an import landed")
        return original(location, version, func, *args, **kwargs)

    monkeypatch.setattr(warehouse, "read_at", moves_once)
    at = app()
    assert moved and not at.exception and not at.error
    assert at.title[0].value == "Overview" and at.metric  # the rerun drew the whole page


def test_data_that_keeps_moving_ends_in_the_busy_message_not_endless_reruns(hosted_errors, monkeypatch):
    calls = []

    def always_moves(*args, **kwargs):
        calls.append(1)
        raise warehouse.VersionMoved("uploads land faster than the page reads")

    monkeypatch.setattr(warehouse, "read_at", always_moves)
    at = app()
    assert not at.exception and not at.error
    assert any("An import is running" in i.value for i in at.info)
    assert len(calls) == 4  # the first run and three reruns
