"""Departments as organised today (docs/metrics.md#departments-as-organised-today): a rename and a merger counted by
hand, as today and as then; departments.csv refusals; the rename a new roster suggests; the sidebar's choice."""
import datetime as dt

import pytest

from conftest import app, copy_warehouse
from queries import adoption, coe, departments, metrics, stages, uploads, warehouse
from queries.imports import ImportRefused

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
HEADER = "email,department,region,business_unit,level\n"
# Ten people: Field (a, b) and Inside (c, d) merge into Sales in March; Ops is renamed Operations in February.
GROUPS = {
    "2026-01": {"Field": "ab", "Inside": "cd", "Ops": "efg", "Legal": "hij"},
    "2026-02": {"Field": "ab", "Inside": "cd", "Operations": "efg", "Legal": "hij"},
    "2026-03": {"Sales": "abcd", "Operations": "efg", "Legal": "hij"},
}
ACTIVE = {"2026-01": "abehi", "2026-02": "acefh", "2026-03": "abcefgh"}
RENAMES = "month,from,to\n2026-02,Ops,Operations\n2026-03,Field,Sales\n2026-03,Inside,Sales\n"


def roster(month: str) -> str:
    return HEADER + "".join(f"{p}@example.com,{dept},EMEA,Corporate,staff\n"
                            for dept, people in GROUPS[month].items() for p in people)


def activity(month: str) -> str:
    return "month,email,tool,posts\n" + "".join(f"{month},{p}@example.com,slack,1\n" for p in ACTIVE[month])


def fill_once(load) -> uploads.UploadResult:
    """The ten people above, the champion register naming a (Field) in January, and the renames (the result)."""
    for month in GROUPS:
        load(f"roster-{month}.csv", roster(month), month=month)
        load(f"activity-{month}.csv", activity(month))
    load("champions.csv", "email,department\na@example.com,Field\n", month="2026-01")
    return load("departments.csv", RENAMES)


@pytest.fixture
def organisation(filled_once, db, monkeypatch):
    """A copy of the organisation at the test's warehouse; groups of three are shown, so Field and Inside (two
    each) are withheld as then, and Sales (four) is not. The fixture's value is the renames' result."""
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "3")
    copy_warehouse(filled_once[0], db)
    return filled_once[1]


THEN = metrics.Filters(as_then=True)


def rates(conn, filters, month=None):
    found = adoption.by_dimension(conn, "department", month or JAN, month or MAR, filters)
    return {(r["month"], r["group"]): (None if r["suppressed"] else round(r["adoption_rate"], 4)) for r in found}


def test_trends_continue_under_todays_names_and_show_the_old_names_as_then(organisation, conn):
    assert rates(conn, metrics.ALL) == {
        (JAN, "Sales"): 0.5, (JAN, "Operations"): 0.3333, (JAN, "Legal"): 0.6667,
        (FEB, "Sales"): 0.5, (FEB, "Operations"): 0.6667, (FEB, "Legal"): 0.3333,
        (MAR, "Sales"): 0.75, (MAR, "Operations"): 1.0, (MAR, "Legal"): 0.3333,
    }
    # As then: each month's roster names; the two halves of Sales are two people each, fewer than three.
    assert rates(conn, THEN) == {
        (JAN, "Field"): None, (JAN, "Inside"): None, (JAN, "Ops"): 0.3333, (JAN, "Legal"): 0.6667,
        (FEB, "Field"): None, (FEB, "Inside"): None, (FEB, "Operations"): 0.6667, (FEB, "Legal"): 0.3333,
        (MAR, "Sales"): 0.75, (MAR, "Operations"): 1.0, (MAR, "Legal"): 0.3333,
    }
    assert metrics.filter_options(conn).departments == ["Legal", "Operations", "Sales"]
    assert metrics.filter_options(conn, as_then=True).departments == ["Field", "Inside", "Legal", "Operations",
                                                                      "Ops", "Sales"]


def test_a_filter_selects_by_todays_name_and_the_merged_group_passes_the_minimum(organisation, conn):
    sales = metrics.org_month(conn, JAN, metrics.Filters(("Sales",)))
    assert sales["headcount"] == 4 and sales["adoption_rate"] == 0.5
    # As then, January had no Sales, and Field alone is two people: withheld.
    assert metrics.org_month(conn, JAN, metrics.Filters(("Sales",), as_then=True))["headcount"] is None
    field = metrics.Filters(("Field",), as_then=True)
    assert metrics.org_month(conn, JAN, field)["headcount"] is None
    assert metrics.withheld_months(conn, JAN, MAR, field) == [JAN, FEB]
    # The whole organisation is the same either way, but for the figures that count departments.
    today, then = metrics.org_month(conn, JAN), metrics.org_month(conn, JAN, THEN)
    assert {k: v for k, v in today.items() if k != "champion_coverage"} == {
        k: v for k, v in then.items() if k != "champion_coverage"}


