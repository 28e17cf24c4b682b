"""Vendor exports as champions download them (docs/formats.md): Viva Engage, Teams and Slack files map to exact
canonical rows, take their month from the file where it says, and refuse wrong periods and files spanning months."""
import datetime as dt
import gzip
import hashlib
import io
from pathlib import Path

import pytest

from conftest import PEPPER
from queries import metrics, uploads
from queries.imports import ImportRefused, read_upload

VENDOR = Path(__file__).parent / "fixtures" / "vendor"
FEB = dt.date(2026, 2, 1)
HEX = "77E5979DD60BA6EAA53E814DBEEEFA5F"
ROSTER_FEB = (
    "email,department,region,business_unit,level\n"
    "p000001@example.com,Sales,EMEA,Commercial,executive\n"
    "p000002@example.com,Sales,EMEA,Commercial,staff\n"
    "p000003@example.com,Legal,EMEA,Corporate,staff\n"
    "p000004@example.com,Legal,NA,Corporate,manager\n"
    "p000005@example.com,IT,NA,Corporate,staff\n"
    "p000006@example.com,IT,NA,Corporate,staff\n"
)


def key(person: str) -> str:
    return hashlib.sha256((PEPPER + person.strip().lower()).encode()).hexdigest()


def fixture(name: str) -> bytes:
    return (VENDOR / name).read_bytes()


def read(name: str, data: bytes | None = None, **kwargs):
    return read_upload(name, fixture(name) if data is None else data, pepper=PEPPER, **kwargs)


def activity(person, tool, posts, replies, reactions, reads, other, days, concealed=False, object_id=None):
    return {"month": FEB, "person_key": key(person), "tool": tool, "concealed": concealed, "posts": posts,
            "replies": replies, "reactions": reactions, "reads": reads, "other_actions": other, "active_days": days,
            "identity_key": object_id and object_key(object_id)}


def object_key(object_id):
    """An Entra object id as stored: pseudonymised under its namespace (docs/metrics.md#identity)."""
    return "object-id:" + hashlib.sha256(f"{PEPPER}object-id:{object_id.lower()}".encode()).hexdigest()


def community(name, tool, members, posts, reads, reactions):
    return {"month": FEB, "tool": tool, "community": name, "members": members, "posts": posts, "reads": reads,
            "reactions": reactions}


# --- Exact canonical rows per format ----------------------------------------------------------------------------

def test_engage_activity_rows():
    pending = read("engage_activity.csv")
    assert pending.source == "M365 Viva Engage activity user detail"
    assert (pending.kind, pending.month_labels(), pending.tools, pending.concealed_rows) == (
        "activity", ["2026-02"], ["viva-engage"], 1)
    assert pending.rows.to_pylist() == [
        activity("p000001@example.com", "viva-engage", 3, None, 5, 20, None, None),
        activity("p000002@example.com", "viva-engage", 0, None, 0, 7, None, None),  # blank counts are 0
        activity(HEX, "viva-engage", 1, None, 0, 4, None, None, concealed=True),
        activity("p000003@example.com", "viva-engage", 0, None, 0, 0, None, None),  # deleted user, all blank
        activity("p000009@example.com", "viva-engage", 0, None, 1, 2, None, None),
    ]


def test_engage_groups_rows_keep_deleted_groups():
    pending = read("engage_groups.csv")
    assert (pending.source, pending.kind, pending.tools) == (
        "M365 Viva Engage groups activity detail", "communities", ["viva-engage"])
    assert pending.rows.to_pylist() == [
        community("Sales Enablement", "viva-engage", 240, 31, 900, 120),
        community("Old Project Space", "viva-engage", 12, 0, 4, 0),  # Is Deleted = True, imported
        community("Cloud Guild", "viva-engage", 1204, 64, 2310, 75),
        community("3F2504E04F8911D39A0C0305E82C3301", "viva-engage", 9, 2, 11, 3),
    ]


def test_engage_device_usage_rows():
    pending = read("engage_devices.csv")
    assert (pending.source, pending.kind, pending.concealed_rows) == (
        "M365 Viva Engage device usage user detail", "devices", 1)
    assert pending.rows.to_pylist() == [
        {"month": FEB, "person_key": key(p), "tool": "viva-engage", "used_mobile": used, "identity_key": None}
        for p, used in (("p000001@example.com", True), ("p000002@example.com", False),  # web only
                        ("p000003@example.com", True), (HEX, True), ("p000004@example.com", False))
    ]


