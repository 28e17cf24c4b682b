"""Initiatives and their measured effect (queries/initiatives.py, docs/metrics.md#initiative-effect)."""
import datetime as dt

import numpy as np
import pytest

from conftest import copy_warehouse
from queries import initiatives
from queries.initiatives import Initiative

START = dt.date(2026, 4, 1)
WINDOW = [dt.date(2026, m, 1) for m in range(1, 7)]  # three months before April, three from it


def test_a_hand_computed_effect_with_its_event_study():
    rates = {
        # before: 0.30, 0.30, 0.30; after: 0.40, 0.42, 0.44 → change 0.12
        "Sales": dict(zip(WINDOW, [0.30, 0.30, 0.30, 0.40, 0.42, 0.44])),
        # change 0.10
        "Sales Ops": dict(zip(WINDOW, [0.20, 0.20, 0.20, 0.30, 0.30, 0.30])),
        # changes 0.02 and 0.00
        "Legal": dict(zip(WINDOW, [0.50, 0.50, 0.50, 0.52, 0.52, 0.52])),
        "Finance": dict(zip(WINDOW, [0.40, 0.40, 0.40, 0.40, 0.40, 0.40])),
        # below the minimum group size in one month: left out of both sides
        "HR": dict(zip(WINDOW, [0.1, None, 0.1, 0.9, 0.9, 0.9])),
    }
    result = initiatives.estimate(Initiative("Champion pilot", START, None, ("Sales", "Sales Ops", "HR")),
                                  "adoption", rates, {})
    assert result.effect == pytest.approx(0.11 - 0.01)
    assert result.covered == ("Sales", "Sales Ops") and result.others == 2
    assert result.by_month[-3] == pytest.approx(0.25 - 0.45)
    assert result.by_month[2] == pytest.approx(0.37 - 0.46)
    assert sorted(result.by_month) == [-3, -2, -1, 0, 1, 2]
    low, high = result.ci90
    assert low < result.effect < high and low > 0
    assert "gained 10.0 points on the 2 other departments" in result.sentence
    assert result.as_json()["ci90"] == [low, high]
    assert result.as_json()["by_month"]["-3"] == pytest.approx(-0.2)


def test_the_sentence_says_plainly_when_the_interval_includes_zero():
    rates = {"A": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.35, 0.3, 0.32])),
             "B": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.28, 0.33, 0.3])),
             "C": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.3, 0.36, 0.3])),
             "D": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.29, 0.3, 0.27]))}
    result = initiatives.estimate(Initiative("x", START, None, ("A", "B")), "contribution", rates, {})
    assert result.includes_zero
    assert "includes zero" in result.sentence and "could be chance" in result.sentence


def test_a_placebo_interval_includes_zero_in_at_least_85_of_100_seeded_runs():
    """No effect at all, departments on their own noisy paths: the 90% interval should hold zero ~90 times."""
    holds = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        rates = {}
        for department in range(12):
            level = rng.uniform(0.2, 0.7)
            common = np.cumsum(rng.normal(0.01, 0.005, 6))
            rates[f"D{department}"] = dict(zip(WINDOW, level + common + rng.normal(0, 0.03, 6)))
        covered = tuple(f"D{d}" for d in rng.choice(12, size=4, replace=False))
        result = initiatives.estimate(Initiative("placebo", START, None, covered), "adoption", rates, {})
        holds += result.includes_zero
    assert holds >= 85


def test_the_whole_organisation_has_before_and_after_only():
    organisation = dict(zip(WINDOW, [0.40, 0.40, 0.40, 0.50, 0.50, 0.50]))
    result = initiatives.estimate(Initiative("Launch", START), "adoption", {}, organisation)
    assert result.effect is None and result.ci90 is None
    assert result.reason == initiatives.NO_COMPARISON
    assert (result.before, result.after) == (pytest.approx(0.40), pytest.approx(0.50))
    assert "no comparison group: not an effect estimate" in result.sentence
    assert result.as_json()["reason"] == initiatives.NO_COMPARISON


