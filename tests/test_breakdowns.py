"""Breakdowns behind the views, against small organisations computed by hand, suppression included."""
import pandas as pd
import pytest

from conftest import copy_warehouse
from queries import adoption, alignment, coe, metrics

HEADER = "email,department,region,business_unit,level\n"


def roster(groups: dict[str, int], month="2026-09", level="staff") -> str:
    rows = []
    for department, size in groups.items():
        rows += [f"{department.lower()}{i}@x.com,{department},EMEA,Unit,{level}\n" for i in range(size)]
    return HEADER + "".join(rows)


def activity(active: dict[str, int], month="2026-09", tool="slack", posts=1, replies=0) -> str:
    rows = []
    for department, count in active.items():
        rows += [f"{month},{department.lower()}{i}@x.com,{tool},{posts},{replies}\n" for i in range(count)]
    return "month,email,tool,posts,replies\n" + "".join(rows)


def fill_once(load):
    load("roster.csv", roster({"Sales": 10, "Legal": 6, "Tiny": 3}), month="2026-09")
    load("slack.csv", activity({"Sales": 5, "Legal": 3, "Tiny": 3}))
    load("teams.csv", activity({"Sales": 8}, tool="teams", posts=0, replies=0).replace(",0,0\n", ",0,1\n"))
    load("champions.csv", "email,department,role\nsales0@x.com,Sales,Champion\n", month="2026-09")


@pytest.fixture
def org(db, filled_once):
    """A copy of the organisation fill_once imports, at the test's warehouse (conftest's filled_once)."""
    copy_warehouse(filled_once[0], db)


def test_department_adoption_with_small_groups_suppressed(org, conn):
    rows = {r["group"]: r for r in adoption.by_dimension(conn, "department", "2026-09", "2026-09")}
    assert rows["Sales"]["adoption_rate"] == 0.8 and rows["Sales"]["headcount"] == 10  # 5 slack ∪ 8 teams
    assert rows["Legal"]["adoption_rate"] == 0.5
    tiny = rows["Tiny"]
    assert tiny["suppressed"] and tiny["headcount"] is None and tiny["adoption_rate"] is None
    assert tiny["active"] is None


def test_min_group_is_configurable(org, conn):
    rows = {r["group"]: r for r in adoption.by_dimension(conn, "department", "2026-09", "2026-09", min_group=7)}
    assert rows["Legal"]["suppressed"] and not rows["Sales"]["suppressed"]
    rows = {r["group"]: r for r in adoption.by_dimension(conn, "department", "2026-09", "2026-09", min_group=1)}
    assert rows["Tiny"]["adoption_rate"] == 1.0


def test_per_tool_adoption_counts_a_person_once_per_tool(org, conn):
    tools = {r["tool"]: r["adoption_rate"] for r in adoption.by_tool(conn, "2026-09")}
    assert tools == {"slack": 11 / 19, "teams": 8 / 19}
    assert metrics.org_month(conn, "2026-09")["active"] == 14  # 8 Sales (5 on both) + 3 Legal + 3 Tiny


def test_coe_departments_lift_and_content_share(org, conn):
    rows = {r["department"]: r for r in coe.departments(conn, "2026-09")}
    assert rows["Sales"]["has_champion"] and rows["Sales"]["champions_per_1000"] == 100.0
    assert not rows["Legal"]["has_champion"] and rows["Tiny"]["champions"] is None
    lift = coe.lift(conn, "2026-09")
    assert lift["adoption_with_champion"] == 0.8
    assert lift["adoption_without_champion"] == pytest.approx(6 / 9)  # Legal 3/6 + Tiny 3/3 together
    assert lift["headcount_covered"] == pytest.approx(10 / 19)
    # sales0 wrote 1 post (slack) + 1 reply (teams); everyone: 11 posts + 8 replies
    assert coe.champion_content_share(conn, "2026-09", min_group=1) == pytest.approx(2 / 19)
    # ... but sales0 is one champion: with the default minimum group size, what the champions wrote is withheld
    assert coe.champion_content_share(conn, "2026-09") is None


def test_kpi_scorecard_and_spearman_with_ties_and_direction(load, conn):
    groups = {f"D{i}": 5 for i in range(6)}
    load("roster.csv", roster(groups), month="2026-09")
    load("activity.csv", activity({f"D{i}": i for i in range(6)}))  # adoption 0, .2, .4, .6, .8, 1.0
    kpis = "month,kpi,department,value,target,higher_is_better,objective\n"
    kpis += "2026-08,Score,,60,70,true,Engage\n2026-09,Score,,72,70,true,Engage\n2026-09,Wait,,9,8,false,Serve\n"
    # Score by department rises with adoption but ties at the top: ranks 1,2,3,4,5.5,5.5
    kpis += "".join(f"2026-09,Score,D{i},{v},,true,\n" for i, v in enumerate([1, 2, 3, 4, 9, 9]))
    # Wait falls as adoption rises; lower is better, so the correlation is reported positive
    kpis += "".join(f"2026-09,Wait,D{i},{v},,false,\n" for i, v in enumerate([6, 5, 4, 3, 2, 1]))
    load("kpis.csv", kpis)
    card = {k["kpi"]: k for k in alignment.scorecard(conn, "2026-09")}
    assert card["Score"]["on_target"] is True and card["Score"]["change"] == 12 and card["Score"]["history"] == [60, 72]
    assert card["Wait"]["on_target"] is False and card["Wait"]["previous_value"] is None
    found = {c["kpi"]: c["correlation"] for c in alignment.correlations(conn, "2026-09")}
    ranks_a = [1, 2, 3, 4, 5, 6]
    ranks_k = [1, 2, 3, 4, 5.5, 5.5]
    expected = pd.Series(ranks_a).corr(pd.Series(ranks_k))
    assert found["Score"] == pytest.approx(expected)
    assert found["Wait"] == pytest.approx(1.0)
    assert metrics.org_month(conn, "2026-09")["kpis_on_target_share"] == 0.5


def test_correlation_needs_five_departments_and_a_varying_series(load, conn):
    load("roster.csv", roster({f"D{i}": 5 for i in range(4)}), month="2026-09")
    load("activity.csv", activity({f"D{i}": i for i in range(4)}))
    load("kpis.csv", "month,kpi,department,value\n" + "".join(f"2026-09,K,D{i},{i}\n" for i in range(4)))
    assert alignment.correlations(conn, "2026-09")[0]["correlation"] is None
    assert "not enough" in alignment.describe_correlation(None)


def test_downloads_neutralise_formula_cells():
    from queries import formats

    frame = pd.DataFrame({"name": ["=SUM(A1)", "+1", "-x", "@cmd", "fine"], "value": [1, 2, 3, 4, 5]})
    text = formats.safe_csv(frame).decode()
    assert "'=SUM(A1)" in text and "'+1" in text and "'-x" in text and "'@cmd" in text and "\nfine," in text
