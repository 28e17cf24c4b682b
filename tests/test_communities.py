"""Community health (docs/metrics.md#community-health): statuses counted by hand on a few communities over five
months, the same statuses recounted from the live rows on the demo, the CLI, the view model and the page."""
import datetime as dt
import json

import pytest

from conftest import ROSTER_SEPT, app, copy_warehouse
from queries import communities, formats, metrics, views, warehouse
from test_access import hosted
from test_cli import cli

JUN, JUL, AUG, SEP, OCT = (dt.date(2026, m, 1) for m in range(6, 11))
ODD_NAME = "[new](https://evil.example) *channel*"  # user-supplied text: shown as typed, never as markdown

# Viva Engage has no communities data in September; Slack none in June. "Tiny Team" (3 members) and "no-count"
# (no member count) are under the minimum group size of 5: counted, never listed.
# Columns: month, community, tool, members, posts, reads, reactions.
UPLOADS = {
    "2026-06": [("All Company", "viva-engage", 50, 5, 100, 7), ("Ask HR", "viva-engage", 20, 0, 30, "")],
    "2026-07": [("All Company", "viva-engage", 50, 3, 90, ""), ("Ask HR", "viva-engage", 20, 0, 25, ""),
                ("Tiny Team", "viva-engage", 3, 0, 2, ""), ("cloud-guild", "slack", 10, 2, "", 4)],
    "2026-08": [("All Company", "viva-engage", 50, 0, 80, ""), ("Ask HR", "viva-engage", 20, 0, 20, ""),
                ("Tiny Team", "viva-engage", 3, 0, 1, ""), ("cloud-guild", "slack", 10, 0, "", 0)],
    "2026-09": [("cloud-guild", "slack", 10, 0, "", 0)],
    "2026-10": [("All Company", "viva-engage", 50, 0, 60, ""), ("Ask HR", "viva-engage", 20, 4, 40, 9),
                ("Tiny Team", "viva-engage", 3, 0, 0, ""), ("cloud-guild", "slack", 10, 0, "", 0),
                (ODD_NAME, "slack", 8, 0, "", 0), ("no-count", "slack", "", 1, "", 0),
                ("Ask HR", "slack", 6, 2, "", 3)],
}

# By hand, from the definitions: (tool, community) -> status per month.
EXPECTED = {
    JUN: {("viva-engage", "All Company"): "active", ("viva-engage", "Ask HR"): "quiet"},  # first month: quiet
    JUL: {("viva-engage", "All Company"): "active", ("viva-engage", "Ask HR"): "dormant",
          ("viva-engage", "Tiny Team"): "quiet", ("slack", "cloud-guild"): "active"},
    AUG: {("viva-engage", "All Company"): "quiet", ("viva-engage", "Ask HR"): "dormant",
          ("viva-engage", "Tiny Team"): "dormant", ("slack", "cloud-guild"): "quiet"},
    SEP: {("slack", "cloud-guild"): "dormant"},
    # Viva Engage has no September data: no posts in August and October is quiet, not dormant. The odd-named
    # Slack channel is new in October (not in September's Slack upload): quiet.
    OCT: {("viva-engage", "All Company"): "quiet", ("viva-engage", "Ask HR"): "active",
          ("viva-engage", "Tiny Team"): "quiet", ("slack", "cloud-guild"): "dormant", ("slack", ODD_NAME): "quiet",
          ("slack", "no-count"): "active", ("slack", "Ask HR"): "active"},
}


def _csv(rows, month) -> str:
    def cell(value) -> str:
        text = str(value)
        return f'"{text}"' if "," in text or "*" in text else text

    return "month,community,tool,members,posts,reads,reactions\n" + "".join(
        ",".join([month, *(cell(v) for v in row)]) + "\n" for row in rows)


def fill_once(load):
    for month, rows in UPLOADS.items():
        load(f"communities-{month}.csv", _csv(rows, month))