def test_without_the_months_after_the_start_there_is_no_estimate_yet():
    rates = {d: dict(zip(WINDOW[:4], [0.3] * 4)) for d in "ABCD"}
    result = initiatives.estimate(Initiative("x", START, None, ("A",)), "adoption", rates, {})
    assert result.effect is None and "none of the departments it covers" in result.reason


# A small organisation whose active counts are set by hand: 20 people in each department, and a department of 3
# (below the minimum group size of 5). Sales and Ops get the pilot from April; Ops lifts by 4 people, Sales by 6.
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
ACTIVE = {  # department: active people per month
    "Sales": [6, 6, 6, 12, 12, 12],
    "Ops": [8, 8, 8, 12, 12, 12],
    "Legal": [10, 10, 10, 11, 11, 11],
    "Finance": [4, 4, 4, 5, 5, 5],
    "HR": [9, 9, 9, 9, 9, 9],
    "Tiny": [1, 1, 1, 3, 3, 3],
}
PILOT = "name,start,end,departments,note\nChampion pilot,2026-04,,Sales;Ops;Tiny,Two champions per team\n"


def org_files(tag: str):
    people = {d: [f"{d.lower()}{i}.{tag}@example.com" for i in range(3 if d == "Tiny" else 20)] for d in ACTIVE}
    for index, month in enumerate(MONTHS):
        roster = "month,email,department,region,business_unit,level\n" + "".join(
            f"{month},{p},{d},EMEA,Commercial,staff\n" for d, ps in people.items() for p in ps)
        activity = "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n" + "".join(
            f"{month},{p},viva-engage,1,0,0,3,,\n" for d, ps in people.items() for p in ps[:ACTIVE[d][index]])
        yield f"roster-{month}.csv", roster, month, "roster"
        yield f"activity-{month}.csv", activity, month, "activity"


def fill_once(load):
    """The organisation above, imported once for the module by conftest's filled_once (twelve uploads: seconds on
    DuckLake); every test gets a copy of its own, which it may change."""
    for name, text, month, kind in org_files("pilot"):
        load(name, text, month=month, kind=kind)


@pytest.fixture
def pilot_org(db, filled_once):
    return copy_warehouse(filled_once[0], db)


def test_a_known_injected_lift_is_estimated_on_the_warehouse(pilot_org):
    from queries import uploads, warehouse

    uploads.import_file("initiatives.csv", PILOT.encode(), location=pilot_org)
    with warehouse.opened(pilot_org) as conn:
        pilot = initiatives.find(conn, "champion pilot")
        result = initiatives.effect(conn, pilot, "adoption")
    covered = [(12 - 6) / 20, (12 - 8) / 20]  # Sales, Ops
    others = [(11 - 10) / 20, (5 - 4) / 20, 0.0]  # Legal, Finance, HR
    assert result.effect == pytest.approx(sum(covered) / 2 - sum(others) / 3)
    assert result.covered == ("Ops", "Sales")  # Tiny is below the minimum group size: on neither side
    assert result.others == 3
    assert result.by_month[-1] == pytest.approx((6 + 8) / 40 - (10 + 4 + 9) / 60)
    assert result.ci90[0] < result.effect < result.ci90[1]  # two departments a side: a wide interval


