"""Targets and whether the forecast meets them (queries/targets.py, docs/metrics.md#targets)."""
import datetime as dt

import pytest
from test_initiatives import fill_once, org_files  # noqa: F401 (conftest's filled_once calls fill_once)

from conftest import copy_warehouse
from queries import metrics, targets, uploads, warehouse
from queries.imports import ImportRefused


@pytest.fixture
def org(db, filled_once):
    """A copy of tests/test_initiatives.py's organisation at the test's warehouse."""
    return copy_warehouse(filled_once[0], db)


def test_a_target_is_met_on_course_or_off_course_with_the_forecast_s_chance(org):
    uploads.import_file("targets.csv", b"metric,value,by,department\nadoption,0.45,2026-03,\n"
                                       b"adoption,95%,2027-03,\nadoption,30%,2026-12,\ncontribution,50%,2026-12,Ops\n",
                        location=org)
    with warehouse.opened(org) as conn:
        held = targets.held(conn)
        assert [(t.metric, t.value, t.by, t.department) for t in held] == [
            ("adoption", 0.45, dt.date(2026, 3, 1), None), ("adoption", 0.3, dt.date(2026, 12, 1), None),
            ("contribution", 0.5, dt.date(2026, 12, 1), "Ops"), ("adoption", 0.95, dt.date(2027, 3, 1), None)]
        passed, met, ops, far = (targets.progress(conn, t) for t in held)
    assert passed.forecast is None and not passed.met  # 38 of 103 active in March
    assert "missed, 37% in March 2026 (50% in June 2026)" in passed.sentence
    assert met.met and met.on_course and "met (50% in June 2026)" in met.sentence
    assert far.on_course is False and far.chance < 0.2 and "off course" in far.sentence
    assert far.forecast.month == dt.date(2027, 3, 1) and far.forecast.lo80 <= far.forecast.value
    assert ops.current == pytest.approx(12 / 20)  # already above 50%
    assert ops.met


def test_too_short_a_history_says_why_there_is_no_forecast(db):
    for name, text, month, kind in list(org_files("short"))[:8]:  # four months
        uploads.import_file(name, text.encode(), location=db, month=month, kind=kind)
    uploads.import_file("targets.csv", b"metric,value,by\nadoption,90%,2026-12\n", location=db)
    with warehouse.opened(db) as conn:
        result = targets.progress(conn, targets.held(conn)[0])
    assert result.forecast is None
    assert "needs at least 6 months of history, and there are 4" in result.sentence


def test_undo_takes_a_target_back(org):
    upload = uploads.import_file("targets.csv", b"metric,value,by\nadoption,90%,2026-12\n", location=org)
    replaced = uploads.import_file("targets.csv", b"metric,value,by\nadoption,80%,2026-12\n", location=org)
    assert replaced.replaced == [upload.upload_id]
    with warehouse.opened(org) as conn:
        assert [t.value for t in targets.held(conn)] == [0.8]
        uploads.undo(conn, replaced.upload_id)
        assert [t.value for t in targets.held(conn)] == [0.9]


def test_a_champion_may_record_initiatives_but_not_set_targets(db):
    from queries import access

    champion = access.Actor("champion", "champion 1")
    uploads.import_file("initiatives.csv", b"name,start\nPilot,2026-04\n", location=db, actor=champion)
    with pytest.raises(ImportRefused, match="only an admin may set targets"):
        uploads.import_file("targets.csv", b"metric,value,by\nadoption,60%,2026-12\n", location=db, actor=champion)
    with warehouse.opened(db) as conn, pytest.raises(access.PermissionDenied):  # the commit checks it too
        uploads.commit(conn, uploads.read_upload("targets.csv", b"metric,value,by\nadoption,60%,2026-12\n",
                                                 pepper="p"), actor=champion)
    with warehouse.opened(db) as conn:
        assert targets.held(conn) == []


def test_the_overview_trend_has_no_band_and_says_why_under_six_months(db):
    from queries import stages, views

    for name, text, month, kind in list(org_files("band"))[:8]:  # four months
        uploads.import_file(name, text.encode(), location=db, month=month, kind=kind)
    with warehouse.opened(db) as conn:
        model = views.overview(conn, views.scope_for(metrics.months(conn)), stages.load())
    assert model.trend.kwargs["forecasts"] == ()
    assert "Adoption has no forecast: it needs at least 6 months of history, and there are 4" in model.forecast_note


@pytest.mark.parametrize("written,share", [("60%", 0.6), ("0.6", 0.6), ("60", 0.6), ("1%", 0.01), ("0.5%", 0.005),
                                           ("1", 1.0)])
def test_a_target_value_is_read_as_written(db, written, share):
    uploads.import_file("targets.csv", f"metric,value,by\nadoption,{written},2026-12\n".encode(), location=db)
    with warehouse.opened(db) as conn:
        assert [t.value for t in targets.held(conn)] == [pytest.approx(share)]


def test_a_department_s_target_follows_it_through_a_rename(org):
    uploads.import_file("targets.csv", b"metric,value,by,department\nadoption,70%,2026-12,Ops\n", location=org)
    uploads.import_file("departments.csv", b"month,from,to\n2026-07,Ops,Operations\n", location=org)
    with warehouse.opened(org) as conn:
        [target] = targets.held(conn)
        progress = targets.progress(conn, target)
    assert target.department == "Operations"
    assert progress.current == pytest.approx(12 / 20)


def test_a_passed_target_month_without_a_figure_is_not_called_missed(org):
    from queries import stages, views

    uploads.import_file("targets.csv", b"metric,value,by\nadoption,40%,2025-06\n", location=org)
    with warehouse.opened(org) as conn:
        model = views.overview(conn, views.scope_for(metrics.months(conn)), stages.load())
    [tile] = model.goals
    assert tile.delta is None and "no figure for June 2025" in tile.help
