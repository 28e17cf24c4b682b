"""Every headline metric (docs/metrics.md#headline-metrics) against a small organisation computed by hand."""
import pytest

from conftest import ACTIVITY_SEPT, ROSTER_SEPT, copy_warehouse
from queries import metrics

pytestmark = pytest.mark.usefixtures("every_group_shown")

ROSTER_OCT = ROSTER_SEPT + "eve@example.com,Legal,NA,Corporate,staff\n"
ACTIVITY_OCT = (
    "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n"
    "2026-10,ann@example.com,viva-engage,0,,0,1,,\n"
    "2026-10,cat@example.com,slack,1,2,0,,,3\n"
    "2026-10,eve@example.com,teams,0,0,0,,5,\n"
    "2026-10,dan@example.com,teams,0,0,0,,0,0\n"
)


def fill_once(load):
    load("roster-sep.csv", ROSTER_SEPT, month="2026-09")
    load("roster-oct.csv", ROSTER_OCT, month="2026-10")
    load("activity-sep.csv", ACTIVITY_SEPT)
    load("activity-oct.csv", ACTIVITY_OCT)
    load("champions.csv", "email,department,role\nben@example.com,Sales,Champion\nzed@example.com,Legal,Champion\n",
         month="2026-09")
    load("training.csv", "date,program,email\n2025-09-30,WOL,ben@example.com\n2025-11-10,WOL,cat@example.com\n"
                         "2026-10-01,WOL,dan@example.com\n")
    load("kpis.csv", "month,kpi,department,value,target,higher_is_better,objective\n"
                     "2026-10,A,,5,4,true,x\n2026-10,B,,5,4,false,y\n2026-10,C,,5,,true,\n2026-10,A,Legal,1,4,true,x\n")
    load("communities.csv", "month,community,tool,members,posts\n2026-09,One,slack,5,1\n2026-09,Two,slack,5,0\n"
                            "2026-09,Three,viva-engage,5,2\n")


@pytest.fixture
def organisation(filled_once, db):
    copy_warehouse(filled_once[0], db)


def test_september(organisation, conn):
    assert metrics.org_month(conn, "2026-09") == {
        "headcount": 4, "active": 2, "adoption_rate": 0.5, "contributors": 2, "contribution_rate": 0.5,
        "creators": 1, "returning": 0, "new": 2, "leadership_participation": 1.0,
        "responses_per_post": 2.0,  # (ben's 1 reply + ann's 3 reactions) / ann's 2 posts; zed is not on the roster
        "active_communities": 2, "champion_coverage": 0.5, "champions_per_1000": 250.0,
        "training_reach": 0.25,  # cat, trained 2025-11; ben's 2025-09 session is outside the 12 months
        "kpis_on_target_share": None,
    }


def test_october(organisation, conn):
    assert metrics.org_month(conn, "2026-10") == {
        "headcount": 5, "active": 3, "adoption_rate": 0.6, "contributors": 1, "contribution_rate": 0.2,
        "creators": 1, "returning": 1, "new": 2, "leadership_participation": 1.0,
        "responses_per_post": 2.0, "active_communities": None,  # communities never carry forward
        "champion_coverage": 0.5, "champions_per_1000": 200.0,  # the register carries forward from September
        "training_reach": 0.4, "kpis_on_target_share": 0.5,
    }


def test_filters_scope_by_department_and_tool(organisation, conn):
    legal = metrics.org_month(conn, "2026-10", metrics.Filters(departments=("Legal",)))
    assert (legal["headcount"], legal["active"], legal["leadership_participation"]) == (3, 2, None)
    slack = metrics.org_month(conn, "2026-10", metrics.Filters(tool="slack"))
    assert (slack["active"], slack["adoption_rate"], slack["contributors"]) == (1, 0.2, 1)
    engage_sept = metrics.org_month(conn, "2026-09", metrics.Filters(tool="teams"))
    assert engage_sept["active"] is None  # no Teams data in September: no data, not zero


def test_unmapped_activity_is_kept_and_reported(organisation, conn):
    status = metrics.month_status(conn, "2026-09")
    assert (status["activity_people"], status["unmapped_people"]) == (3, 1)


def test_a_month_without_a_roster_has_no_headcount(load, conn):
    load("activity.csv", ACTIVITY_SEPT)
    values = metrics.org_month(conn, "2026-09")
    assert values["headcount"] is None and values["adoption_rate"] is None


def test_a_tool_with_data_but_nobody_active_in_scope_reads_zero_not_no_data(organisation, conn):
    # In October only dan (Legal) used Teams, and with no activity: Teams data exists, so Sales reads 0%, not "—".
    sales_on_teams = metrics.org_month(conn, "2026-10", metrics.Filters(departments=("Sales",), tool="teams"))
    assert (sales_on_teams["active"], sales_on_teams["adoption_rate"], sales_on_teams["contribution_rate"]) == (0, 0, 0)


def test_the_same_scope_below_the_minimum_group_size_has_no_figures(organisation, conn, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "5")
    values = metrics.org_month(conn, "2026-09")  # four people
    assert all(values[key] is None for key in values if key not in ("active_communities", "kpis_on_target_share"))
    assert metrics.withheld_months(conn, "2026-09", "2026-10") == [metrics.as_month("2026-09")]
    assert metrics.org_month(conn, "2026-10")["headcount"] == 5  # five people: shown
