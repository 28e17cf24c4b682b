"""Stage placement: the default rubric, its validation, every criterion at its threshold, gating, no data, the
checklist over time, projections, history and the `stage` CLI."""
import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, fresh_location
from queries import checklist, metrics, rubric as rubric_module, stages, uploads, warehouse
from queries.access import Actor
from queries.rubric import DEFAULT_RUBRIC, RubricError

RUBRIC = stages.load(DEFAULT_RUBRIC)
OCT = dt.date(2026, 10, 1)

# The default rubric (data/stages.toml; docs/metrics.md#criteria-and-measures), row by row: id, stage, measure, threshold (None for checklist questions).
DEFAULT_TABLE = [
    ("1a", 1, "activity_uploaded", 1), ("1b", 1, "roster_applies", 1), ("1c", 1, "kpis_with_target", 1),
    ("1d", 1, "checklist", None),
    ("2a", 2, "adoption_rate", 0.10), ("2b", 2, "contribution_rate", 0.05), ("2c", 2, "active_communities", 3),
    ("2d", 2, "checklist", None),
    ("3a", 3, "adoption_rate", 0.30), ("3b", 3, "contribution_rate", 0.15), ("3c", 3, "responses_per_post", 1.5),
    ("3d", 3, "champion_coverage", 0.25), ("3e", 3, "checklist", None),
    ("4a", 4, "champion_coverage", 0.60), ("4b", 4, "champions_per_1000", 5), ("4c", 4, "training_reach", 0.20),
    ("4d", 4, "kpis_with_objective", 3), ("4e", 4, "checklist", None), ("4f", 4, "checklist", None),
    ("5a", 5, "leadership_participation", 0.50), ("5b", 5, "breadth", 0.75), ("5c", 5, "kpis_on_target_share", 0.50),
    ("5d", 5, "best_kpi_correlation", 0.3), ("5e", 5, "checklist", None),
    ("6a", 6, "min_adoption_6_months", 0.60), ("6b", 6, "lowest_department_adoption", 0.40),
    ("6c", 6, "kpis_on_target_share", 0.75), ("6d", 6, "leadership_participation", 0.75), ("6e", 6, "checklist", None),
]
METRIC_CRITERIA = [c for c in RUBRIC.criteria if not c.is_checklist]


def all_met_values() -> dict:
    """Measured values that meet every metric criterion of the default rubric."""
    values = {}
    for criterion in METRIC_CRITERIA:
        values[criterion.measure] = max(values.get(criterion.measure, criterion.threshold), criterion.threshold)
    return values


ALL_YES = {c.id: True for c in RUBRIC.criteria if c.is_checklist}


# --- The rubric file ---------------------------------------------------------------------------------------------
def test_the_default_rubric_is_rubric_md_exactly():
    assert [(c.id, c.stage, c.measure, c.threshold) for c in RUBRIC.criteria] == DEFAULT_TABLE
    assert all(c.comparison == ">=" for c in METRIC_CRITERIA)
    assert all(c.label and c.hint for c in RUBRIC.criteria)
    assert [(s.number, s.name, s.motto) for s in RUBRIC.stages] == [
        (1, "Planning", "Listen to learn"), (2, "Presence", "Stake our claim"),
        (3, "Engagement", "Dialogue deepens relationships"), (4, "Formalized", "Organized for scale"),
        (5, "Strategic", "Becoming a social business"), (6, "Converged", "Business is social")]
    assert (RUBRIC.pass_share, RUBRIC.min_group_size, RUBRIC.adoption_bar) == (1.0, 5, 0.30)
    assert rubric_module.checklist_ids() == ["1d", "2d", "3e", "4e", "4f", "5e", "6e"]


def edited_rubric(tmp_path, old: str, new: str, count: int = 1):
    text = DEFAULT_RUBRIC.read_text()
    assert old in text, old
    path = tmp_path / "stages.toml"
    path.write_text(text.replace(old, new, count))
    return path


