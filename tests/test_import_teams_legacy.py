"""The older Teams user activity export (before March 2022), which has no Post Messages or Reply Messages
(docs/formats.md#teams-user-activity-before-march-2022): chats, calls and meetings make people active, Teams
contribution for its month is no data, contribution for all tools counts the other tools only
(docs/metrics.md#contribution-data), and the preview, the ledger and the pages say so."""
import datetime as dt
from pathlib import Path

import pytest

from conftest import PEPPER, app
from queries import adoption, metrics, stages, uploads, views
from queries.imports import ImportRefused, read_upload
from test_import_vendor import HEX, ROSTER_FEB, key

pytestmark = pytest.mark.usefixtures("every_group_shown")

VENDOR = Path(__file__).parent / "fixtures" / "vendor"
OCT = dt.date(2021, 10, 1)
TEAMS = metrics.Filters(tool="teams")
HEADER = ("Report Refresh Date,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,"
          "Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Has Other Action,Report Period")
OLDER = HEADER + "\n" + "".join(row + "\n" for row in (
    "2021-10-31,p000001@example.com,2021-10-27,False,,MICROSOFT 365 E3,10,25,2,4,No,30",
    "2021-10-31,P000002@EXAMPLE.COM,2021-10-15,False,,MICROSOFT 365 E3,,5,,,No,30",  # private chats only
    "2021-10-31,p000003@example.com,2021-10-20,False,,MICROSOFT 365 E5,0,0,0,1,No,30",  # one meeting
    f"2021-10-31,{HEX},2021-10-20,False,,MICROSOFT 365 E5,0,0,1,0,No,30",
    "2021-10-31,p000004@example.com,,False,,MICROSOFT 365 E3,0,0,0,0,Yes,30",  # Has Other Action: not active
    "2021-10-31,p000005@example.com,,True,2021-10-09,,0,0,0,0,No,30",
))
SENTENCE = ("Teams posts and replies are not in this older export (before March 2022), so Teams contribution for "
            "2021-10 is no data.")


