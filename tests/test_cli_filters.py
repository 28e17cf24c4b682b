"""python -m queries metrics with --department, --region, --unit and --as-then: the figures the pages show for that
scope, departments as organised today by default, and unknown months and names refused with what is held."""
import json

import pytest

from conftest import PEPPER, copy_warehouse, fresh_location
from queries import metrics, views, warehouse
from queries.metrics import CLI_KEYS
from test_cli import cli
from test_departments_today import fill_once  # noqa: F401 (conftest's filled_once calls it)


@pytest.fixture
def organisation(filled_once, tmp_path, monkeypatch):
    """A copy of the organisation of tests/test_departments_today.py: Field and Inside merge into Sales in March,
    Ops is renamed Operations in February; groups of three are shown."""
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "3")
    return copy_warehouse(filled_once[0], fresh_location(tmp_path))


def metrics_json(db, *args):
    done = cli("metrics", "--json", "--db", db, *args, min_group=3)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_metrics_for_a_department_as_organised_today_and_then(organisation):
    sales = metrics_json(organisation, "--month", "2026-01", "--department", "Sales")
    assert list(sales) == list(CLI_KEYS)
    # a, b, c, d; a and b active in January; nobody was active in December, which the warehouse does not hold.
    assert sales["headcount"] == 4 and sales["active"] == 2 and sales["adoption_rate"] == 0.5
    assert sales["new"] == 2 and sales["returning"] == 0 and sales["lapsed"] == 0
    assert sales["champion_coverage"] == 1.0
    february = metrics_json(organisation, "--month", "2026-02", "--department", "Sales")
    assert (february["new"], february["returning"], february["lapsed"]) == (1, 1, 1)  # c new, a back, b lapsed
    # As then, Field is two people: every figure about them is withheld, as on the pages.
    field = metrics_json(organisation, "--month", "2026-01", "--department", "Field", "--as-then")
    assert field["headcount"] is None and field["adoption_rate"] is None
    whole = metrics_json(organisation, "--month", "2026-01")
    assert whole["champion_coverage"] == pytest.approx(1 / 3)
    assert metrics_json(organisation, "--month", "2026-01", "--as-then")["champion_coverage"] == 0.25


def test_metrics_are_what_the_overview_shows_for_the_scope(organisation, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "3")
    shown = metrics_json(organisation, "--month", "2026-02", "--department", "Operations", "--region", "EMEA",
                         "--unit", "Corporate")
    with warehouse.opened(organisation) as conn:
        scope = views.scope_for(metrics.months(conn), "2026-02",
                                filters=metrics.Filters(("Operations",), ("EMEA",), ("Corporate",)))
        model = metrics.org_month(conn, scope.month, scope.filters, scope.min_group)
    assert {k: shown[k] for k in model} == model and shown["headcount"] == 3


@pytest.mark.parametrize("args, says", [
    (("--month", "2031-01"), "The warehouse holds no data for 2031-01; choose from: 2026-01, 2026-02, 2026-03."),
    (("--department", "Field"), "--department 'Field' is not in the data held; choose from: Legal, Operations, "
                                "Sales."),
    (("--department", "Nowhere", "--as-then"), "choose from: Field, Inside, Legal, Operations, Ops, Sales."),
    (("--region", "Mars"), "--region 'Mars' is not in the data held; choose from: EMEA."),
    (("--unit", "Moon"), "--unit 'Moon' is not in the data held; choose from: Corporate."),
])
def test_what_is_not_held_is_refused_with_what_is(organisation, args, says):
    done = cli("metrics", "--json", "--db", organisation, *args)
    assert done.returncode == 1 and done.stdout == ""
    assert says in done.stderr and "Traceback" not in done.stderr


def test_segments_and_cohorts_take_the_same_choice(organisation):
    done = cli("segments", "--json", "--db", organisation, "--month", "2026-01", "--department", "Ops", min_group=3)
    assert done.returncode == 1 and "choose from: Legal, Operations, Sales." in done.stderr
    done = cli("segments", "--json", "--db", organisation, "--month", "2026-01", "--department", "Ops", "--as-then",
               min_group=3)
    assert done.returncode == 0, done.stderr
    # Groups of two shown. Sales today: a and b new in January (in Field then), c new in February (in Inside then).
    today = cli("cohorts", "--json", "--db", organisation, "--department", "Sales", min_group=2)
    assert today.returncode == 0, today.stderr
    assert [(c["cohort"], c["size"]) for c in json.loads(today.stdout)] == [("2026-01", 2)]
    # As then, Sales exists from March, when none of its people was new.
    then = cli("cohorts", "--json", "--db", organisation, "--department", "Sales", "--as-then", min_group=2)
    assert then.returncode == 0 and json.loads(then.stdout) == []