@pytest.mark.parametrize("old, new, message", [
    ('measure = "responses_per_post"', 'measure = "responses"', "criterion 3c: unknown measure 'responses'"),
    ('id = "3d"', 'id = "3C"', "criterion 3c: duplicate id"),
    ('threshold = 1.5', 'threshold = "lots"', "criterion 3c: threshold 'lots' is not a number"),
    ('threshold = 1.5\n', '\n', "criterion 3c: threshold is missing"),
    ('threshold = 0.30\nhint = "Target', 'threshold = 30\nhint = "Target',
     "criterion 3a: threshold 30 for adoption_rate must be between 0 and 1"),
    ('comparison = ">="\nthreshold = 1.5', 'comparison = ">"\nthreshold = 1.5', "criterion 3c: unknown comparison '>'"),
    ('stage = 6\nlabel = "Incentives', 'stage = 7\nlabel = "Incentives',
     "criterion 6e: stage 7 is not one of the stages"),
    ('pass_share = 1.0', 'pass_share = 2', "settings.pass_share = 2 must be"),
    ('[[stages]]\nnumber = 6', '[[stages]]\nnumber = 7', "stage numbers [1, 2, 3, 4, 5, 7]"),
    ('threshold = 1.5', 'threshold = = 1.5', "not valid TOML"),
])
def test_an_invalid_rubric_names_the_entry(tmp_path, old, new, message):
    path = edited_rubric(tmp_path, old, new)
    with pytest.raises(RubricError) as raised:
        stages.load(path)
    assert str(raised.value).startswith(str(path) + ": ")
    assert message in str(raised.value)


def test_a_stage_without_criteria_is_refused(tmp_path):
    text = DEFAULT_RUBRIC.read_text()
    start = text.index('[[criteria]]\nid = "6a"')
    path = tmp_path / "stages.toml"
    path.write_text(text[:start])
    with pytest.raises(RubricError, match=r"stage 6 \(Converged\) has no criteria"):
        stages.load(path)


def test_errors_name_the_file_as_people_know_it():
    raw = rubric_module.load_raw(DEFAULT_RUBRIC)
    raw["criteria"][10]["measure"] = "responses"
    with pytest.raises(RubricError) as raised:
        rubric_module.parse(raw, DEFAULT_RUBRIC)
    assert str(raised.value).startswith("data/stages.toml: criterion 3c: unknown measure 'responses'")


def test_a_checklist_criterion_with_a_threshold_is_fine(tmp_path):
    path = edited_rubric(tmp_path, 'measure = "checklist"\nhint = "Name an executive',
                         'measure = "checklist"\nthreshold = 1\nhint = "Name an executive')
    loaded = stages.load(path)
    sponsor = next(c for c in loaded.criteria if c.id == "4e")
    assert sponsor.threshold is None and sponsor.is_checklist


def test_dashboard_rubric_points_at_an_organisation_copy(tmp_path, monkeypatch):
    path = edited_rubric(tmp_path, 'threshold = 0.10', 'threshold = 0.12')
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(path))
    assert next(c for c in stages.load().criteria if c.id == "2a").threshold == 0.12
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(tmp_path / "missing.toml"))
    with pytest.raises(RubricError, match="missing.toml: the rubric file does not exist"):
        stages.load()


def test_every_measure_the_rubric_may_use_is_evaluated(load):
    load("roster.csv", "email,department,region,business_unit,level\na@x.com,S,E,C,staff\n", month="2026-09")
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as conn:
        values = stages.measure_values(conn, "2026-09", "2026-09", RUBRIC)
    assert set(values[dt.date(2026, 9, 1)]) == set(rubric_module.MEASURES)


# --- Each criterion at, just below and just above its threshold ----------------------------------------------------
def below(criterion) -> float:
    step = 1 if stages.MEASURES[criterion.measure].unit in ("count", "presence") else 0.001
    return criterion.threshold - step