def with_user_id(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(["User Id," + lines[0]] + [f"0b5c6a1e-0000-4000-8000-{i:012d}," + line
                                               for i, line in enumerate(lines[1:])]) + "\n"


def october(name: str) -> bytes:
    """A current-format vendor fixture moved to October 2021."""
    return (VENDOR / name).read_bytes().replace(b"2026-02", b"2021-10")


def row(person, other, concealed=False):
    return {"month": OCT, "person_key": key(person), "tool": "teams", "concealed": concealed, "posts": None,
            "replies": None, "reactions": None, "reads": None, "other_actions": other, "active_days": None}


# --- The import -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [OLDER, with_user_id(OLDER)], ids=["without User Id", "with User Id"])
def test_an_older_export_imports_with_posts_and_replies_unknown(text):
    pending = read_upload("teams_2021-10.csv", text.encode(), pepper=PEPPER)
    assert (pending.source, pending.kind, pending.tools, pending.month_labels(), pending.concealed_rows) == (
        "M365 Teams user activity user detail (before March 2022)", "activity", ["teams"], ["2021-10"], 1)
    assert pending.rows.drop_columns(["identity_key"]).to_pylist() == [
        row("p000001@example.com", 10 + 25 + 2 + 4), row("p000002@example.com", 5), row("p000003@example.com", 1),
        row(HEX, 1, concealed=True), row("p000004@example.com", 0), row("p000005@example.com", 0),
    ]
    assert pending.notes == [SENTENCE]


def test_a_current_export_is_still_read_as_one_and_half_a_current_export_is_refused():
    assert read_upload("teams.csv", october("teams_activity.csv"), pepper=PEPPER).source == \
        "M365 Teams user activity user detail"
    half = OLDER.replace("Has Other Action,", "Post Messages,").encode()  # posts without replies
    with pytest.raises(ImportRefused, match="Reply Messages"):
        read_upload("teams.csv", half, pepper=PEPPER)


# --- The figures ----------------------------------------------------------------------------------------------------
def test_chats_calls_and_meetings_make_people_active_and_teams_contribution_is_no_data(load, conn):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    load("teams.csv", OLDER)
    for filters in (TEAMS, metrics.ALL):  # Teams is the only tool: contribution is no data for all tools too
        month = metrics.org_month(conn, OCT, filters)
        assert (month["headcount"], month["active"], month["adoption_rate"]) == (6, 3, 0.5)
        assert (month["contributors"], month["contribution_rate"], month["creators"],
                month["responses_per_post"]) == (None, None, None, None)
    assert conn.execute("SELECT DISTINCT contributor, creator, posts, replies FROM person_month").fetchall() == [
        (None, None, None, None)]
    assert conn.execute("SELECT contribution_tools FROM month_status").fetchall() == [([],)]
    assert conn.execute("SELECT sum(active), sum(contributors), sum(creators), sum(posts) FROM org_rollup "
                        "WHERE tool = 'teams'").fetchall() == [(3, None, None, None)]
    assert [r["contribution_rate"] for r in adoption.by_dimension(conn, "department", OCT, OCT)] == [None] * 3
    assert [(r["tool"], r["adoption_rate"], r["contribution_rate"]) for r in adoption.by_tool(conn, OCT)] == [
        ("teams", 0.5, None)]


def test_with_another_tool_contribution_for_all_tools_counts_that_tool(load, conn):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    load("teams.csv", OLDER)
    load("engage.csv", october("engage_activity.csv"))  # p000001 posted 3 times on Viva Engage
    assert conn.execute("SELECT contribution_tools FROM month_status").fetchall() == [(["viva-engage"],)]
    every = metrics.org_month(conn, OCT)
    assert (every["active"], every["contributors"], every["contribution_rate"], every["creators"]) == (
        3, 1, pytest.approx(1 / 6), 1)
    assert every["responses_per_post"] == pytest.approx(5 / 3)  # Viva Engage likes per post
    teams = metrics.org_month(conn, OCT, TEAMS)
    assert (teams["active"], teams["contribution_rate"], teams["creators"]) == (3, None, None)
    engage = metrics.org_month(conn, OCT, metrics.Filters(tool="viva-engage"))
    assert engage["contribution_rate"] == pytest.approx(1 / 6)
    by_tool = {r["tool"]: r["contribution_rate"] for r in adoption.by_tool(conn, OCT)}
    assert by_tool == {"teams": None, "viva-engage": pytest.approx(1 / 6)}


def test_stage_criteria_on_contribution_have_no_data_when_teams_is_the_only_tool(load, conn):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    load("teams.csv", OLDER)
    placement = stages.evaluate(conn, OCT)
    on_contribution = [c for c in placement.criteria if c.measure in ("contribution_rate", "responses_per_post")]
    assert on_contribution and {c.status for c in on_contribution} == {stages.NO_DATA}
    assert "posts and replies" in next(c for c in on_contribution if c.measure == "contribution_rate").needs
    assert placement.criterion("2a").status != stages.NO_DATA  # adoption stands
    load("engage.csv", october("engage_activity.csv"))
    placement = stages.evaluate(conn, OCT)
    assert next(c for c in placement.criteria if c.measure == "contribution_rate").value == pytest.approx(1 / 6)


# --- A current and an older export of the same month ----------------------------------------------------------------
def test_the_later_upload_of_a_month_replaces_the_other_and_undo_brings_it_back(load, conn):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    current = load("teams-current.csv", october("teams_activity.csv"))
    assert metrics.org_month(conn, OCT, TEAMS)["contribution_rate"] == pytest.approx(1 / 6)  # p000001 posted
    older = load("teams-older.csv", OLDER)
    assert older.replaced == [current.upload_id]
    teams = metrics.org_month(conn, OCT, TEAMS)
    assert (teams["active"], teams["contribution_rate"]) == (3, None)
    assert uploads.undo(conn, older.upload_id) == [current.upload_id]
    teams = metrics.org_month(conn, OCT, TEAMS)
    assert (teams["active"], teams["contribution_rate"]) == (2, pytest.approx(1 / 6))
    again = load("teams-current-again.csv", october("teams_activity.csv"))
    load("teams-older-again.csv", OLDER)
    corrected = load("teams-corrected.csv", october("teams_activity.csv"))  # a current file replaces the older
    assert corrected.replaced and again.upload_id not in corrected.replaced
    assert metrics.org_month(conn, OCT, TEAMS)["contribution_rate"] == pytest.approx(1 / 6)
    assert conn.execute("SELECT contribution_tools FROM month_status").fetchall() == [(["teams"],)]


# --- What the preview, the ledger and the pages say -----------------------------------------------------------------
def test_the_import_message_and_the_ledger_say_so(load, conn):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    result = load("teams.csv", OLDER)
    assert result.summary().endswith(". " + SENTENCE)
    assert uploads.ledger(conn)[0]["notes"] == SENTENCE
    assert uploads.ledger(conn)[1]["notes"] is None  # the roster


def test_the_pages_say_so(load, conn):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    load("teams.csv", OLDER)
    alone = ("Teams posts and replies are not in the older Teams export (before March 2022), so Teams contribution "
             "for October 2021 is no data, and contribution for all tools is no data.")
    scope = views.scope_for([OCT])
    assert alone in views.overview(conn, scope, stages.load()).notes
    assert views.adoption_view(conn, scope).notes == (alone,)
    assert views.standing(conn, scope).notes == (alone,)
    teams_only = views.scope_for([OCT], filters=TEAMS)
    assert views.adoption_view(conn, teams_only).notes == (
        "Teams posts and replies are not in the older Teams export (before March 2022), so Teams contribution for "
        "October 2021 is no data.",)
    load("engage.csv", october("engage_activity.csv"))
    assert views.adoption_view(conn, scope).notes == (
        "Teams posts and replies are not in the older Teams export (before March 2022), so Teams contribution for "
        "October 2021 is no data, and contribution for all tools counts the other tools only.",)
    assert views.adoption_view(conn, views.scope_for([OCT], filters=metrics.Filters(tool="viva-engage"))).notes == ()


def test_the_data_page_previews_and_records_the_sentence(db, load):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    at = app("app/pages/data.py")
    at.file_uploader[0].set_value(("teams.csv", OLDER.encode(), "text/csv"))
    at.run()
    assert not at.exception
    assert list(at.dataframe[0].value["Source"]) == ["M365 Teams user activity user detail (before March 2022)"]
    assert any(w.value == f"teams.csv: {SENTENCE}" for w in at.warning)
    next(b for b in at.button if b.label.startswith("Import 1 file")).click()
    at.run()
    assert not at.exception
    assert any(SENTENCE in s.value for s in at.success)
    assert list(at.dataframe[0].value["Notes"])[0] == SENTENCE


def test_the_adoption_page_shows_the_sentence(db, load):
    load("roster.csv", ROSTER_FEB, month="2021-10")
    load("teams.csv", OLDER)
    at = app("app/pages/adoption.py")
    assert not at.exception
    assert any("so Teams contribution for October 2021 is no data" in c.value for c in at.caption)
