"""Participation (docs/metrics.md#participation) on a small organisation counted by hand: segments, habitual,
stickiness, segment moves and cohort retention; their minimum group size; the CLI; the example rubric."""
import datetime as dt
import json
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import DUCKLAKE, PEPPER, ROOT, copy_warehouse, fresh_location
from queries import __main__ as cli
from queries import participation, stages, uploads, warehouse
from queries.metrics import Filters

ROSTER = ("email,department,region,business_unit,level\n"
          "ann@example.com,Sales,EMEA,Commercial,staff\nben@example.com,Sales,EMEA,Commercial,staff\n"
          "cat@example.com,Legal,EMEA,Corporate,staff\ndan@example.com,Legal,NA,Corporate,staff\n"
          "eve@example.com,Legal,NA,Corporate,staff\n")
HEADER = "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n"
# Ann posts every month; Ben reads, then reacts, then nothing, then replies; Cat reads from August; Dan never shows
# up; Eve reads in July only.
ACTIVITY = {
    "2026-07": ["ann,1,0,0,4", "ben,0,0,0,3", "eve,0,0,0,1"],
    "2026-08": ["ann,2,0,0,0", "ben,0,0,1,0", "cat,0,0,0,2"],
    "2026-09": ["ann,1,1,0,0", "cat,0,0,0,1"],
    "2026-10": ["ann,1,0,0,0", "ben,0,1,0,0", "cat,0,0,0,5"],
}
JUL, AUG, SEP, OCT = (dt.date(2026, m, 1) for m in (7, 8, 9, 10))


def activity_file(month: str, rows: list[str]) -> str:
    lines = []
    for row in rows:
        who, posts, replies, reactions, reads = row.split(",")
        lines.append(f"{month},{who}@example.com,slack,{posts},{replies},{reactions},{reads},,\n")
    return HEADER + "".join(lines)


def fill_once(load):
    load("roster.csv", ROSTER, month="2026-07")
    for month, rows in ACTIVITY.items():
        load(f"activity-{month}.csv", activity_file(month, rows))


@pytest.fixture
def organisation(filled_once, db):
    copy_warehouse(filled_once[0], db)


@pytest.mark.usefixtures("every_group_shown")
def test_segments_habitual_and_stickiness_by_hand(organisation, conn):
    rows = {r["month"]: r for r in participation.segments_by_month(conn, JUL, OCT)}
    expected = {
        # creators, responders, observers, inactive, habitual, stickiness
        JUL: (1, 0, 2, 2, None, 1.0),  # habitual: May and June hold no activity
        AUG: (1, 1, 1, 2, None, 3 / 4),  # Eve, active in July, counts in the 12 months
        SEP: (1, 0, 1, 3, 1, 2 / 4),  # only Ann was active in July, August and September
        OCT: (1, 1, 1, 2, 2, 3 / 4),  # Ann and Cat active August to October; Ben missed September
    }
    for month, values in expected.items():
        row = rows[month]
        found = tuple(row[k] for k in ("creators", "responders", "observers", "inactive", "habitual", "stickiness"))
        assert found == pytest.approx(values), month
        assert sum(row[k] for k in participation.SEGMENTS) == row["headcount"] == 5


@pytest.mark.usefixtures("every_group_shown")
def test_filters_scope_the_segments(organisation, conn):
    sales = participation.segments(conn, OCT, Filters(departments=("Sales",)))
    assert sales == {"creators": 1, "responders": 1, "observers": 0, "inactive": 0, "habitual": 1,
                     "stickiness": 1.0}
    legal = participation.segments(conn, OCT, Filters(departments=("Legal",), regions=("NA",)))
    assert legal == {"creators": 0, "responders": 0, "observers": 0, "inactive": 2, "habitual": 0,
                     "stickiness": 0.0}  # Dan and Eve: Eve was active in July, nobody now
    assert participation.segments(conn, OCT, Filters(departments=("Legal",), regions=("NA",)))["stickiness"] == 0.0
    dan = participation.segments(conn, JUL, Filters(departments=("Legal",), regions=("NA",)))
    assert dan["stickiness"] == 1.0  # Eve active in July itself