@pytest.mark.parametrize("criterion", METRIC_CRITERIA, ids=[c.id for c in METRIC_CRITERIA])
def test_each_metric_criterion_at_below_and_above_its_threshold(criterion):
    assert stages.judge(criterion, criterion.threshold).status == stages.MET
    assert stages.judge(criterion, below(criterion)).status == stages.NOT_MET
    assert stages.judge(criterion, criterion.threshold + 0.001).status == stages.MET
    missing = stages.judge(criterion, None)
    assert missing.status == stages.NO_DATA and missing.needs.startswith("Upload")


@pytest.mark.parametrize("criterion", METRIC_CRITERIA, ids=[c.id for c in METRIC_CRITERIA])
def test_each_metric_criterion_decides_its_stage(criterion):
    """With everything else met, the criterion below its threshold holds the organisation at the stage before."""
    for value in (criterion.threshold, below(criterion), criterion.threshold + 0.001):
        values = all_met_values()
        values[criterion.measure] = value
        placement = stages.place(OCT, RUBRIC, values, ALL_YES)
        if value >= criterion.threshold:
            assert placement.criterion(criterion.id).status == stages.MET
            assert placement.stage >= criterion.stage  # a criterion sharing the measure may hold a later stage back
        else:
            assert placement.criterion(criterion.id).status == stages.NOT_MET
            assert placement.stage == criterion.stage - 1 and criterion.id in placement.next_stage_gaps


def test_a_value_computed_exactly_at_the_threshold_is_met(load):
    """3 of 10 people active is 30% exactly: adoption meets 3a (every comparison is inclusive)."""
    roster = "email,department,region,business_unit,level\n" + "".join(
        f"p{i}@x.com,Sales,EMEA,C,staff\n" for i in range(10))
    load("roster.csv", roster, month="2026-09")
    load("activity.csv", "month,email,tool,posts,reads\n" + "".join(
        f"2026-09,p{i}@x.com,slack,0,{1 if i < 3 else 0}\n" for i in range(10)))
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as fresh:
        placement = stages.evaluate(fresh, "2026-09", RUBRIC)
    assert placement.criterion("3a").value == 0.3 and placement.criterion("3a").status == stages.MET
    assert placement.criterion("2b").value == 0 and placement.criterion("2b").status == stages.NOT_MET


# --- Measures read from the warehouse ----------------------------------------------------------------------------
def roster_of(departments: dict[str, int], level_of=lambda d, i: "staff") -> str:
    return "email,department,region,business_unit,level\n" + "".join(
        f"{d.lower()}{i}@x.com,{d},EMEA,C,{level_of(d, i)}\n" for d, n in departments.items() for i in range(n))


def test_kpi_counts_take_whole_organisation_rows_with_a_target(load):
    load("roster.csv", roster_of({"Sales": 5}), month="2026-09")
    load("kpis.csv", "month,kpi,department,value,target,unit,higher_is_better,objective\n"
         "2026-09,Engagement,,70,75,%,true,Retain talent\n"
         "2026-09,Attrition,,9,10,%,false,\n"
         "2026-09,NPS,,30,,points,true,Delight customers\n"
         "2026-09,Win rate,Sales,30,35,%,true,Grow revenue\n"
         "2026-09,Engagement,Sales,71,75,%,true,Retain talent\n")
    load("roster.csv", roster_of({"Sales": 5}), month="2026-10")
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as conn:
        values = stages.measure_values(conn, "2026-09", "2026-10", RUBRIC)
    september, october = values[dt.date(2026, 9, 1)], values[dt.date(2026, 10, 1)]
    assert (september["kpis_with_target"], september["kpis_with_objective"]) == (2, 1)
    assert september["kpis_on_target_share"] == 0.5
    # KPIs never carry forward; a month without a KPI upload has no data for 1c and 4d
    assert (october["kpis_with_target"], october["kpis_with_objective"]) == (None, None)
    assert (september["activity_uploaded"], september["roster_applies"]) == (None, 1)