@pytest.fixture
def held(filled_once, db, monkeypatch):
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "5")
    copy_warehouse(filled_once[0], db)


def _scope(conn, month, tool=None, departments=()):
    return views.scope_for(metrics.months(conn), month, filters=metrics.Filters(departments=departments, tool=tool),
                           min_group=5)


def test_statuses_by_hand_with_small_communities_counted_but_not_listed(held, db):
    with warehouse.opened(db) as conn:
        rows = communities.by_month(conn, JUN, OCT, min_group=5)
    for month, expected in EXPECTED.items():
        found = [r for r in rows if r["month"] == month]
        counted = sorted(r["status"] for r in found)
        assert counted == sorted(expected.values()), month
        listed = {(r["tool"], r["community"]): r["status"] for r in found if r["listed"]}
        assert listed == {key: status for key, status in expected.items()
                          if key[1] not in ("Tiny Team", "no-count")}, month
        for row in found:
            if not row["listed"]:  # nothing but its tool and status leaves the family
                assert {k for k, v in row.items() if v is not None} == {"month", "tool", "status", "listed",
                                                                         "communities"}
                assert row["communities"] == 1
    october = {(r["tool"], r["community"]): r for r in rows if r["month"] == OCT and r["listed"]}
    assert october[("slack", "cloud-guild")]["silent_months"] == 3
    assert october[("viva-engage", "All Company")]["silent_months"] == 1  # September holds no Engage data
    assert october[("viva-engage", "Ask HR")]["posts_per_member"] == pytest.approx(4 / 20)
    assert october[("viva-engage", "Ask HR")]["reads_per_member"] == pytest.approx(40 / 20)
    assert october[("slack", "Ask HR")]["reads_per_member"] is None  # reads not reported
    assert october[("slack", "Ask HR")]["reactions"] == 3


def test_tool_filter_and_months_without_the_tools_data(held, db):
    with warehouse.opened(db) as conn:
        assert communities.of_month(conn, SEP, "viva-engage", 5) is None
        assert communities.of_month(conn, JUN, "slack", 5) is None
        engage = communities.of_month(conn, OCT, "viva-engage", 5)
        assert communities.status_counts(engage) == {"active": 1, "quiet": 2, "dormant": 0}
        assert communities.held_months(conn, JUN, OCT, "slack") == [JUL, AUG, SEP, OCT]
        # Every month's active communities are the headline metric's, small ones included.
        for month in (JUN, JUL, AUG, SEP, OCT):
            found = communities.of_month(conn, month, None, 5)
            assert communities.status_counts(found)["active"] == metrics.org_month(conn, month)["active_communities"]


def test_statuses_match_a_recount_of_the_live_rows_on_the_demo(demo_db):
    """The window-function runs against the definition applied month by month to the live rows."""
    with warehouse.opened(demo_db) as conn:
        months = metrics.months(conn)
        live = conn.execute("SELECT month, tool, community, members, coalesce(posts, 0) FROM live_communities"
                            ).fetchall()
        found = communities.by_month(conn, months[0], months[-1], min_group=1)
    posts = {(m, t, c): p for m, t, c, _members, p in live}

    def previous(month):
        return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)

    def silent(month, tool, name):
        run = 0
        while posts.get((month, tool, name)) == 0:
            run, month = run + 1, previous(month)
        return run

    expected = {}
    for month, tool, name, _members, count in live:
        prior = posts.get((previous(month), tool, name))
        status = "active" if count > 0 else ("dormant" if prior == 0 else "quiet")
        expected[(month, tool, name)] = (status, silent(month, tool, name))
    assert {(r["month"], r["tool"], r["community"]): (r["status"], r["silent_months"]) for r in found} == expected
    assert {status for status, _ in expected.values()} == {"active", "quiet", "dormant"}, "the demo shows all three"

    # The page reads the months before its own as counts per status only: the same counts, far fewer rows.
    with warehouse.opened(demo_db) as conn:
        counted = communities.by_month(conn, months[0], months[-1], min_group=1, detail_from=months[-1])
    for month in months:
        in_detail = [r for r in found if r["month"] == month]
        as_counts = [r for r in counted if r["month"] == month]
        assert communities.status_counts(as_counts) == communities.status_counts(in_detail), month
        if month < months[-1]:
            assert len(as_counts) <= 3 and all(r["community"] is None and not r["listed"] for r in as_counts)
        else:
            assert as_counts == [{**r, "communities": 1} for r in in_detail]


