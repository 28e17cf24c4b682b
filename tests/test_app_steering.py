"""AppTest of steering on the pages: the Data page's initiative and target forms (admins alone set targets)."""
import pytest
from conftest import app, copy_warehouse
from test_access import hosted
from test_initiatives import PILOT, org_files

from queries import initiatives, targets, warehouse


def test_the_data_page_records_an_initiative_as_an_upload(demo_db):
    at = app("app/pages/data.py")
    assert not at.exception
    name = next(t for t in at.text_input if t.label == "Name")
    name.set_value("Champion pilot")
    covered = next(m for m in at.multiselect if m.label == "Departments it covers")
    department = covered.options[0]
    covered.set_value([department])
    next(b for b in at.button if b.label == "Record the initiative").click()
    at.run()
    assert not at.exception, at.exception
    assert any("initiatives" in s.value for s in at.success)
    with warehouse.opened(demo_db) as conn:
        held = initiatives.held(conn)
    assert ("Champion pilot", (department,)) in [(i.name, i.departments) for i in held]
    assert "initiatives" in list(at.dataframe[0].value["Kind"])  # the ledger lists it: undo takes it back


def test_an_initiative_without_a_name_is_refused_and_nothing_is_stored(demo_db):
    at = app("app/pages/data.py")
    next(b for b in at.button if b.label == "Record the initiative").click()
    at.run()
    assert any("Give the initiative a name" in e.value for e in at.error)
    with warehouse.opened(demo_db) as conn:
        assert [i.name for i in initiatives.held(conn)] == ["Champion pilot", "Leadership posts"]  # the demo's


def test_only_admins_set_targets(demo_db):
    champion = hosted("ana@comms.example.com", "app/pages/data.py")
    assert not champion.exception
    assert not [b for b in champion.button if b.label == "Set the target"]
    admin = hosted("boss@example.com", "app/pages/data.py")
    next(b for b in admin.button if b.label == "Set the target").click()
    admin.run()
    assert not admin.exception
    with warehouse.opened(demo_db) as conn:
        held = targets.held(conn)
    assert ("adoption", 0.6, None) in [(t.metric, t.value, t.department) for t in held]


def test_the_initiatives_page_without_initiatives_says_how_to_record_one(db, load):
    from conftest import ACTIVITY_SEPT, ROSTER_SEPT

    load("roster.csv", ROSTER_SEPT, month="2026-09")
    load("activity.csv", ACTIVITY_SEPT, month="2026-09")
    at = app("app/pages/initiatives.py")
    assert not at.exception
    assert any("No initiatives recorded yet" in m.value for m in at.markdown)
    assert any("Record an initiative on the Data page" in i.value for i in at.info)


def fill_once(load):
    """tests/test_initiatives.py's organisation with its pilot, an initiative for everyone and a target, imported
    once for the module by conftest's filled_once (fourteen uploads: seconds on DuckLake)."""
    for name, text, month, kind in org_files("app"):
        load(name, text, month=month, kind=kind)
    load("initiatives.csv", PILOT + "All hands,2026-04,,,Town hall\n")
    load("targets.csv", "metric,value,by\nadoption,70%,2026-12\n")


@pytest.fixture
def steered(db, filled_once):
    """A copy of fill_once's organisation at the test's DASHBOARD_DB."""
    return copy_warehouse(filled_once[0], db)


def test_the_initiatives_page_shows_each_effect_its_interval_and_event_study(steered):
    at = app("app/pages/initiatives.py")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["Initiative"]) == ["All hands", "Champion pilot"]
    pilot = table[table["Initiative"] == "Champion pilot"].iloc[0]
    assert pilot["Effect on adoption (points)"] == round((0.25 - 2 / 60) * 100, 1)
    text = " ".join(m.value for m in at.markdown)
    assert "gained 21.7 points on the 3 other departments" in text
    assert "no comparison group: not an effect estimate" in text
    assert len(at.get("vega_lite_chart")) == 1  # the pilot's event study; the whole organisation has none


def test_the_overview_shows_the_target_the_forecast_band_and_the_initiatives(steered):
    at = app("app/pages/overview.py")
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "Adoption 70% by December 2026" in labels
    captions = " ".join(c.value for c in at.caption)
    assert "80% range" in captions
    assert any("Champion pilot" in m.value for m in at.markdown)
    behind = [frame.value for frame in at.dataframe if "Initiative" in frame.value.columns]  # data behind the trend
    assert behind, "the trend's data lists no initiative"
    rows = behind[0]
    assert set(rows["Initiative"].dropna()) == {"All hands", "Champion pilot"}
    assert "Adoption forecast" in set(rows["Measure"].dropna())
    assert "Adoption target 70%" in set(rows["Target"].dropna())


def test_the_brief_prints_targets_and_initiatives(steered):
    import io

    from pypdf import PdfReader

    from queries import brief

    with warehouse.opened(steered) as conn:
        text = PdfReader(io.BytesIO(brief.build_brief(conn, "2026-06"))).pages[0].extract_text()
    assert "Targets, and initiatives' effect on adoption" in text
    assert "Adoption 70% by December 2026" in text and "Champion pilot" in text


def test_a_champion_s_targets_csv_is_refused_in_the_preview_and_nothing_is_stored(demo_db):
    champion = hosted("ana@comms.example.com", "app/pages/data.py")
    champion.file_uploader[0].set_value(("targets.csv", b"metric,value,by\nadoption,80%,2027-12\n", "text/csv"))
    champion.run()
    assert not champion.exception
    assert any("only an admin may set targets" in e.value for e in champion.error)
    assert not [b for b in champion.button if b.label.startswith("Import")]
    with warehouse.opened(demo_db) as conn:
        assert 0.8 not in [t.value for t in targets.held(conn)]