def test_breadth_and_lowest_department_leave_out_small_departments(load):
    load("roster.csv", roster_of({"Sales": 10, "Legal": 10, "Tiny": 3}), month="2026-09")
    active = [f"sales{i}" for i in range(3)] + [f"legal{i}" for i in range(2)] + ["tiny0"]
    load("activity.csv", "month,email,tool,posts\n" + "".join(f"2026-09,{p}@x.com,slack,1\n" for p in active))
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as fresh:
        values = stages.measure_values(fresh, "2026-09", "2026-09", RUBRIC)[dt.date(2026, 9, 1)]
    assert values["breadth"] == 0.5  # Sales at exactly the 30% bar counts; Legal at 20% does not; Tiny is suppressed
    assert values["lowest_department_adoption"] == 0.2
    assert values["activity_uploaded"] == 1 and values["adoption_rate"] == 6 / 23


def test_the_adoption_bar_is_a_rubric_setting(load, tmp_path):
    load("roster.csv", roster_of({"Sales": 10, "Legal": 10}), month="2026-09")
    active = [f"sales{i}" for i in range(3)] + [f"legal{i}" for i in range(2)]
    load("activity.csv", "month,email,tool,posts\n" + "".join(f"2026-09,{p}@x.com,slack,1\n" for p in active))
    lower = stages.load(edited_rubric(tmp_path, "adoption_bar = 0.30", "adoption_bar = 0.20"))
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as conn:
        assert stages.measure_values(conn, "2026-09", "2026-09", lower)[dt.date(2026, 9, 1)]["breadth"] == 1.0


def test_sustained_adoption_needs_all_six_months(load):
    load("roster.csv", roster_of({"Sales": 10}), month="2026-04")
    for month, people in (("2026-04", 9), ("2026-05", 8), ("2026-06", 7), ("2026-07", 9), ("2026-08", 6),
                          ("2026-09", 9)):
        load("activity.csv", "month,email,tool,posts\n" + "".join(
            f"{month},sales{i}@x.com,slack,1\n" for i in range(people)))
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as conn:
        values = stages.measure_values(conn, "2026-08", "2026-09", RUBRIC)
    assert values[dt.date(2026, 9, 1)]["min_adoption_6_months"] == 0.6
    assert values[dt.date(2026, 8, 1)]["min_adoption_6_months"] is None  # March has no data


def test_best_kpi_correlation_across_five_departments(load):
    departments = {name: 5 for name in ("A", "B", "C", "D", "E")}
    load("roster.csv", roster_of(departments), month="2026-09")
    rows = [f"2026-09,{d.lower()}{i}@x.com,slack,1\n" for n, d in enumerate(departments, 1) for i in range(n)]
    load("activity.csv", "month,email,tool,posts\n" + "".join(rows))
    kpis = "month,kpi,department,value,target,unit,higher_is_better,objective\n" + "".join(
        f"2026-09,Sales per head,{d},{10 * n},,,true,\n2026-09,Attrition,{d},{n},,,true,\n"
        for n, d in enumerate(departments, 1))
    load("kpis.csv", kpis)
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as conn:
        values = stages.measure_values(conn, "2026-09", "2026-09", RUBRIC)[dt.date(2026, 9, 1)]
    assert values["best_kpi_correlation"] == pytest.approx(1.0)


# --- Gating, pass share and no data ------------------------------------------------------------------------------
def test_a_later_stage_passing_does_not_lift_the_organisation_over_an_earlier_one():
    values = all_met_values()
    values["active_communities"] = 2  # 2c: stage 2 fails; stages 3 to 6 all pass
    placement = stages.place(OCT, RUBRIC, values, ALL_YES)
    assert [s.passes for s in placement.stages] == [True, False, True, True, True, True]
    assert (placement.stage, placement.stage_name, placement.motto) == (1, "Planning", "Listen to learn")
    assert placement.next_stage_gaps == ("2c",)
    assert placement.next_stage.number == 2 and (placement.next_stage.met, placement.next_stage.total) == (3, 4)