@pytest.mark.usefixtures("every_group_shown")
def test_segment_moves_by_hand(organisation, conn):
    moved = {(r["from_segment"], r["to_segment"]): r["people"] for r in participation.moves(conn, AUG, AUG)}
    assert moved == {("creator", "creator"): 1, ("observer", "responder"): 1, ("inactive", "observer"): 1,
                     ("inactive", "inactive"): 1, ("observer", "inactive"): 1}
    assert participation.moved_up_and_down(participation.moves(conn, AUG, AUG)) == (1, 0)
    assert participation.moves(conn, JUL, JUL) == []  # June holds nothing to move from


@pytest.mark.usefixtures("every_group_shown")
def test_cohort_retention_by_hand(organisation, conn):
    assert participation.cohorts(conn, JUL, OCT) == [
        {"cohort": JUL, "size": 3, "retention": {1: pytest.approx(2 / 3), 2: pytest.approx(1 / 3),
                                                 3: pytest.approx(2 / 3)}},  # Ann, Ben and Eve
        {"cohort": AUG, "size": 1, "retention": {1: 1.0, 2: 1.0}},  # Cat
    ]
    # up to September only, and for Legal only (Eve's July cohort)
    assert participation.cohorts(conn, JUL, SEP, Filters(departments=("Legal",))) == [
        {"cohort": JUL, "size": 1, "retention": {1: 0.0, 2: 0.0}},
        {"cohort": AUG, "size": 1, "retention": {1: 1.0}},
    ]


def test_minimum_group_size_withholds_small_scopes_and_cohorts(organisation, conn, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "3")
    assert participation.segments(conn, OCT)["creators"] == 1  # five people: shown
    withheld = participation.segments(conn, OCT, Filters(departments=("Sales",)))
    assert withheld == {key: None for key in participation.CLI_KEYS}
    assert participation.moves(conn, OCT, OCT, Filters(departments=("Sales",))) == []
    assert [c["cohort"] for c in participation.cohorts(conn, JUL, OCT)] == [JUL]  # Cat's cohort of one is not shown
    assert participation.cohorts(conn, JUL, OCT, Filters(departments=("Sales",))) == []


def test_segments_need_contribution_data(load, conn, every_group_shown):
    load("roster.csv", ROSTER, month="2026-07")
    load("reads.csv", "month,email,tool,posts,reads\n2026-07,ann@example.com,slack,,3\n")  # posts and replies unknown
    found = participation.segments(conn, JUL)
    assert found["creators"] is None and found["observers"] is None
    assert found["inactive"] == 4 and found["stickiness"] == 1.0


