"""Every refusal names the file (and the row and column where there is one), and a refused file changes nothing."""
import pytest

from conftest import ACTIVITY_SEPT, ROSTER_SEPT, snapshot
from queries.imports import ImportRefused

ROSTER_HEADER = "email,department,region,business_unit,level\n"
ACTIVITY_HEADER = "month,email,tool,posts,replies,reactions\n"

REFUSALS = [
    # (id, file content, month, expected fragments of the message)
    ("empty", "", "2026-09", ["bad.csv", "empty"]),
    ("header-only", ROSTER_HEADER, "2026-09", ["bad.csv", "no rows"]),
    ("unknown-format", "foo,bar,baz\n1,2,3\n", "2026-09", ["bad.csv", "unknown format"]),
    ("missing-column", "email,department,region,level\na@x.com,S,E,staff\n", "2026-09",
     ["bad.csv", "missing", "business_unit"]),
    ("text-in-count", ACTIVITY_HEADER + "2026-09,a@x.com,slack,1,2,3\n2026-09,b@x.com,slack,lots,0,0\n", None,
     ["bad.csv", "row 3", 'column "posts"', "lots", "whole number"]),
    ("negative-count", ACTIVITY_HEADER + "2026-09,a@x.com,slack,1,-2,3\n", None,
     ["row 2", 'column "replies"', "negative"]),
    ("fractional-count", ACTIVITY_HEADER + "2026-09,a@x.com,slack,1.5,0,0\n", None, ["row 2", "whole number"]),
    ("impossible-month", ACTIVITY_HEADER + "2026-13,a@x.com,slack,1,0,0\n", None,
     ["row 2", 'column "month"', "2026-13"]),
    ("impossible-date", "date,program,email\n2026-02-30,WOL,a@x.com\n", None,
     ["row 2", 'column "date"', "2026-02-30"]),
    ("unknown-level", ROSTER_HEADER + "a@x.com,S,E,C,boss\n", "2026-09", ["row 2", 'column "level"', "boss"]),
    ("duplicate-person", ROSTER_HEADER + "a@x.com,S,E,C,staff\nb@x.com,S,E,C,staff\n A@X.com ,S,E,C,staff\n",
     "2026-09", ["row 4", "row 2", "same person"]),
    ("duplicate-activity", ACTIVITY_HEADER + "2026-09,a@x.com,slack,1,0,0\n2026-09,a@x.com,Slack,2,0,0\n", None,
     ["row 3", "row 2"]),
    ("unknown-criterion", "criterion,answer,note\n1a,yes,\n", "2026-09", ["row 2", 'column "criterion"', "1a"]),
    ("answer-not-yes-no", "criterion,answer,note\n1d,maybe,\n", "2026-09", ["row 2", 'column "answer"', "maybe"]),
    ("needs-a-month", ROSTER_HEADER + "a@x.com,S,E,C,staff\n", None, ["bad.csv", "month", "--month"]),
    ("month-contradicts-file", ACTIVITY_HEADER + "2026-08,a@x.com,slack,1,0,0\n", "2026-09",
     ["bad.csv", "2026-08", "2026-09"]),
    ("bad-month-argument", ROSTER_HEADER + "a@x.com,S,E,C,staff\n", "Sept", ["not a month"]),
    ("blank-email", ROSTER_HEADER + ",S,E,C,staff\n", "2026-09", ["row 2", 'column "email"', "blank"]),
    ("binary", b"\x00\x01\x02PNG\x00\x00garbage", "2026-09", ["bad.csv", "binary"]),
    ("formula", "month,community,tool,posts\n2026-09,=HYPERLINK(\"x\"),slack,1\n", None, ["row 2", "formula"]),
    ("kpi-not-a-number", "month,kpi,value\n2026-09,NPS,high\n", None, ["row 2", 'column "value"', "not a number"]),
    ("slack-overview", 'Date,Daily active members,Name,Messages posted,"Percentage of messages, public channels"\n'
     "2026-09-01,5,Acme,40,0.3\n", "2026-09", ["bad.csv", "Slack's Overview export", "Analytics → Members"]),
    ("m365-summary", "Report Refresh Date,Report Date,Team Chat Messages,Private Chat Messages,Calls,Meetings,"
     "Report Period\n2026-09-30,2026-09-30,1,2,3,4,30\n", None,
     ["bad.csv", "Teams user activity summary", "User details"]),
    ("vendor-missing-column", "Report Refresh Date,User Principal Name,Posted Count,Read Count,Report Period\n"
     "2026-09-30,a@x.com,1,2,30\n", None, ["bad.csv", "missing", "Liked Count", "Export it again"]),
]


@pytest.mark.parametrize("content,month,fragments", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refused_with_a_clear_message_and_nothing_changes(load, db, content, month, fragments):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    load("activity.csv", ACTIVITY_SEPT)
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        load("bad.csv", content, month=month)
    message = str(refused.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message
    assert "@x.com" not in message, "messages never echo an email"
    assert snapshot(db) == before


def test_oversize_file_is_refused(load, db, monkeypatch):
    from queries.imports import reading

    monkeypatch.setattr(reading, "max_upload_bytes", lambda: 1024)
    before = snapshot(db)
    with pytest.raises(ImportRefused, match="limit"):
        load("big.csv", ROSTER_HEADER + "a@x.com,S,E,C,staff\n" * 100, month="2026-09")
    assert snapshot(db) == before


@pytest.mark.parametrize("raw", ["lots", "0", "2.5", "99999"])
def test_a_wrong_upload_limit_is_refused_by_name_and_changes_nothing(load, db, monkeypatch, raw):
    monkeypatch.setenv("DASHBOARD_MAX_UPLOAD_MB", raw)
    before = snapshot(db)
    with pytest.raises(ImportRefused, match=r"DASHBOARD_MAX_UPLOAD_MB = .* whole number of megabytes from 1 to 10240"):
        load("roster.csv", ROSTER_SEPT, month="2026-09")
    assert snapshot(db) == before


def test_a_failure_inside_the_transaction_rolls_everything_back(load, db, monkeypatch):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    before = snapshot(db)
    from queries import warehouse

    def broken(conn):
        raise RuntimeError("disk full")

    monkeypatch.setattr(warehouse, "refresh_rollups", broken)
    with pytest.raises(RuntimeError):
        load("activity.csv", ACTIVITY_SEPT)
    monkeypatch.undo()
    assert snapshot(db) == before