def test_stage_zero_when_planning_does_not_pass():
    placement = stages.place(OCT, RUBRIC, all_met_values(), {**ALL_YES, "1d": False})
    assert (placement.stage, placement.stage_name) == (0, "Not started")
    assert placement.next_stage_gaps == ("1d",)


def test_pass_share_relaxes_what_a_stage_needs(tmp_path):
    relaxed = stages.load(edited_rubric(tmp_path, "pass_share = 1.0", "pass_share = 0.75"))
    values = all_met_values()
    values["active_communities"] = 2
    assert stages.place(OCT, relaxed, values, ALL_YES).stage == 6  # 3 of 4 criteria of stage 2 is 75%
    values["adoption_rate"] = 0.05  # now 2a and 2c are unmet: 2 of 4
    placement = stages.place(OCT, relaxed, values, ALL_YES)
    assert placement.stage == 1 and set(placement.next_stage_gaps) == {"2a", "2c"}


def test_no_data_counts_as_not_met_and_names_the_upload(load):
    load("roster.csv", roster_of({"Sales": 5}), month="2026-09")
    with warehouse.opened(os.environ["DASHBOARD_DB"]) as fresh:
        placement = stages.evaluate(fresh, "2026-09", RUBRIC)
    assert placement.stage == 0
    statuses = {c.id: c.status for c in placement.criteria}
    assert statuses["1b"] == stages.MET
    assert all(statuses[i] == stages.NO_DATA for i in ("1a", "1c", "1d", "2a", "3c", "4c", "5d", "6a"))
    assert placement.next_stage_gaps == ("1a", "1c", "1d")
    needs = {c.id: c.needs for c in placement.gaps}
    assert "activity export" in needs["1a"] and needs["1c"] == "Upload kpis.csv with targets for this month"
    assert "checklist" in needs["1d"]
    assert placement.projections["1c"].months is None  # no data: nothing to project from


def test_a_month_the_warehouse_does_not_hold_has_no_data(conn):
    placement = stages.evaluate(conn, "2026-09", RUBRIC)
    assert placement.stage == 0 and {c.status for c in placement.criteria} == {stages.NO_DATA}


# --- Checklist answers over time ---------------------------------------------------------------------------------
def test_checklist_answers_hold_from_their_month_on_until_changed(db, conn):
    checklist.answer(conn, "2026-05", "1d", True, "agreed")
    checklist.answer(conn, "2026-08", "1d", False, "withdrawn")
    answers = {m: stages.checklist_answers(conn, m).get("1d") for m in ("2026-04", "2026-05", "2026-07", "2026-08",
                                                                        "2026-12")}
    assert answers == {"2026-04": None, "2026-05": True, "2026-07": True, "2026-08": False, "2026-12": False}
    judged = stages.judge(next(c for c in RUBRIC.criteria if c.id == "1d"), None, answers["2026-04"])
    assert judged.status == stages.NO_DATA


def test_an_answer_from_the_stage_page_goes_through_the_ledger(db, conn):
    result = checklist.answer(conn, "2026-09", "4e", True, "The COO, named in =September", who="champion 1a2b")
    row = uploads.ledger(conn)[0]
    assert (row["upload_id"], row["kind"], row["source"], row["uploaded_by"]) == (
        result.upload_id, "checklist", "stage page", "champion 1a2b")
    held = checklist.answers_as_of(conn, "2026-09")["4e"]
    assert held["who"] == "champion 1a2b" and held["answered_at"] and held["note"] == "The COO, named in =September"
    with pytest.raises(uploads.ImportRefused, match="not a checklist criterion"):
        checklist.answer(conn, "2026-09", "2a", True)
    with pytest.raises(uploads.PermissionDenied):
        checklist.answer(conn, "2026-09", "4e", True, actor=Actor("viewer", "viewer x"))