def test_the_command_line_gives_the_effect_and_the_whole_organisation_case(pilot_org, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from conftest import ROOT

    path = tmp_path / "initiatives.csv"
    path.write_text(PILOT + "All hands,2026-04,,,Town hall on working out loud\n")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "queries", *args], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "DASHBOARD_DB": pilot_org}, timeout=300)

    assert cli("import", str(path)).returncode == 0
    out = cli("impact", "--name", "Champion pilot", "--json")
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert set(found) >= {"name", "metric", "effect", "ci90", "covered", "others", "months", "by_month"}
    assert found["covered"] == ["Ops", "Sales"] and found["others"] == 3 and found["months"] == 3
    assert list(found["by_month"]) == ["-3", "-2", "-1", "0", "1", "2"]
    assert found["effect"] == pytest.approx(0.25 - 2 / 60)
    whole = json.loads(cli("impact", "--name", "All hands", "--json").stdout)
    assert whole["effect"] is None and whole["reason"] == initiatives.NO_COMPARISON
    assert whole["before"] == pytest.approx(38 / 103) and whole["after"] == pytest.approx(52 / 103)
    missing = cli("impact", "--name", "Nope", "--json")
    assert missing.returncode == 1 and "Champion pilot" in missing.stderr
    contribution = json.loads(cli("impact", "--name", "Champion pilot", "--metric", "contribution", "--json").stdout)
    assert contribution["effect"] == pytest.approx(0.25 - 2 / 60)  # everyone active posted
    forecast = cli("forecast", "--metric", "adoption", "--months", "6", "--json")
    assert forecast.returncode == 0
    points = json.loads(forecast.stdout)
    assert [p["month"] for p in points] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
    assert all(p["lo80"] <= p["value"] <= p["hi80"] for p in points)


def test_undo_takes_an_initiative_back_and_brings_back_the_one_it_replaced(pilot_org):
    from queries import uploads, warehouse

    first = uploads.import_file("initiatives.csv", PILOT.encode(), location=pilot_org)
    moved = uploads.import_file("initiatives.csv", PILOT.replace("2026-04", "2026-03").encode(), location=pilot_org)
    assert moved.replaced == [first.upload_id]
    with warehouse.opened(pilot_org) as conn:
        assert [i.start.month for i in initiatives.held(conn)] == [3]
        uploads.undo(conn, moved.upload_id)
        assert [i.start.month for i in initiatives.held(conn)] == [4]
        uploads.undo(conn, first.upload_id)
        assert initiatives.held(conn) == []


def test_an_initiative_follows_a_department_renamed_since(pilot_org):
    from queries import uploads, warehouse

    uploads.import_file("initiatives.csv", PILOT.encode(), location=pilot_org)
    uploads.import_file("departments.csv", b"month,from,to\n2026-07,Ops,Operations\n", location=pilot_org)
    with warehouse.opened(pilot_org) as conn:
        result = initiatives.effect(conn, initiatives.find(conn, "Champion pilot"), "adoption")
    assert result.covered == ("Operations", "Sales")
    assert result.effect == pytest.approx(0.25 - 2 / 60)


def test_steering_files_hold_no_month_of_data(pilot_org):
    """An initiative or a target in a future month is not a month of data: the latest month stays June."""
    from queries import metrics, uploads, warehouse

    uploads.import_file("initiatives.csv", b"name,start\nNext year,2027-03\n", location=pilot_org)
    uploads.import_file("targets.csv", b"metric,value,by\nadoption,60%,2027-12\n", location=pilot_org)
    with warehouse.opened(pilot_org) as conn:
        assert metrics.latest_month(conn) == dt.date(2026, 6, 1)
        assert conn.execute("SELECT max(month) FROM month_status").fetchone()[0] == dt.date(2026, 6, 1)


def test_a_name_is_found_exactly_or_by_case_only_when_one_matches(pilot_org):
    from queries import uploads, warehouse

    uploads.import_file("initiatives.csv", b"name,start\nPilot,2026-04\npilot,2026-05\nLaunch,2026-02\n",
                        location=pilot_org)
    with warehouse.opened(pilot_org) as conn:
        assert initiatives.find(conn, "pilot").start == dt.date(2026, 5, 1)
        assert initiatives.find(conn, "PILOT") is None  # two match by case: the name must be exact
        assert initiatives.find(conn, "launch").name == "Launch"


@pytest.mark.parametrize("months", ["0", "-2", "x", "37"])
def test_the_command_line_refuses_a_month_count_it_cannot_use(months):
    import subprocess
    import sys

    from conftest import ROOT

    out = subprocess.run([sys.executable, "-m", "queries", "impact", "--name", "x", "--months", months],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "not a number of months from 1 to 36" in out.stderr
    assert "Traceback" not in out.stderr
