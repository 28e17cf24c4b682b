"""Real files from the field (issue 15; tests/corpus/real): Teams device usage is its own format and feeds mobile
reach; headers match however Microsoft spaces, cases, quotes or orders them; and summary exports that hold no
per-person data are recognised and refused with the export to download instead, changing nothing."""
import csv
import io
from pathlib import Path

import pytest

from conftest import PEPPER, snapshot
from queries import metrics, uploads
from queries.imports import ImportRefused, read_upload, slack
from test_import_vendor import FEB, HEX, ROSTER_FEB, key

REAL = Path(__file__).parent / "corpus" / "real"
VENDOR = Path(__file__).parent / "fixtures" / "vendor"
TEAMS_DEVICES = "teams_device_usage_user_detail.csv"


def real(name: str) -> bytes:
    return (REAL / name).read_bytes()


def read(name: str, data: bytes, **kwargs):
    return read_upload(name, data, pepper=PEPPER, **kwargs)


def rewrite_header(data: bytes, rename) -> bytes:
    """The same file with each header cell passed through `rename` (the rows untouched)."""
    text = data.decode("utf-8-sig")
    header, _, body = text.partition("\r\n")
    cells = next(csv.reader([header]))
    return (",".join(rename(c) for c in cells) + "\r\n" + body).encode("utf-8")