def test_teams_rows_read_by_name_with_durations_ignored():
    pending = read("teams_activity.csv")
    assert (pending.source, pending.kind, pending.tools, pending.concealed_rows) == (
        "M365 Teams user activity user detail", "activity", ["teams"], 1)
    assert pending.rows.to_pylist() == [
        activity("p000001@example.com", "teams", 3, 6, None, None, 10 + 25 + 2 + 4, None,
                 object_id="0b5c6a1e-0000-4000-8000-000000000001"),
        activity("p000002@example.com", "teams", 0, 0, None, None, 5, None,
                 object_id="0b5c6a1e-0000-4000-8000-000000000002"),
        # a concealed row links nothing, whatever its User Id says
        activity(HEX, "teams", 0, 1, None, None, 1, None, concealed=True),
        # Is Deleted, Has Other Action = Yes and Is Licensed = No add nothing: all counts are 0
        activity("p000005@example.com", "teams", 0, 0, None, None, 0, None,
                 object_id="0b5c6a1e-0000-4000-8000-000000000005"),
    ]


def test_slack_members_rows_skip_rows_without_email():
    pending = read("slack_members.csv", month="2026-02")
    assert (pending.source, pending.kind, pending.tools) == ("Slack Members CSV", "activity", ["slack"])
    assert pending.rows.to_pylist() == [
        activity("p000001@example.com", "slack", 1100, None, 250, None, 1204 - 1100, 18),
        activity("p000002@example.com", "slack", 0, None, 2, None, 0, 3),
        activity("p000006@example.com", "slack", 0, None, 0, None, 0, 0),
    ]
    assert len(pending.notes) == 1 and "1 row without an email" in pending.notes[0]


def test_slack_channels_rows():
    pending = read("slack_channels.csv", month="2026-02")
    assert (pending.source, pending.kind, pending.tools) == ("Slack Channels CSV", "communities", ["slack"])
    assert pending.rows.to_pylist() == [
        community("general", "slack", 1204, 310, 900, 1500),
        community("cloud-guild", "slack", 85, 64, 70, 0),
    ]


def test_slack_member_analytics_ndjson_rolls_days_up_to_the_month():
    pending = read("slack_member_analytics.ndjson")
    assert (pending.kind, pending.month_labels(), pending.tools) == ("activity", ["2026-02"], ["slack"])
    assert pending.rows.to_pylist() == [
        # three days: active on two; 7+2 messages of which 5+2 in channels; 3+1 reactions
        activity("p000001@example.com", "slack", 7, None, 4, None, 2, 2),
        activity("p000002@example.com", "slack", 1, None, 0, None, 3, 1),
    ]
    assert "1 record without an email" in pending.notes[0]


def test_gzipped_ndjson_as_getfile_returns_it():
    plain = read("slack_member_analytics.ndjson")
    zipped = read("slack_member_analytics.ndjson.gz", gzip.compress(fixture("slack_member_analytics.ndjson")))
    assert zipped.rows.to_pylist() == plain.rows.to_pylist()


@pytest.mark.parametrize("name", ["teams_activity.csv", "engage_groups.csv", "slack_members.csv"])
def test_xlsx_first_sheet_of_a_vendor_export_gives_the_same_rows(name):
    import csv

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    text = fixture(name).decode("utf-8-sig")
    for index, row in enumerate(csv.reader(io.StringIO(text))):
        cells = []
        for cell in row:
            if index and len(cell) == 10 and cell[4] == "-" and cell[:4].isdigit():
                cells.append(dt.datetime.fromisoformat(cell))  # Excel turns dates into dates
            elif index and cell.isdigit():
                cells.append(float(cell))  # and counts into numbers
            else:
                cells.append(cell or None)
        sheet.append(cells)
    book.create_sheet("Notes").append(["ignored"])
    out = io.BytesIO()
    book.save(out)
    month = "2026-02" if name.startswith("slack") else None
    from_xlsx = read(name.replace(".csv", ".xlsx"), out.getvalue(), month=month)
    assert from_xlsx.rows.to_pylist() == read(name, month=month).rows.to_pylist()


# --- Month from the file ----------------------------------------------------------------------------------------