def test_departments_are_counted_as_organised_today(organisation, conn):
    # Champion coverage: departments with a champion over departments, 1 of 3 today, 1 of 4 as then.
    assert metrics.org_month(conn, JAN)["champion_coverage"] == pytest.approx(1 / 3)
    assert metrics.org_month(conn, JAN, THEN)["champion_coverage"] == pytest.approx(1 / 4)
    today = {r["department"]: r for r in coe.departments(conn, JAN)}
    assert sorted(today) == ["Legal", "Operations", "Sales"]
    assert today["Sales"]["has_champion"] and not today["Sales"]["suppressed"] and today["Sales"]["headcount"] == 4
    then = {r["department"]: r for r in coe.departments(conn, JAN, THEN)}
    assert then["Field"]["suppressed"] and then["Inside"]["suppressed"] and then["Field"]["headcount"] is None
    # The stage rubric's departments at the adoption bar and the lowest department count today's departments.
    measures = stages.measure_values(conn, JAN, JAN)[JAN]
    assert measures["lowest_department_adoption"] == pytest.approx(1 / 3)
    assert measures["breadth"] == pytest.approx(1.0)  # Sales 50%, Operations 33%, Legal 67%: all at 30%


def test_undo_of_the_renames_shows_history_as_it_was(organisation, db, conn):
    uploads.undo(conn, organisation.upload_id)
    assert rates(conn, metrics.ALL) == rates(conn, THEN)
    assert metrics.filter_options(conn).departments == ["Field", "Inside", "Legal", "Operations", "Ops", "Sales"]


def test_renames_are_no_months_held(organisation, conn, load):
    load("later.csv", "month,from,to\n2031-01,Legal,Law\n")
    assert metrics.months(conn) == [JAN, FEB, MAR]
    # A rename from a month after every roster does not rename the departments of earlier rosters... it does:
    # every roster before 2031-01 that names Legal names the department called Law today.
    assert ("Law" in metrics.filter_options(conn).departments
            and "Legal" not in metrics.filter_options(conn).departments)


def test_todays_name_follows_renames_in_month_order():
    R = departments.Rename
    rows = departments.today_names([
        R(FEB, "A", "B"), R(MAR, "B", "C"),  # A → B → C
        R(JAN, "X", "Y"), R(MAR, "Z", "X"),  # X renamed away, its name later reused by Z
        R(JAN, "P", "Q"), R(FEB, "Q", "P"),  # renamed and back
    ])
    found = {(d, s, u): t for d, s, u, t in rows}
    assert found[("A", None, FEB)] == "C" and found[("B", None, MAR)] == "C"
    assert found[("X", None, JAN)] == "Y" and found[("Z", None, MAR)] == "X"
    assert ("P", None, JAN) not in found and found[("Q", None, FEB)] == "P"


@pytest.mark.parametrize("text, says", [
    ("month,from,to\n2026-03,Field,Sales\n2026-03,Sales,Field\n", "chain or a cycle"),
    ("month,from,to\n2026-03,Field,Sales\n2026-03,Sales,Revenue\n", "chain or a cycle"),
    ("month,from,to\n2026-03,Field,Field\n", "to the same name"),
    ("month,from,to\n2026-03,,Sales\n", 'column "from" is blank'),
    ("month,from,to\n2026-03,Field,\n", 'column "to" is blank'),
    ("month,from,to\n2026-03,Field,Sales\n2026-03,Field,Revenue\n", "repeats the same renamed department (from)"),
    ("month,from,to\nMarch,Field,Sales\n", "is not a real month"),
    ("month,before,after\n2026-03,Field,Sales\n", "missing the required column(s) from, to"),
])
def test_unclear_renames_are_refused_and_change_nothing(load, conn, text, says):
    with pytest.raises(ImportRefused) as refused:
        load("departments.csv", text, kind="departments")
    assert says in str(refused.value) and str(refused.value).startswith("departments.csv: ")
    assert uploads.ledger(conn) == []


def pending_roster(month: str, text: str):
    from queries.imports import read_upload

    return read_upload(f"roster-{month}.csv", text.encode(), pepper="test-pepper", month=month, kind="roster")