def reorder(data: bytes, order) -> bytes:
    """The same file with its columns in another order (`order` maps the list of column indexes)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    indexes = order(list(range(len(rows[0]))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([[r[i] for i in indexes] for r in rows])
    return out.getvalue().encode("utf-8")


# --- Teams device usage, user detail -----------------------------------------------------------------------------

TEAMS_DEVICE_ROWS = [
    # (person, used mobile): iOS → yes; web only → no; Android → yes; Windows Phone → yes; Mac, Windows, Chrome OS
    # and Linux → no
    ("p000001@example.com", True), ("p000002@example.com", False), (HEX, True), ("p000004@example.com", True),
    ("p000005@example.com", False),
]


def test_teams_device_usage_is_its_own_format_with_mobile_from_ios_android_and_windows_phone():
    pending = read(TEAMS_DEVICES, real(TEAMS_DEVICES))
    assert (pending.source, pending.kind, pending.tools, pending.month_labels(), pending.concealed_rows) == (
        "M365 Teams device usage user detail", "devices", ["teams"], ["2026-02"], 1)
    assert pending.rows.drop_columns(["identity_key"]).to_pylist() == [
        {"month": FEB, "person_key": key(p), "tool": "teams", "used_mobile": used} for p, used in TEAMS_DEVICE_ROWS]
    # User Id links each person's addresses (docs/metrics.md#identity); a concealed row links nothing
    ids = pending.rows.column("identity_key").to_pylist()
    assert [k is not None and k.startswith("object-id:") for k in ids] == [p != HEX for p, _ in TEAMS_DEVICE_ROWS]


def test_teams_device_usage_as_graph_documents_it_without_the_newer_columns():
    """The v1.0 Graph docs list no User Id, Chrome OS, Linux or Is Licensed; older exports are still read."""
    data = ("Report Refresh Date,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Used Web,"
            "Used Windows Phone,Used iOS,Used Mac,Used Android Phone,Used Windows,Report Period\n"
            "2026-02-28,p000001@example.com,2026-02-27,False,,No,No,No,No,Yes,No,30\n").encode()
    pending = read("old.csv", data)
    assert pending.source == "M365 Teams device usage user detail"
    assert pending.rows.to_pylist()[0]["used_mobile"] is True


def test_teams_device_usage_without_windows_phone_is_read():
    """Microsoft keeps Windows Phone only for compatibility; a file without it loses nobody."""
    pending = read("no-wp.csv", reorder(real(TEAMS_DEVICES), lambda ix: [i for i in ix if i != 7]))
    assert [r["used_mobile"] for r in pending.rows.to_pylist()] == [True, False, True, False, False]


def test_teams_device_usage_bad_cell_names_row_and_column():
    data = real(TEAMS_DEVICES).replace(b",No,No,No,No,Yes,No,No,No,Yes,30", b",No,No,Maybe,No,Yes,No,No,No,Yes,30")
    with pytest.raises(ImportRefused, match=r'd\.csv: row 4, column "Used iOS" \("Maybe"\) is not true or false'):
        read("d.csv", data)


def test_teams_device_usage_missing_ios_names_the_teams_export_never_adding_columns():
    data = rewrite_header(real(TEAMS_DEVICES), lambda c: "Used Something" if c == "Used iOS" else c)
    with pytest.raises(ImportRefused) as refused:
        read("d.csv", data)
    message = str(refused.value)
    assert "M365 Teams device usage user detail" in message and "Used iOS" in message
    assert "Microsoft Teams → Device usage → User details → Export" in message
    assert "Add them" not in message and "template" not in message


def test_a_month_with_only_a_teams_device_file_gives_mobile_reach(load, conn, every_group_shown):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    load("teams_activity.csv", (VENDOR / "teams_activity.csv").read_bytes())
    assert metrics.mobile_reach(conn, "2026-02") is None  # no device upload yet
    devices = load(TEAMS_DEVICES, real(TEAMS_DEVICES))
    assert (devices.kind, devices.matched, devices.unmapped, devices.concealed) == ("devices", 4, 1, 1)
    # Active on Teams and on the roster: p000001 (iOS) and p000002 (web only). p000004 used a Windows Phone but
    # was not active; the concealed id is not on the roster.
    assert metrics.mobile_reach(conn, "2026-02") == 0.5
    mobile = dict(conn.execute("SELECT person_key, mobile FROM person_month WHERE month = DATE '2026-02-01'")
                  .fetchall())
    assert mobile[key("p000001@example.com")] is True
    assert mobile[key("p000002@example.com")] is False
    assert mobile[key("p000004@example.com")] is False


def test_teams_and_engage_device_files_of_a_month_combine_and_replace_only_their_own_tool(load, conn,
                                                                                         every_group_shown):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    load("teams_activity.csv", (VENDOR / "teams_activity.csv").read_bytes())
    teams = load(TEAMS_DEVICES, real(TEAMS_DEVICES))
    # p000002 used only the web in Teams but the iPhone app in Viva Engage: mobile, on any tool.
    engage = load("engage_devices.csv", (
        "Report Refresh Date,User Principal Name,Used Web,Used Windows Phone,Used Android Phone,Used iPhone,"
        "Used iPad,Report Period\n2026-02-28,p000002@example.com,Yes,No,No,Yes,No,30\n"))
    assert engage.replaced == []  # another tool's device upload is not replaced
    assert conn.execute("SELECT tool, count(*) FROM live_devices GROUP BY 1 ORDER BY 1").fetchall() == [
        ("teams", 5), ("viva-engage", 1)]
    assert metrics.mobile_reach(conn, "2026-02") == 1.0
    again = load(TEAMS_DEVICES, real(TEAMS_DEVICES))
    assert again.replaced == [teams.upload_id]
    uploads.undo(conn, engage.upload_id)
    assert metrics.mobile_reach(conn, "2026-02") == 0.5


# --- Header matching -----------------------------------------------------------------------------------------------

HEADER_VARIANTS = {
    "two spaces": lambda c: c.replace(" ", "  "),
    "upper case": str.upper,
    "lower case, no spaces": lambda c: c.lower().replace(" ", ""),
    "quoted": lambda c: f'"{c}"',
    "spaces around": lambda c: f" {c} ",
    "byte-order mark twice": lambda c: ("\ufeff" + c) if c == "Report Refresh Date" else c,
}


@pytest.mark.parametrize("variant", HEADER_VARIANTS, ids=list(HEADER_VARIANTS))
def test_teams_device_header_variants_give_the_same_rows(variant):
    data = "\ufeff".encode() + rewrite_header(real(TEAMS_DEVICES), HEADER_VARIANTS[variant])
    pending = read(TEAMS_DEVICES, data)
    assert pending.source == "M365 Teams device usage user detail"
    assert pending.rows.to_pylist() == read(TEAMS_DEVICES, real(TEAMS_DEVICES)).rows.to_pylist()


@pytest.mark.parametrize("order", ["reversed", "period first", "person last"])
def test_teams_device_columns_in_another_order_give_the_same_rows(order):
    orders = {"reversed": lambda ix: ix[::-1], "period first": lambda ix: ix[-1:] + ix[:-1],
              "person last": lambda ix: [i for i in ix if i != 2] + [2]}
    pending = read(TEAMS_DEVICES, reorder(real(TEAMS_DEVICES), orders[order]))
    assert pending.rows.to_pylist() == read(TEAMS_DEVICES, real(TEAMS_DEVICES)).rows.to_pylist()


TEAMS_ACTIVITY_REAL_HEADER = (
    "Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,"
    "Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Meetings Organized Count,"
    "Meetings Attended Count,Ad Hoc Meetings Organized Count,Ad Hoc Meetings Attended Count,"
    "Scheduled One-time Meetings Organized Count,Scheduled One-time Meetings Attended Count,"
    "Scheduled Recurring Meetings Organized Count,Scheduled Recurring Meetings Attended Count,Audio Duration,"
    "Video Duration,Screen Share Duration,Audio Duration In Seconds,Video Duration In Seconds,"
    "Screen Share Duration In Seconds,Has Other Action,Tenant Display Name,Urgent Messages,Post Messages,"
    "Reply Messages,Is Licensed,Report Period"
)


def test_teams_activity_with_columns_appended_after_has_other_action_is_read_by_name():
    """Real files put Tenant Display Name, Urgent Messages, Post Messages and Reply Messages after Has Other Action
    (and Microsoft adds meeting breakdowns over time): only the names matter."""
    values = {"User Principal Name": "p000001@example.com", "Report Refresh Date": "2026-02-28",
              "Report Period": "30", "Team Chat Message Count": "10", "Private Chat Message Count": "25",
              "Call Count": "2", "Meeting Count": "4", "Post Messages": "3", "Reply Messages": "6",
              "Urgent Messages": "1", "Tenant Display Name": "Example Corp", "Has Other Action": "No",
              "Is Licensed": "Yes", "Is Deleted": "False"}
    header = next(csv.reader([TEAMS_ACTIVITY_REAL_HEADER]))
    row = ",".join(values.get(name, "") for name in header)
    pending = read("teams.csv", ("\ufeff" + TEAMS_ACTIVITY_REAL_HEADER + "\r\n" + row + "\r\n").encode())
    assert pending.tools == ["teams"]
    found = pending.rows.to_pylist()[0]
    assert (found["posts"], found["replies"], found["other_actions"]) == (3, 6, 10 + 25 + 2 + 4)


# --- Summaries: recognised and refused ---------------------------------------------------------------------------

SUMMARIES = {
    # file → fragments of the message: what it is, and the export to download instead
    "teams_user_activity_counts.csv": ["Microsoft Teams user activity summary",
                                       "Microsoft Teams → User activity → User details → Export"],
    "teams_user_activity_user_counts.csv": ["Microsoft Teams user activity summary",
                                            "Microsoft Teams → User activity → User details → Export"],
    "engage_activity_counts.csv": ["Viva Engage activity summary", "Viva Engage → Activity → User details → Export"],
    "engage_activity_user_counts.csv": ["Viva Engage activity summary",
                                        "Viva Engage → Activity → User details → Export"],
    "teams_device_usage_user_counts.csv": ["Microsoft Teams device usage summary",
                                           "Microsoft Teams → Device usage → User details → Export"],
    "m365_app_platform_user_counts.csv": ["Microsoft 365 Apps usage summary", "does not read Microsoft 365 Apps",
                                          "Device usage → User details → Export"],
    "slack_overview.csv": ["Slack's Overview export", "workspace totals",
                           "Export Analytics → Members instead, with the Email column"],
}


@pytest.mark.parametrize("name", SUMMARIES)
def test_summary_exports_are_refused_with_the_export_to_download_and_nothing_changes(load, db, name):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        load(name, real(name), month="2026-02")
    message = str(refused.value)
    assert message.startswith(f"{name}: this is ")
    for fragment in SUMMARIES[name]:
        assert fragment in message, message
    assert "no per-person data" in message or "not one row per person" in message
    assert "missing" not in message and "Add them" not in message and "template" not in message
    assert snapshot(db) == before


@pytest.mark.parametrize("kind", ["communities", "activity", "devices"])
def test_a_summary_is_named_whatever_kind_was_chosen(kind):
    for name in ("slack_overview.csv", "teams_user_activity_counts.csv"):
        with pytest.raises(ImportRefused, match=r"this is (Slack's Overview|the Microsoft Teams user activity)"):
            read(name, real(name), month="2026-02", kind=kind)


def test_a_summary_with_an_unknown_layout_still_gets_advice():
    data = b"Report Refresh Date,Report Date,Sites,Files,Report Period\n2026-02-28,2026-02-28,3,40,30\n"
    with pytest.raises(ImportRefused) as refused:
        read("sp.csv", data)
    assert "summary view of a Microsoft 365 usage report" in str(refused.value)
    assert "User details" in str(refused.value)


def test_a_detail_report_with_summary_like_columns_is_still_imported():
    """A User Principal Name means people: Engage activity with extra Liked/Posted/Read columns stays a detail."""
    data = (VENDOR / "engage_activity.csv").read_bytes().decode("utf-8-sig").splitlines()
    data = [data[0] + ",Liked,Posted,Read,Report Date"] + [line + ",0,0,0,2026-02-28" for line in data[1:]]
    pending = read("e.csv", ("\n".join(data) + "\n").encode())
    assert pending.source == "M365 Viva Engage activity user detail"


# --- Missing columns: vendor exports are downloaded again, canonical templates completed ---------------------------

def test_vendor_file_missing_a_column_names_the_export_and_where_never_adding_columns():
    cases = {
        "engage.csv": (b"Report Refresh Date,User Principal Name,Posted Count,Read Count,Report Period\n"
                       b"2026-02-28,a@example.com,1,2,30\n", "Viva Engage → Activity → User details → Export"),
        "channels.csv": (b"Name,Messages posted,Reactions added\ngeneral,1,2\n",
                         "Workspace analytics → Channels → Export CSV"),
    }
    for name, (data, where) in cases.items():
        with pytest.raises(ImportRefused) as refused:
            read(name, data, month="2026-02")
        message = str(refused.value)
        assert message.startswith(f"{name}: this looks like a") and "missing" in message
        assert where in message and "without editing its columns" in message
        assert "Add them" not in message and "template" not in message


def test_canonical_file_missing_a_column_still_points_to_the_template():
    with pytest.raises(ImportRefused) as refused:
        read("roster.csv", b"email,department,region,level\na@example.com,S,E,staff\n", month="2026-02")
    assert "Add them (see the template on the Data page)" in str(refused.value)


# --- Traits of real exports (issue 15, point 5) ------------------------------------------------------------------

SLACK_NAMED = "Example Corp Member Analytics Prior 30 Days - Apr 17, 2026.csv"


def test_guest_upns_count_as_unmapped_and_the_preview_and_ledger_say_how_many(load, conn):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    pending = read("engage_activity_guests.csv", real("engage_activity_guests.csv"))
    assert pending.notes == ["2 guest accounts found (a user name with #EXT#: someone from outside the organisation "
                             "invited as a guest). Guests are not on the roster, so they are imported and counted as "
                            "Unmapped."]
    assert uploads.preview_coverage(conn, pending) == {"matched": 3, "unmapped": 2, "concealed": 0, "linked": 0}
    done = uploads.commit(conn, pending)
    assert (done.row_count, done.matched, done.unmapped) == (5, 3, 2)
    assert "2 guest accounts found" in done.summary()
    assert "2 guest accounts found" in uploads.ledger(conn)[0]["notes"]


def test_a_single_guest_is_one_guest_account_and_a_file_without_guests_has_no_note():
    lines = real("engage_activity_guests.csv").decode("utf-8-sig").splitlines()
    one = "\n".join(line for line in lines if "SUPPLIER" not in line) + "\n"
    assert read("e.csv", one.encode()).notes[0].startswith("1 guest account found (")
    none = "\n".join(line for line in lines if "#EXT#" not in line.upper()) + "\n"
    assert read("e.csv", none.encode()).notes == []


def test_concealed_rows_have_a_zero_user_id_and_a_32_hex_name_and_each_is_its_own_person():
    """User Id is all zeros on every concealed row; it is not read, so the rows are not taken for repeats."""
    pending = read("teams_user_activity_concealed.csv", real("teams_user_activity_concealed.csv"))
    rows = pending.rows.to_pylist()
    assert (pending.source, pending.row_count, pending.concealed_rows) == ("M365 Teams user activity user detail", 5, 3)
    assert [r["concealed"] for r in rows] == [False, True, True, True, False]
    assert len({r["person_key"] for r in rows}) == 5
    assert rows[1]["person_key"] == key(HEX)
    assert rows[3]["other_actions"] == 0  # a concealed row with every count blank


def test_assigned_products_joined_with_plus_are_never_read_even_with_a_plus_inside_a_name():
    data = real("teams_user_activity_assigned_products.csv")
    pending = read("teams.csv", data)
    assert pending.row_count == 4
    # A cell that starts with "+" would be a formula in a read text column; Assigned Products is not read at all.
    leading = data.replace(b"ENTERPRISE MOBILITY + SECURITY E5+", b"+ENTERPRISE MOBILITY + SECURITY E5+")
    assert read("teams.csv", leading).rows.to_pylist() == pending.rows.to_pylist()


def test_engage_groups_blank_counts_are_zero_and_group_type_is_not_read():
    pending = read("groups.csv", real("engage_groups_activity_blank_counts.csv"))
    assert [(r["community"], r["members"], r["posts"], r["reads"], r["reactions"]) for r in pending.rows.to_pylist()] \
        == [("All Company", 1204, 15, 480, 60), ("Quiet Corner", 8, 0, 0, 0), ("Read Only News", 310, 0, 95, 0),
            ("Archived Launch", 0, 0, 0, 0)]


@pytest.mark.parametrize("written", ["2021-10-25", "2021-10-25T00:00:00Z", "2021-10-25T23:59:59Z",
                                     "2021-10-25T00:00:00.000Z", "2021-10-25T00:00:00"])
def test_report_dates_as_a_date_or_a_utc_date_time_give_the_same_month(written):
    data = real("engage_activity_iso_dates.csv").replace(b"2021-10-25T00:00:00Z,", written.encode() + b",")
    pending = read("e.csv", data)
    assert pending.month_labels() == ["2021-10"]
    assert pending.rows.to_pylist() == read("e.csv", real("engage_activity_iso_dates.csv")).rows.to_pylist()


def test_utc_date_times_are_read_in_canonical_month_and_date_columns_too():
    activity = read("a.csv", b"month,email,tool,posts\n2026-09-01T00:00:00Z,a@example.com,slack,1\n")
    assert activity.month_labels() == ["2026-09"]
    training = read("t.csv", b"date,program,email\n2026-09-15T08:30:00Z,Basics,a@example.com\n")
    assert training.rows.to_pylist()[0]["date"].isoformat() == "2026-09-15"


def test_a_date_time_that_is_not_real_is_refused_naming_row_and_column(load, db):
    before = snapshot(db)
    data = real("engage_activity_iso_dates.csv").replace(b"2021-10-25,p000003", b"2021-10-25T25:00:00Z,p000003")
    with pytest.raises(ImportRefused, match=r'e\.csv: row 4, column "Report Refresh Date" \("2021-10-25T25:00:00Z"\) '
                                            r"is not a real date"):
        load("e.csv", data)
    assert snapshot(db) == before


def test_slack_members_dates_quoted_with_a_comma_stay_in_their_cells():
    pending = read("members.csv", real("slack_members_quoted_dates.csv"), month="2024-03")
    assert [(r["posts"], r["other_actions"], r["reactions"], r["active_days"]) for r in pending.rows.to_pylist()] == [
        (900, 304, 250, 18), (2, 10, 2, 3)]


# The month a Slack file name suggests: the month holding most of the 30 days before the date in the name.
NAMED_MONTHS = {
    SLACK_NAMED: "2026-04",
    "Example Corp Member Analytics Prior 30 Days - May 1, 2026.csv": "2026-04",
    "Example Corp Member Analytics Prior 30 Days - Mar 2, 2026.csv": "2026-02",  # Jan 31 to Mar 1
    "Example Corp Member Analytics Prior 30 Days - Apr 16, 2026.csv": "2026-04",  # 15 and 15: the later month
    "Example Corp Channel Analytics Prior 30 Days - Jan 1, 2026.csv": "2025-12",
    "example corp member analytics prior 30 days - september 3, 2025 (1).csv": "2025-08",
    "Example Corp Member Analytics Prior 7 Days - Apr 17, 2026.csv": None,  # a week is not a month
    "Example Corp Member Analytics Prior 90 Days - Apr 17, 2026.csv": None,
    "Example Corp Member Analytics Prior 30 Days - Feb 30, 2026.csv": None,  # not a real date
    "Example Corp Member Analytics Prior 30 Days - Ma 3, 2026.csv": None,  # March or May
    "Example Corp Member Analytics All time.csv": None,
    "members.csv": None,
    "": None,
}


@pytest.mark.parametrize("name", NAMED_MONTHS)
def test_the_month_a_slack_file_name_suggests(name):
    named = slack.month_named(name)
    assert (named.label if named else None) == NAMED_MONTHS[name]


def test_files_chosen_together_suggest_a_month_only_when_their_names_agree():
    may = "Example Corp Channel Analytics Prior 30 Days - May 1, 2026.csv"
    assert slack.month_named_by_all([SLACK_NAMED, may, "roster.csv"]).label == "2026-04"
    assert slack.month_named_by_all([SLACK_NAMED, "X Prior 30 Days - Mar 2, 2026.csv"]) is None
    assert slack.month_named_by_all(["roster.csv"]) is None
    assert slack.month_named(SLACK_NAMED).reason == "the 30 days before Apr 17, 2026 fall mostly in April 2026"


def test_a_named_slack_file_is_never_given_its_month_silently(load, db):
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        load(SLACK_NAMED, real(SLACK_NAMED))
    assert str(refused.value) == (
        f"{SLACK_NAMED}: this Slack Members CSV file does not say which month it covers. Its name suggests 2026-04 "
        "(the 30 days before Apr 17, 2026 fall mostly in April 2026). If that is right, choose 2026-04 on the upload "
        "form, or pass --month 2026-04 on the command line.")
    assert snapshot(db) == before
    # Another month may be given: the name only suggests.
    assert load(SLACK_NAMED, real(SLACK_NAMED), month="2026-03").months == ["2026-03"]


# --- The corpus: every file with its expected outcome (issue 15, point 6) --------------------------------------

IMPORTED = {
    # file → (month given, roster month, (source, kind, months, rows, matched, unmapped, concealed), note fragments)
    TEAMS_DEVICES: (None, "2026-02", ("M365 Teams device usage user detail", "devices", ["2026-02"], 5, 4, 1, 1), []),
    "engage_activity_guests.csv": (
        None, "2026-02", ("M365 Viva Engage activity user detail", "activity", ["2026-02"], 5, 3, 2, 0),
        ["2 guest accounts found"]),
    "teams_user_activity_concealed.csv": (
        None, "2026-02", ("M365 Teams user activity user detail", "activity", ["2026-02"], 5, 2, 3, 3), []),
    "teams_user_activity_assigned_products.csv": (
        None, "2026-02", ("M365 Teams user activity user detail", "activity", ["2026-02"], 4, 4, 0, 0), []),
    "engage_groups_activity_blank_counts.csv": (
        None, "2026-02", ("M365 Viva Engage groups activity detail", "communities", ["2026-02"], 4, None, None, 0),
        []),
    "engage_activity_iso_dates.csv": (
        None, "2021-10", ("M365 Viva Engage activity user detail", "activity", ["2021-10"], 3, 3, 0, 0), []),
    "slack_members_quoted_dates.csv": (
        "2024-03", "2024-03", ("Slack Members CSV", "activity", ["2024-03"], 2, 2, 0, 0),
        ["1 row without an email address"]),
    SLACK_NAMED: ("2026-04", "2026-04", ("Slack Members CSV", "activity", ["2026-04"], 3, 2, 1, 0), []),
}
REFUSED = {
    # file → (month given, fragments of the refusal)
    **{name: ("2026-02", fragments) for name, fragments in SUMMARIES.items()},
    SLACK_NAMED: (None, ["does not say which month it covers", "Its name suggests 2026-04",
                         "pass --month 2026-04 on the command line"]),
    # Read with a saved column mapping in tests/test_import_mapping.py.
    "workday_workers_report.csv": ("2026-02", ["unknown format", "map its columns once on the Data page",
                                               "--mapping NAME"]),
}


def test_every_corpus_file_has_an_expected_outcome_and_a_readme_line():
    files = {p.name for p in REAL.iterdir() if p.name != "README.md"}
    assert files == set(IMPORTED) | set(REFUSED)
    readme = (REAL / "README.md").read_text()
    for name in files:
        assert f"| `{name}` |" in readme, name


@pytest.mark.parametrize("name", IMPORTED)
def test_corpus_file_is_imported_with_these_counts(load, conn, every_group_shown, name):
    month, roster_month, expected, notes = IMPORTED[name]
    load("roster.csv", ROSTER_FEB, month=roster_month)
    done = load(name, real(name), month=month)
    assert (done.source, done.kind, done.months, done.row_count, done.matched, done.unmapped, done.concealed) \
        == expected
    for fragment in notes:
        assert fragment in " ".join(done.notes)
    if not notes:
        assert done.notes == ()


@pytest.mark.parametrize("name", REFUSED)
def test_corpus_file_is_refused_with_this_advice_and_nothing_changes(load, db, name):
    month, fragments = REFUSED[name]
    load("roster.csv", ROSTER_FEB, month="2026-02")
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        load(name, real(name), month=month)
    assert str(refused.value).startswith(f"{name}: ")
    for fragment in fragments:
        assert fragment in str(refused.value)
    assert snapshot(db) == before