def engage_with(refresh=("2026-02-28",) * 2, period=30) -> bytes:
    lines = ["Report Refresh Date,User Principal Name,Posted Count,Read Count,Liked Count,Report Period"]
    for n, date in enumerate(refresh, start=1):
        lines.append(f"{date},p00000{n}@example.com,1,2,3,{period}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_m365_month_is_the_month_of_the_refresh_date():
    assert read("e.csv", engage_with(("2026-03-01", "2026-03-01"))).month_labels() == ["2026-03"]
    assert read("e.csv", engage_with(("2026-02-28", "2026-02-27"))).month_labels() == ["2026-02"]
    assert read("e.csv", engage_with(), month="2026-02").month_labels() == ["2026-02"]


def test_m365_month_given_that_contradicts_the_file_is_refused():
    with pytest.raises(ImportRefused, match=r"e\.csv: the file covers 2026-02, but the month given was 2026-01"):
        read("e.csv", engage_with(), month="2026-01")


@pytest.mark.parametrize("period", [7, 90, 180])
def test_m365_period_that_is_not_a_month_is_refused_with_the_reason(period):
    with pytest.raises(ImportRefused) as refused:
        read("e.csv", engage_with(period=period))
    message = str(refused.value)
    for fragment in ("e.csv", f"{period} days", "not a month", "30", "--allow-period",
                     "Accept a report period that is not a month"):
        assert fragment in message


@pytest.mark.parametrize("period", [7, 90, 180])
def test_m365_other_period_is_accepted_with_a_month_and_allow_period(period):
    pending = read("e.csv", engage_with(period=period), month="2026-01", allow_period=True)
    assert pending.month_labels() == ["2026-01"]
    assert [r["month"] for r in pending.rows.to_pylist()] == [dt.date(2026, 1, 1)] * 2


def test_m365_allow_period_still_needs_the_month():
    with pytest.raises(ImportRefused, match=r"e\.csv: .*7 days.*choose the month.*--month"):
        read("e.csv", engage_with(period=7), allow_period=True)


def test_m365_rows_spanning_two_months_are_refused():
    with pytest.raises(ImportRefused) as refused:
        read("e.csv", engage_with(("2026-02-28", "2026-03-01")))
    assert "e.csv" in str(refused.value) and "span two months" in str(refused.value)
    assert "2026-02" in str(refused.value) and "2026-03" in str(refused.value)
    with pytest.raises(ImportRefused, match="span two months"):
        read("e.csv", engage_with(("2026-02-28", "2026-03-01"), period=7), month="2026-02", allow_period=True)


def test_slack_csvs_need_the_month():
    for name in ("slack_members.csv", "slack_channels.csv"):
        with pytest.raises(ImportRefused) as refused:
            read(name)
        assert name in str(refused.value) and "month" in str(refused.value) and "--month" in str(refused.value)


def test_slack_members_without_email_column_tells_how_to_add_it():
    import csv

    parsed = list(csv.reader(io.StringIO(fixture("slack_members.csv").decode("utf-8"))))
    drop = parsed[0].index("Email")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:drop] + r[drop + 1:] for r in parsed])
    with pytest.raises(ImportRefused) as refused:
        read("members.csv", out.getvalue().encode(), month="2026-02")
    message = str(refused.value)
    assert message.startswith("members.csv: ")
    assert "Email column" in message and "Slack's export options" in message


def test_slack_ndjson_spanning_two_months_is_refused():
    data = fixture("slack_member_analytics.ndjson").replace(b'"2026-02-03"', b'"2026-03-01"')
    with pytest.raises(ImportRefused, match=r"a\.ndjson: the records span two months \(2026-02, 2026-03\)"):
        read("a.ndjson", data)


def test_slack_ndjson_with_the_same_day_twice_is_refused():
    data = fixture("slack_member_analytics.ndjson")
    first_line = data.splitlines()[0]
    with pytest.raises(ImportRefused, match="repeats the same member and day"):
        read("a.ndjson", data + first_line + b"\n")


def test_slack_ndjson_month_contradicting_the_records_is_refused():
    with pytest.raises(ImportRefused, match="covers 2026-02, but the month given was 2026-03"):
        read("slack_member_analytics.ndjson", month="2026-03")


def test_slack_file_with_only_rows_without_email_is_refused():
    header = fixture("slack_members.csv").decode().splitlines()[0]
    bot = [line for line in fixture("slack_members.csv").decode().splitlines() if "Deploy Bot" in line][0]
    with pytest.raises(ImportRefused, match="no row of the file can be imported"):
        read("bots.csv", (header + "\n" + bot + "\n").encode(), month="2026-02")