def test_a_checklist_file_without_a_month_answers_for_the_month_given(db):
    done = checklist.import_answers(db, "checklist.csv", b"criterion,answer,note\n2d,yes,published\n", "2026-07")
    assert done.months == ["2026-07"]
    done = checklist.import_answers(db, "checklist.csv", b"month,criterion,answer\n2026-03,3e,yes\n", "2026-07")
    assert done.months == ["2026-03"]


@pytest.mark.slow
def test_answering_moves_the_demo_up_from_that_month_only(demo_db):
    with warehouse.opened(demo_db) as conn:
        before = stages.evaluate(conn, OCT, RUBRIC)
        assert (before.stage, before.stage_name, before.next_stage_gaps) == (4, "Formalized", ("5e",))
        checklist.answer(conn, OCT, "5e", True, "CoE sits in business planning")
        assert stages.evaluate(conn, OCT, RUBRIC).stage == 5
        assert stages.evaluate(conn, "2026-09", RUBRIC).stage == 4


# --- Projections -------------------------------------------------------------------------------------------------
def months_to(values):
    start = dt.date(2026, 5, 1)
    return [(stages._shift(start, i), v) for i, v in enumerate(values)]


ADOPTION = next(c for c in RUBRIC.criteria if c.id == "3a")  # adoption_rate >= 0.30


@pytest.mark.parametrize("values, months, reason", [
    ([0.10, 0.12, 0.14, 0.16, 0.18, 0.20], 5, ""),  # 2 points a month, 10 points to go
    ([0.20, 0.20, 0.25, 0.25, 0.29, 0.29], 1, ""),
    ([0.20, 0.20, 0.20, 0.20, 0.20, 0.20], None, "not at the current pace"),
    ([0.28, 0.27, 0.26, 0.25, 0.24, 0.23], None, "not at the current pace"),
    ([0.10, 0.12, 0.14, 0.16, 0.18, None], None, "no data to project from"),
    ([None, None, None, None, 0.18, 0.20], None, "not enough months of data to project"),
    ([None, 0.12, None, 0.16, None, 0.20], 5, ""),  # gaps in the months are fine
])
def test_projection_from_the_last_six_months(values, months, reason):
    projection = stages.project(ADOPTION, months_to(values))
    assert projection.months == months
    assert projection.text == (f"in about {months} month{'s' if months != 1 else ''}" if months else reason)


def test_projection_for_a_lower_is_better_criterion():
    lower = stages.Criterion("x1", 1, "Backlog shrinks", "responses_per_post", "<=", 1.0, "")
    assert stages.project(lower, months_to([2.0, 1.9, 1.8, 1.7, 1.6, 1.5])).months == 5
    assert stages.project(lower, months_to([1.5, 1.6, 1.7, 1.8, 1.9, 2.0])).months is None


def test_projections_are_given_for_the_next_stages_metric_gaps_only(demo_db):
    with warehouse.opened(demo_db) as conn:
        placement = stages.evaluate(conn, "2025-12", RUBRIC)
    assert (placement.stage, placement.next_stage_gaps) == (2, ("3b",))
    assert set(placement.projections) == {"3b"}
    assert placement.projections["3b"].months == 4 and placement.projections["3b"].slope > 0


# --- History -----------------------------------------------------------------------------------------------------
def test_history_and_first_reached_on_the_demo(demo_db):
    with warehouse.opened(demo_db) as conn:
        rows = stages.history(conn, "2025-01", OCT, RUBRIC)
        assert len(rows) == len(metrics.months(conn))
    assert [r["stage"] for r in rows][-1] == 4 and rows[0]["stage"] == 0
    reached = {r["stage"]: r["first_reached"] for r in stages.first_reached(rows, RUBRIC)}
    assert reached[4] == dt.date(2026, 5, 1) and reached[5] is None and reached[6] is None
    assert all(reached[n] <= reached[n + 1] for n in (1, 2, 3))