def test_cli_json_table_and_refusal(held, db):
    done = cli("communities", "--month", "2026-10", "--json", "--db", db, min_group=5)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"tool": "slack", "community": "Ask HR", "members": 6, "posts": 2, "reads": None, "reactions": 3,
         "status": "active"},
        {"tool": "slack", "community": ODD_NAME, "members": 8, "posts": 0, "reads": None, "reactions": 0,
         "status": "quiet"},
        {"tool": "slack", "community": "cloud-guild", "members": 10, "posts": 0, "reads": None, "reactions": 0,
         "status": "dormant"},
        {"tool": "viva-engage", "community": "All Company", "members": 50, "posts": 0, "reads": 60, "reactions": None,
         "status": "quiet"},
        {"tool": "viva-engage", "community": "Ask HR", "members": 20, "posts": 4, "reads": 40, "reactions": 9,
         "status": "active"},
    ]
    table = cli("communities", "--db", db, min_group=5)  # the latest month held by default
    assert table.returncode == 0, table.stderr
    assert "2026-10" in table.stdout and "cloud-guild" in table.stdout and "dormant" in table.stdout
    assert "Tiny Team" not in table.stdout and "no-count" not in table.stdout
    assert table.stdout.strip().splitlines()[-1] == (
        "7 communities: 3 active, 3 quiet, 1 dormant (2 with fewer than 5 members or no member count: counted, not "
        "listed).")
    engage = json.loads(cli("communities", "--month", "2026-10", "--tool", "viva-engage", "--json", "--db", db,
                            min_group=5).stdout)
    assert [(r["community"], r["status"]) for r in engage] == [("All Company", "quiet"), ("Ask HR", "active")]
    refused = cli("communities", "--month", "2026-09", "--tool", "viva-engage", "--db", db)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "no communities data for viva-engage for 2026-09" in refused.stderr
    assert "department" in cli("communities", "--help").stdout  # says the org filters do not apply


def test_view_model_headline_tiles_rankings_and_table(held, db):
    with warehouse.opened(db) as conn:
        model = views.communities_view(conn, _scope(conn, "2026-10"))
        same = views.communities_view(conn, _scope(conn, "2026-10", departments=("Sales",)))
        engage = views.communities_view(conn, _scope(conn, "2026-10", tool="viva-engage"))
        missing = views.communities_view(conn, _scope(conn, "2026-09", tool="viva-engage"))
    assert model.headline == ("3 of 7 communities had posts in October 2026; 1 is dormant, with no posts for two "
                              "months or more.")
    assert [(t.label, t.value, t.delta) for t in model.tiles] == [
        ("Communities", "7", "+6"), ("Active", "3", "+3"), ("Quiet", "3", "+3"), ("Dormant", "1", "+0")]
    assert model.notes == ("2 communities with fewer than 5 members, or without a member count, are counted above "
                           "but not listed.",)
    assert "department" in model.scope_note and "tool filter applies" in model.scope_note
    trend = {r["month"]: (r["Active"], r["Quiet"], r["Dormant"]) for r in model.trend.args[0]}
    assert trend == {JUN: (1, 1, 0), JUL: (2, 1, 1), AUG: (0, 2, 2), SEP: (0, 0, 1), OCT: (3, 3, 1)}
    assert [r["label"] for r in model.healthiest.args[0]] == ["Ask HR · Slack", "Ask HR · Viva Engage"]
    assert [(r["label"], r["silent_months"]) for r in model.at_risk.args[0]] == [
        ("cloud-guild", 3), ("All Company", 1), (ODD_NAME, 1)]
    frame = model.table.frame
    assert list(frame["Community"]) == ["All Company", "Ask HR", "cloud-guild", ODD_NAME, "Ask HR"]
    assert frame["Members"].min() >= 5 and "Tiny Team" not in set(frame["Community"])
    assert list(frame.columns) == ["Community", "Tool", "Status", "Members", "Posts", "Posts per member", "Reads",
                                   "Reads per member", "Reactions", "Months without posts"]
    for chart in (model.trend, model.healthiest, model.at_risk):
        chart.build().to_dict()  # a valid Altair spec
    # Communities have no department: the department filter changes nothing.
    assert (same.headline, same.tiles, same.notes, same.trend, same.healthiest, same.at_risk) == (
        model.headline, model.tiles, model.notes, model.trend, model.healthiest, model.at_risk)
    assert same.table.frame.equals(model.table.frame)
    assert engage.headline == ("1 of 3 communities on Viva Engage had posts in October 2026; 2 were quiet and none "
                               "is dormant.")
    assert all(t.delta is None for t in engage.tiles)
    assert "No communities data on Viva Engage for September 2026, so no deltas." in engage.notes
    assert missing.no_data and "September 2026 on Viva Engage" in missing.no_data and missing.table is None