def test_bad_value_in_a_vendor_file_names_row_and_column():
    data = fixture("engage_devices.csv").replace(b",No,No,Yes,No,No,No,30", b",No,No,Maybe,No,No,No,30")
    with pytest.raises(ImportRefused, match=r'row 4, column "Used Android Phone" \("Maybe"\) is not true or false'):
        read("d.csv", data)


# --- Committed: coverage, tool mix, mobile reach ----------------------------------------------------------------

def test_preview_coverage_counts_matched_unmapped_and_concealed(load, conn):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    pending = read("engage_activity.csv")
    assert uploads.preview_coverage(conn, pending) == {"matched": 3, "unmapped": 2, "concealed": 1, "linked": 0}
    assert uploads.preview_coverage(conn, read("engage_devices.csv")) == {
        "matched": 4, "unmapped": 1, "concealed": 1, "linked": 0}
    # A later month uses the latest earlier roster; a kind without people has no coverage.
    later = read("e.csv", engage_with(("2026-04-30", "2026-04-30")))
    assert uploads.preview_coverage(conn, later) == {"matched": 2, "unmapped": 0, "concealed": 0, "linked": 0}
    assert uploads.preview_coverage(conn, read("engage_groups.csv"))["matched"] is None


def test_vendor_files_commit_with_coverage_tool_mix_and_mobile_reach(load, conn):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    engage = load("engage_activity.csv", fixture("engage_activity.csv"))
    assert (engage.matched, engage.unmapped, engage.concealed) == (3, 2, 1)
    assert metrics.mobile_reach(conn, "2026-02") is None  # no device upload yet
    load("teams_activity.csv", fixture("teams_activity.csv"))
    load("slack_members.csv", fixture("slack_members.csv"), month="2026-02")
    load("engage_groups.csv", fixture("engage_groups.csv"))
    load("slack_channels.csv", fixture("slack_channels.csv"), month="2026-02")
    devices = load("engage_devices.csv", fixture("engage_devices.csv"))
    assert (devices.kind, devices.matched, devices.unmapped) == ("devices", 4, 1)

    rollup = dict(conn.execute(
        "SELECT tool, sum(coalesce(active, 0)) FROM org_rollup WHERE month = DATE '2026-02-01' GROUP BY tool"
    ).fetchall())
    # p000001 and p000002 are active on all three tools and count once; per-tool adoption = tool active / headcount
    assert rollup == {"*": 2, "viva-engage": 2, "teams": 2, "slack": 2}
    headcount = conn.execute("SELECT sum(headcount) FROM org_rollup WHERE month = DATE '2026-02-01' "
                             "AND tool = '*'").fetchone()[0]
    assert headcount == 6
    status = conn.execute("SELECT tools, has_devices, unmapped_people, concealed_people FROM month_status "
                          "WHERE month = DATE '2026-02-01'").fetchone()
    assert status == (["slack", "teams", "viva-engage"], True, 2, 1)
    # p000001 used the iPhone app; p000003 used Android but was not active; p000002 used only the web
    assert metrics.mobile_reach(conn, "2026-02") == 0.5
    assert metrics.mobile_reach(conn, "2026-02", metrics.Filters(departments=("Legal",))) is None
    mobile = dict(conn.execute("SELECT person_key, mobile FROM person_month WHERE month = DATE '2026-02-01'")
                  .fetchall())
    assert mobile[key("p000001@example.com")] is True
    assert mobile[key("p000003@example.com")] is False
    communities = conn.execute("SELECT tool, count(*) FROM live_communities GROUP BY ALL ORDER BY 1").fetchall()
    assert communities == [("slack", 2), ("viva-engage", 4)]


def test_device_upload_replaces_the_same_month_and_undo_removes_mobile_reach(load, conn):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    load("engage_activity.csv", fixture("engage_activity.csv"))
    first = load("engage_devices.csv", fixture("engage_devices.csv"))
    again = load("engage_devices.csv", fixture("engage_devices.csv"))
    assert again.replaced == [first.upload_id]
    assert conn.execute("SELECT count(*) FROM live_devices").fetchone()[0] == 5
    uploads.undo(conn, again.upload_id)
    assert metrics.mobile_reach(conn, "2026-02") == 0.5
    uploads.undo(conn, first.upload_id)
    assert metrics.mobile_reach(conn, "2026-02") is None