def test_history_places_every_month_as_evaluate_does(demo_db):
    """history and standing read every month's measures and answers at once; each month must come out exactly as
    evaluating it alone does, with answers that change part-way through the history."""
    with warehouse.opened(demo_db) as conn:
        checklist.answer(conn, "2025-09", "1d", False, "withdrawn for a month")
        checklist.answer(conn, "2025-10", "1d", True, "back")
        held = metrics.months(conn)
        rows = stages.history(conn, held[0], held[-1], RUBRIC)
        each = [stages.evaluate(conn, month, RUBRIC) for month in held]
        placement, shown = stages.standing(conn, held[0], held[-1], RUBRIC)
        later = stages.standing(conn, held[4], held[-3], RUBRIC)
        by_month = checklist.answers_by_month(conn, held[0], held[-1])
        assert all(by_month.get(month, {}) == checklist.answers_as_of(conn, month) for month in held)
    assert rows == [{"month": p.month, "stage": p.stage, "stage_name": p.stage_name} for p in each]
    stage_of = {r["month"]: r["stage"] for r in rows}
    assert stage_of[dt.date(2025, 9, 1)] == 0 and stage_of[dt.date(2025, 10, 1)] == 2  # 1d answered no in September
    assert placement == each[-1] and shown == rows
    assert later == (each[-3], rows[4:-2])


# --- CLI ---------------------------------------------------------------------------------------------------------
def cli(*args, **env):
    environment = {**os.environ, "DASHBOARD_PEPPER": "test-pepper", **env}
    return subprocess.run([sys.executable, "-m", "queries", "stage", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_cli_json_has_exactly_the_documented_shape(demo_db):
    done = cli("--month", "2026-10", "--json", "--db", demo_db)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == ["month", "stage", "stage_name", "criteria", "next_stage_gaps"]
    assert (result["month"], result["stage"], result["stage_name"]) == ("2026-10", 4, "Formalized")
    assert result["next_stage_gaps"] == ["5e"]
    assert [c["id"] for c in result["criteria"]] == [row[0] for row in DEFAULT_TABLE]
    for criterion in result["criteria"]:
        assert list(criterion) == ["id", "stage", "label", "status", "value", "threshold", "projection_months"]
        assert criterion["status"] in ("met", "not_met", "no_data")
    adoption = next(c for c in result["criteria"] if c["id"] == "3a")
    assert adoption["threshold"] == 0.3 and 0.6 < adoption["value"] < 0.7 and adoption["status"] == "met"
    sponsor = next(c for c in result["criteria"] if c["id"] == "5e")
    assert (sponsor["value"], sponsor["threshold"], sponsor["status"]) == (False, True, "not_met")

    done = cli("--month", "2025-12", "--json", "--db", demo_db)
    gaps = {c["id"]: c["projection_months"] for c in json.loads(done.stdout)["criteria"]}
    assert gaps["3b"] == 4 and gaps["3a"] is None


def test_cli_summary_and_errors(demo_db, tmp_path):
    done = cli("--db", demo_db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("October 2026: stage 4 of 6, Formalized (Organized for scale)")
    assert "To reach stage 5 Strategic:" in done.stdout and "not met  5e" in done.stdout

    bad = edited_rubric(tmp_path, 'measure = "responses_per_post"', 'measure = "responses"')
    done = cli("--db", demo_db, DASHBOARD_RUBRIC=str(bad))
    assert done.returncode == 1 and "criterion 3c: unknown measure 'responses'" in done.stderr
    assert "Traceback" not in done.stderr

    empty = fresh_location(tmp_path, "empty")
    done = cli("--json", "--db", empty)
    assert done.returncode == 1 and "no data yet" in done.stderr