def test_page_lists_only_communities_of_the_minimum_size_and_downloads_exactly_them(held, db):
    at = app("app/pages/communities.py")
    assert not at.exception, at.exception
    assert at.markdown[0].value == ("## 3 of 7 communities had posts in October 2026; 1 is dormant, with no posts "
                                    "for two months or more.")
    assert [(m.label, m.value) for m in at.metric] == [("Communities", "7"), ("Active", "3"), ("Quiet", "3"),
                                                       ("Dormant", "1")]
    charts = [e for e in at.main if getattr(e, "type", "") in ("vega_lite_chart", "arrow_vega_lite_chart")]
    assert len(charts) == 3  # statuses by month, the healthiest, the most at risk
    shown = at.dataframe[-1].value  # the ones before are the data behind each chart
    assert list(shown["Community"]) == ["All Company", "Ask HR", "cloud-guild", ODD_NAME, "Ask HR"]
    everything = " ".join([*(e.value for e in at.markdown), *(e.value for e in at.caption),
                           *(str(c.proto) for c in charts), *(d.value.to_csv() for d in at.dataframe)])
    assert "Tiny Team" not in everything and "no-count" not in everything
    assert any("counted above but not listed" in c.value for c in at.caption)
    assert any("department filters do not apply" in c.value for c in at.caption)
    assert [b.proto.label for b in at.get("download_button")] == ["Download this table (CSV)"]
    with warehouse.opened(db) as conn:
        table = views.communities_view(conn, _scope(conn, "2026-10")).table
    assert list(table.frame["Community"]) == list(shown["Community"])  # the download is the table shown
    assert formats.safe_csv(table.frame).decode().count("\n") == 1 + len(shown)


def test_page_for_a_month_without_communities_data_points_to_the_data_page(held, load):
    load("roster.csv", ROSTER_SEPT, month="2026-11")  # November is held, with no communities upload
    at = app("app/pages/communities.py")
    assert not at.exception, at.exception
    assert at.markdown[0].value == "## No communities data for November 2026."
    assert any("Data page" in i.value for i in at.info)
    assert not at.metric and not at.dataframe


def test_a_viewer_has_the_page_in_the_menu_and_sees_it(held):
    at = hosted("someone@example.com", "app/pages/communities.py")  # raises if the viewer's menu lacks the page
    assert not at.exception, at.exception
    assert at.title[0].value == "Communities"
    assert at.markdown[0].value.startswith("## 3 of 7 communities had posts in October 2026")
