"""AppTest of the dashboard shell and the Overview page."""
import pytest
from conftest import ACTIVITY_SEPT, ROSTER_SEPT, app


def run_dashboard():
    at = app()
    assert not at.exception
    return at


def test_empty_warehouse_points_to_the_data_page(db):
    at = run_dashboard()
    assert at.title[0].value == "Overview"
    assert any("Data page" in i.value for i in at.info)


def test_headline_tiles_with_deltas_against_the_previous_month(db, load, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "1")  # four people: below the default group size
    load("roster.csv", ROSTER_SEPT, month="2026-08")
    load("activity-aug.csv", ACTIVITY_SEPT.replace("2026-09", "2026-08").replace("ben@example.com,slack,0,1",
                                                                                 "ben@example.com,slack,0,0"))
    load("activity-sep.csv", ACTIVITY_SEPT)
    at = run_dashboard()
    tiles = {m.label: m for m in at.metric}
    assert tiles["Adoption"].value == "50%"
    assert tiles["Contribution"].value == "50%"
    assert tiles["Contribution"].delta == "+25 pts"
    assert tiles["Headcount"].value == "4"
    assert any("September 2026" in c.value for c in at.caption)


def test_cache_is_fresh_after_an_upload(db, load, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "1")
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    at = run_dashboard()
    assert {m.label: m.value for m in at.metric}["Adoption"] == "—"
    load("activity.csv", ACTIVITY_SEPT)
    at.run()
    assert {m.label: m.value for m in at.metric}["Adoption"] == "50%"


def test_fewer_people_than_the_minimum_group_show_no_figures(db, load):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    load("activity-sep.csv", ACTIVITY_SEPT)
    at = app()
    assert not at.metric
    assert any("fewer than 5 people" in w.value for w in at.warning)


@pytest.mark.slow
def test_demo_loads_itself_on_first_run_with_a_notice(db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DEMO", "1")
    at = app(timeout=300)
    assert not at.exception
    assert any("Demo data" in i.value for i in at.info)
    assert {m.label: m.value for m in at.metric}["Adoption"] == "64%"
