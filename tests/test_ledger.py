"""The upload ledger: one upload is one transaction; re-uploads replace, never double-count; undo restores."""
import datetime as dt

import pytest

from conftest import ACTIVITY_SEPT, ROSTER_SEPT
from queries import metrics, uploads

pytestmark = pytest.mark.usefixtures("every_group_shown")


def test_ledger_row_records_the_upload(load, conn):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    result = load("activity.csv", ACTIVITY_SEPT)
    assert (result.matched, result.unmapped) == (2, 1)
    row = uploads.ledger(conn)[0]
    assert row["upload_id"] == result.upload_id
    assert (row["kind"], row["source"], row["file_name"], row["months"], row["row_count"]) == (
        "activity", "canonical activity", "activity.csv", "2026-09", 4)
    assert row["status"] == "active" and len(row["sha256"]) == 64 and row["uploaded_by"] == "local"
    assert (row["matched"], row["unmapped"]) == (2, 1)


def test_times_are_stored_in_utc_whatever_the_server_time_zone(load, conn):
    """The ledger, the audit trail and the pages say "When (UTC)": a server whose clock is set to New York time
    must still store UTC."""
    zone = conn.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    conn.execute("SET GLOBAL TimeZone = 'America/New_York'")
    try:
        before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        load("roster.csv", ROSTER_SEPT, month="2026-09")
        after = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        assert conn.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "America/New_York"
        happened = conn.execute("SELECT max(happened_at) FROM ledger_events").fetchone()[0]
        uploaded = dt.datetime.strptime(uploads.ledger(conn)[0]["uploaded_at"], "%Y-%m-%d %H:%M:%S")
    finally:
        conn.execute(f"SET GLOBAL TimeZone = '{zone}'")
    for stored in (happened, uploaded):
        assert before - dt.timedelta(seconds=1) <= stored <= after, (stored, before, after)


def test_a_second_upload_of_the_same_month_replaces_and_never_double_counts(load, conn):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    first = load("activity.csv", ACTIVITY_SEPT)
    before = metrics.org_month(conn, "2026-09")
    second = load("activity-again.csv", ACTIVITY_SEPT)
    assert second.replaced == [first.upload_id]
    assert metrics.org_month(conn, "2026-09") == before
    statuses = {r["upload_id"]: r["status"] for r in uploads.ledger(conn)}
    assert statuses[first.upload_id] == "replaced" and statuses[second.upload_id] == "active"
    assert conn.execute("SELECT count(*) FROM live_activity").fetchone()[0] == 4


def test_replacement_is_per_tool_for_activity(load, conn):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    load("activity.csv", ACTIVITY_SEPT)
    # a corrected Slack file replaces Slack only; Viva Engage rows stay
    load("slack.csv", "month,email,tool,posts\n2026-09,cat@example.com,slack,1\n")
    tools = dict(conn.execute("SELECT tool, count(*) FROM live_activity GROUP BY tool").fetchall())
    assert tools == {"viva-engage": 2, "slack": 1}
    assert metrics.org_month(conn, "2026-09")["active"] == 3  # ann and ben (Engage reads), cat (Slack)


def test_undo_takes_an_upload_out_and_restores_what_it_replaced(load, conn):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    first = load("activity.csv", ACTIVITY_SEPT)
    original = metrics.org_month(conn, "2026-09")
    second = load("fix.csv", "month,email,tool,posts\n2026-09,cat@example.com,slack,1\n"
                             "2026-09,ann@example.com,viva-engage,0\n")
    assert metrics.org_month(conn, "2026-09") != original
    restored = uploads.undo(conn, second.upload_id, who="tester")
    assert restored == [first.upload_id]
    assert metrics.org_month(conn, "2026-09") == original
    statuses = {r["upload_id"]: r["status"] for r in uploads.ledger(conn)}
    assert statuses == {1: "active", first.upload_id: "active", second.upload_id: "undone"}
    actions = [(e["upload_id"], e["action"], e["who"]) for e in uploads.events(conn)][:2]
    assert actions == [(first.upload_id, "restored", "tester"), (second.upload_id, "undone", "tester")]


def test_undo_of_the_only_activity_leaves_no_activity_data(load, conn):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    result = load("activity.csv", ACTIVITY_SEPT)
    uploads.undo(conn, result.upload_id)
    values = metrics.org_month(conn, "2026-09")
    assert values["headcount"] == 4 and values["active"] is None and values["adoption_rate"] is None


def test_undo_twice_or_unknown_is_refused(load, conn):
    import pytest

    result = load("roster.csv", ROSTER_SEPT, month="2026-09")
    uploads.undo(conn, result.upload_id)
    with pytest.raises(uploads.ImportRefused, match="already undone"):
        uploads.undo(conn, result.upload_id)
    with pytest.raises(uploads.ImportRefused, match="no upload #99"):
        uploads.undo(conn, 99)


def test_roster_carries_forward_until_the_next_roster(load, conn):
    load("roster.csv", ROSTER_SEPT, month="2026-08")
    load("activity.csv", ACTIVITY_SEPT)  # September, no September roster
    status = metrics.month_status(conn, "2026-09")
    assert str(status["roster_month"]) == "2026-08-01"
    assert metrics.org_month(conn, "2026-09")["headcount"] == 4


def test_checklist_answers_hold_from_their_month_until_changed(load, conn):
    load("c1.csv", "criterion,answer,note\n1d,yes,agreed\n2d,no,\n", month="2026-05")
    load("c2.csv", "criterion,answer,note\n2d,yes,published\n", month="2026-08")
    load("c3.csv", "criterion,answer,note\n1d,no,withdrawn\n", month="2026-10")
    answers = {(str(month), criterion): answer for month, criterion, answer in conn.execute(
        "SELECT month, criterion, answer FROM live_checklist").fetchall()}
    assert len(answers) == 4
    from queries import checklist

    assert checklist.answers_as_of(conn, "2026-04") == {}
    assert {k: v["answer"] for k, v in checklist.answers_as_of(conn, "2026-05").items()} == {"1d": True, "2d": False}
    assert {k: v["answer"] for k, v in checklist.answers_as_of(conn, "2026-09").items()} == {"1d": True, "2d": True}
    assert {k: v["answer"] for k, v in checklist.answers_as_of(conn, "2026-11").items()} == {"1d": False, "2d": True}
