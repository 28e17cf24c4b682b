"""AppTest of Where we stand (ladder, gaps, evidence, history, checklist) and the compact ladder on the Overview."""
import datetime as dt
import re

from conftest import app
from queries import checklist, uploads, warehouse
from queries.rubric import DEFAULT_RUBRIC

PAGE = "app/pages/stages.py"


def charts(at):
    return [e for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]


def texts(at) -> str:
    return " ".join(e.value for e in [*at.markdown, *at.caption, *at.subheader, *at.info, *at.success, *at.error,
                                       *at.warning])


def test_stage_page_on_the_demo(demo_db):
    at = app(PAGE)
    assert not at.exception, at.exception
    assert at.markdown[0].value == ("## As of October 2026, we are at stage 4 of 6: Formalized, "
                                    "“Organized for scale”.")
    assert len(charts(at)) == 2  # the ladder and the stage history
    headings = [s.value for s in at.subheader]
    assert headings == ["What it takes to reach stage 5, Strategic", "The evidence, stage by stage",
                        "Stage month by month", "Checklist"]
    assert at.get("progress")[0].proto.text == "4 of 5 criteria of stage 5 met"
    assert "5e · The CoE is integrated into core business functions" in texts(at)
    assert "Embed the CoE in core business processes" in texts(at)
    assert [e.label for e in at.expander if e.label != "Data behind this chart"] == [
        "Stage 1 · Planning: passes (4 of 4 met)", "Stage 2 · Presence: passes (4 of 4 met)",
        "Stage 3 · Engagement: passes (5 of 5 met)", "Stage 4 · Formalized: passes (6 of 6 met)",
        "Stage 5 · Strategic: does not pass (4 of 5 met)", "Stage 6 · Converged: does not pass (0 of 5 met)"]
    tables = [d.value for d in at.dataframe]  # the data behind each chart is a table too: find them by their columns
    stage_five = next(t for t in tables if "Criterion" in t and list(t["Criterion"])[:1] == ["5a"])
    assert list(stage_five["Criterion"]) == ["5a", "5b", "5c", "5d", "5e"]
    assert list(stage_five["Status"]) == ["met", "met", "met", "met", "not met"]
    assert list(stage_five["Needs"])[:2] == ["≥ 50%", "≥ 75%"]
    first = next(t for t in tables if "First reached" in t)
    assert list(first["First reached"]) == ["July 2025", "July 2025", "February 2026", "May 2026", "not yet",
                                            "not yet"]
    answers = next(t for t in tables if "Answer" in t)
    assert dict(zip(answers["Criterion"], answers["Answer"])) == {
        "1d": "yes", "2d": "yes", "3e": "yes", "4e": "yes", "4f": "yes", "5e": "no", "6e": "no"}


def test_stage_page_shows_the_projection_for_a_metric_gap(demo_db):
    at = app(PAGE)
    at.selectbox(key="f_month").set_value(dt.date(2025, 12, 1))
    at.run()
    assert not at.exception, at.exception
    assert "stage 2 of 6: Presence" in at.markdown[0].value
    assert "Now 12%, needs ≥ 15%." in texts(at)
    # contribution has a forecast: the month it reaches 15% and the 80% range (docs/metrics.md#forecasts)
    assert any(re.fullmatch(r"Forecast: reached by \w+ \d{4} \(80%: .+\)\.", c.value) for c in at.caption), \
        [c.value for c in at.caption]


def test_stage_page_on_an_empty_warehouse(db):
    at = app(PAGE)
    assert not at.exception, at.exception
    assert at.markdown[0].value.startswith("## Not started")
    assert len(charts(at)) == 1
    assert any("Data page" in i.value for i in at.info)


def test_answering_the_checklist_records_who_and_when(demo_db):
    at = app(PAGE)
    at.selectbox(key="checklist_criterion").set_value("5e")
    at.radio(key="checklist_answer_value").set_value("yes")
    at.text_input(key="checklist_note").input("The CoE now sits in quarterly business planning")
    at.button(key="checklist_save").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Saved: 5e answered yes for October 2026 by local" in s.value for s in at.success)
    assert "we are at stage 5 of 6: Strategic" in at.markdown[0].value
    with warehouse.opened(demo_db) as conn:
        latest = uploads.ledger(conn)[0]
        held = checklist.answers_as_of(conn, "2026-10")["5e"]
    assert (latest["kind"], latest["source"], latest["uploaded_by"]) == ("checklist", "stage page", "local")
    assert latest["uploaded_at"] and latest["months"] == "2026-10"
    assert held["answer"] is True and held["who"] == "local" and held["answered_at"]
    assert held["note"] == "The CoE now sits in quarterly business planning"


def test_a_refused_answer_shows_its_message(demo_db):
    at = app(PAGE)
    at.text_input(key="checklist_note").input("=HYPERLINK(\"http://x\")")
    at.button(key="checklist_save").click()
    at.run()
    assert not at.exception, at.exception
    assert any("spreadsheet formula" in e.value for e in at.error)


def test_the_stage_page_accepts_a_checklist_upload(demo_db):
    at = app(PAGE)
    at.file_uploader[0].set_value(("checklist.csv", b"criterion,answer,note\n6e,yes,In the vision\n", "text/csv"))
    at.run()
    at.button(key="checklist_import").click()
    at.run()
    assert not at.exception, at.exception
    assert any("checklist.csv: imported 1 rows of checklist" in s.value.replace("\\", "") for s in at.success)
    with warehouse.opened(demo_db) as conn:
        assert checklist.answers_as_of(conn, "2026-10")["6e"]["answer"] is True
        assert checklist.answers_as_of(conn, "2026-09")["6e"]["answer"] is False  # it holds from October on


def test_an_invalid_rubric_is_reported_by_name(demo_db, tmp_path, monkeypatch):
    bad = tmp_path / "stages.toml"
    bad.write_text(DEFAULT_RUBRIC.read_text().replace('id = "3d"', 'id = "3c"'))
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(bad))
    at = app(PAGE)
    assert not at.exception, at.exception
    assert any("criterion 3c: duplicate id" in e.value.replace("\\", "") for e in at.error)
    at = app()
    assert not at.exception, at.exception
    assert any("criterion 3c: duplicate id" in w.value.replace("\\", "") for w in at.warning)
    assert at.markdown[0].value.startswith("## Adoption")  # the rest of the Overview still shows


def test_overview_shows_the_compact_ladder(demo_db):
    at = app()
    assert not at.exception, at.exception
    assert at.header[0].value == "Stage 4 of 6: Formalized"
    assert "Organized for scale" in at.caption[0].value
    assert at.get("progress")[0].proto.text == "Toward stage 5, Strategic: 4 of 5 criteria met"
    assert any("What it takes next" in c.value and "(5e: no, needs yes)" in c.value for c in at.caption)
    assert any(link.proto.page == "stages" for link in at.get("page_link"))
    assert len(charts(at)) >= 2  # the stage strip and the adoption trend