def test_a_new_roster_suggests_the_rename_and_records_it_only_when_asked(load, db, conn):
    for month in ("2026-01", "2026-02"):
        load(f"roster-{month}.csv", roster(month), month=month)
    march = pending_roster("2026-03", roster("2026-03"))
    found = departments.suggested_renames(conn, march)
    assert [(s.month, s.from_department, s.to_department, s.share) for s in found] == [
        (MAR, "Field", "Sales", 1.0), (MAR, "Inside", "Sales", 1.0)]
    assert "Record the rename Field → Sales from 2026-03?" in found[0].sentence
    assert departments.live_renames(conn) == []  # never applied silently
    # Recorded one at a time (two clicks): the second keeps the first, as a departments upload in the ledger.
    departments.record_renames(db, [departments.Rename(MAR, "Field", "Sales")], actor=uploads.LOCAL)
    departments.record_renames(db, [departments.Rename(MAR, "Inside", "Sales")], actor=uploads.LOCAL)
    assert [(r.from_department, r.to_department) for r in departments.live_renames(conn, MAR)] == [
        ("Field", "Sales"), ("Inside", "Sales")]
    assert [(r["kind"], r["status"]) for r in uploads.ledger(conn)][:2] == [("departments", "active"),
                                                                           ("departments", "replaced")]
    assert departments.suggested_renames(conn, march) == []  # recorded: not suggested again


def test_no_suggestion_when_most_people_do_not_follow_one_new_name(load, conn):
    load("roster-2026-01.csv", roster("2026-01"), month="2026-01")
    # Ops disappears: one of its three people goes to the new Platform, two to Legal, which existed before.
    text = HEADER + "".join(f"{p}@example.com,{d},EMEA,Corporate,staff\n" for d, people in
                            {"Field": "ab", "Inside": "cd", "Platform": "e", "Legal": "fghij"}.items() for p in people)
    assert departments.suggested_renames(conn, pending_roster("2026-02", text)) == []
    # Half to each of two new names: which one is unclear, so nothing is suggested either.
    text = HEADER + "".join(f"{p}@example.com,{d},EMEA,Corporate,staff\n" for d, people in
                            {"Field": "a", "North": "b", "Inside": "cd", "Ops": "efg", "Legal": "hij"}.items()
                            for p in people)
    assert departments.suggested_renames(conn, pending_roster("2026-02", text)) == []


def test_the_sidebar_choice_shows_departments_as_then_and_is_kept_in_the_url(organisation):
    at = app("app/pages/adoption.py")
    assert not at.exception, at.exception
    assert at.radio(key="f_organised").value == "today"
    assert at.multiselect(key="f_departments").options == ["Legal", "Operations", "Sales"]
    assert "organised" not in at.query_params
    at.radio(key="f_organised").set_value("then")
    at.run()
    assert not at.exception, at.exception
    assert "Field" in at.multiselect(key="f_departments").options
    value = at.query_params.get("organised")
    assert (value if isinstance(value, str) else value[0]) == "then"

    from streamlit.testing.v1 import AppTest
    from conftest import ROOT

    shared = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    shared.query_params["organised"] = "then"
    shared.query_params["dept"] = "Ops"
    shared.run()
    assert not shared.exception, shared.exception
    assert shared.radio(key="f_organised").value == "then"
    assert shared.multiselect(key="f_departments").value == ["Ops"]


def test_the_data_page_preview_offers_the_rename_and_records_it_on_the_button(load, db):
    for month in ("2026-01", "2026-02"):
        load(f"roster-{month}.csv", roster(month), month=month)
    at = app("app/pages/data.py")
    at.selectbox(key="upload_month").set_value("2026-03")
    at.file_uploader[0].set_value(("roster-march.csv", roster("2026-03").encode(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    offered = [i.value for i in at.info if "Record the rename" in i.value]
    assert len(offered) == 2 and "Field → Sales from 2026" in offered[0].replace("\\", "")
    with warehouse.opened(db) as conn:
        assert departments.live_renames(conn) == []  # previewing records nothing
    button = next(b for b in at.button if b.label.startswith("Record the rename") and "Field" in b.label)
    button.click()
    at.run()
    assert not at.exception, at.exception
    assert any("imported 1 rows of departments" in s.value for s in at.success)
    with warehouse.opened(db) as conn:
        assert [(r.month, r.from_department, r.to_department) for r in departments.live_renames(conn)] == [
            (MAR, "Field", "Sales")]
        assert [r["kind"] for r in uploads.ledger(conn)] == ["departments", "roster", "roster"]  # roster not yet in


def test_the_heatmap_download_and_the_brief_follow_the_choice(organisation, conn):
    from queries import brief, views

    held = metrics.months(conn)
    today = views.adoption_view(conn, views.scope_for(held, MAR))
    then = views.adoption_view(conn, views.scope_for(held, MAR, filters=THEN))
    assert sorted(set(today.heatmap_table.frame["group"])) == ["Legal", "Operations", "Sales"]
    assert sorted(set(then.heatmap_table.frame["group"])) == ["Field", "Inside", "Legal", "Operations", "Ops",
                                                              "Sales"]
    assert "as organised then" in brief._filters_text(THEN)
    assert "as organised" not in brief._filters_text(metrics.ALL)