@pytest.mark.usefixtures("every_group_shown")
def test_cli_segments_and_cohorts(organisation, db, capsys):
    assert cli.main(["segments", "--month", "2026-10", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out) == {"creators": 1, "responders": 1, "observers": 1, "inactive": 2,
                                                   "habitual": 2, "stickiness": 0.75}
    assert cli.main(["segments", "--month", "2026-10", "--json", "--db", db, "--department", "Sales"]) == 0
    assert json.loads(capsys.readouterr().out)["inactive"] == 0
    assert cli.main(["cohorts", "--json", "--db", db]) == 0
    cohorts = json.loads(capsys.readouterr().out)
    assert cohorts[1] == {"cohort": "2026-08", "size": 1, "retention": {"1": 1.0, "2": 1.0}}
    assert [c["cohort"] for c in cohorts] == ["2026-07", "2026-08"]
    assert cli.main(["cohorts", "--json", "--db", db, "--department", "Nowhere"]) == 1
    assert "--department 'Nowhere' is not in the data held; choose from: Legal, Sales." in capsys.readouterr().err
    assert cli.main(["segments", "--month", "2025-01", "--db", db]) == 1
    assert "no data for 2025-01" in capsys.readouterr().err
    assert cli.main(["cohorts", "--month", "2025-01", "--db", db]) == 1
    assert "no data for 2025-01" in capsys.readouterr().err


def test_cli_says_why_a_small_selection_shows_nothing(organisation, db, capsys, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "5")  # the organisation has 4 or 5 people, Sales fewer
    assert cli.main(["segments", "--month", "2026-10", "--db", db, "--department", "Sales"]) == 0
    out = capsys.readouterr().out
    assert "Withheld: this selection holds fewer than 5 people" in out and "creators" not in out
    assert cli.main(["segments", "--month", "2026-10", "--json", "--db", db, "--department", "Sales"]) == 0
    assert set(json.loads(capsys.readouterr().out).values()) == {None}


def test_cli_on_an_empty_warehouse_says_to_import_first(db, capsys):
    for command in (["cohorts"], ["cohorts", "--month", "2026-10"], ["segments"], ["communities"]):
        assert cli.main([*command, "--db", db]) == 1
        err = capsys.readouterr().err
        assert "holds no data" in err and "Traceback" not in err and "index" not in err


# --- property: the segments always partition the headcount --------------------------------------------------------
# Per person and month: on the roster or not, then posts (None: the file leaves it empty), replies, reactions, reads,
# and whether the activity file lists them at all.
PERSON = st.tuples(st.booleans(), st.one_of(st.none(), st.integers(0, 2)), st.integers(0, 2), st.integers(0, 2),
                   st.integers(0, 2), st.booleans())
PEOPLE = st.lists(PERSON, min_size=1, max_size=6)


@pytest.mark.slow
# Each example builds a warehouse of up to three months: six of them on DuckLake, whose imports cost more (CI)
@settings(max_examples=6 if DUCKLAKE else 15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(months=st.lists(PEOPLE, min_size=1, max_size=3))
def test_segments_always_sum_to_the_headcount(months, monkeypatch):
    """Whatever the activity and however the roster changes from month to month, creators + responders + observers
    + inactive is the month's headcount; a month whose file reports no posts or replies has no segments but
    inactive."""
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "1")
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)  # a DuckLake warehouse never generates one
    with tempfile.TemporaryDirectory() as folder:
        location = fresh_location(Path(folder))
        expected = {}
        for index, people in enumerate(months):
            month = f"2026-{index + 1:02d}"
            # Person 0 is always on the roster and listed: a roster and an activity file each need a row.
            on_roster = [i for i, person in enumerate(people) if person[0] or i == 0]
            roster = "email,department,region,business_unit,level\n" + "".join(
                f"p{i}@example.com,D{i % 2},R,U,staff\n" for i in on_roster)
            uploads.import_file(f"roster-{month}.csv", roster.encode(), location=location, month=month)
            rows = [f"{month},p{i}@example.com,slack,{'' if posts is None else posts},"
                    f"{'' if posts is None else replies},{reactions},{reads},,\n"
                    for i, (_, posts, replies, reactions, reads, listed) in enumerate(people) if listed or i == 0]
            uploads.import_file(f"a-{month}.csv", (HEADER + "".join(rows)).encode(), location=location,
                                month=month)
            expected[month] = len(on_roster)
        with warehouse.opened(location) as conn:
            found = participation.segments_by_month(conn, "2026-01", f"2026-{len(months):02d}")
            assert {f"{row['month']:%Y-%m}": row["headcount"] for row in found} == expected
            for row in found:
                if row["creators"] is not None:
                    assert sum(row[k] for k in participation.SEGMENTS) == row["headcount"]
                else:
                    assert row["responders"] is None and row["observers"] is None
                    assert 0 <= row["inactive"] <= row["headcount"]
        warehouse.forget(location)


# --- the example rubric: an optional habitual-share criterion ------------------------------------------------------
EXAMPLE = ROOT / "docs" / "rubric-example.toml"


def test_the_example_rubric_is_the_default_plus_one_habitual_criterion():
    default = tomllib.loads((ROOT / "data" / "stages.toml").read_text())
    example = tomllib.loads(EXAMPLE.read_text())
    added = [c for c in example["criteria"] if c not in default["criteria"]]
    assert [c["measure"] for c in added] == ["habitual_share"]
    assert [c for c in example["criteria"] if c not in added] == default["criteria"]
    assert example["settings"] == default["settings"] and example["stages"] == default["stages"]
    assert all(c["measure"] != "habitual_share" for c in default["criteria"])


@pytest.mark.usefixtures("every_group_shown")
def test_the_example_rubric_measures_the_habitual_share(organisation, conn):
    rubric = stages.load(EXAMPLE)
    habit = stages.evaluate(conn, OCT, rubric).criterion("3f")
    assert habit.value == pytest.approx(2 / 5) and habit.status == "met"
    assert stages.evaluate(conn, SEP, rubric).criterion("3f").value == pytest.approx(1 / 5)
    assert stages.evaluate(conn, AUG, rubric).criterion("3f").status == stages.NO_DATA
    default = stages.evaluate(conn, OCT)
    assert "habitual_share" not in {c.measure for c in default.criteria}
