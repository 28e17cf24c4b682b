"""The roster from the Microsoft Entra ID user list (docs/formats.md#microsoft-entra-id-user-list): headcount,
departments, regions, business units and levels from the documented columns; guests, disabled accounts and accounts
without a department left out with a sentence each; M365 reports join to it; names and titles never stored; the
roster settings validated."""
import datetime as dt
import hashlib

import pytest

from conftest import PEPPER
from queries import rubric, uploads
from queries.imports import ImportRefused, entra, read_upload

SEPT = dt.date(2026, 9, 1)
# The documented header of Users → All users → Download users, with the newer companyName and employeeId at the end.
HEADER = ("userPrincipalName,displayName,surname,mail,givenName,objectId,userType,jobTitle,department,accountEnabled,"
          "usageLocation,streetAddress,state,country,physicalDeliveryOfficeName,city,postalCode,telephoneNumber,"
          "mobile,companyName,employeeId")


def object_id(upn: str) -> str:
    return f"00000000-0000-0000-0000-{sum(map(ord, upn)):012d}"


def rows_keys(pending) -> list[str]:
    return pending.rows.column("identity_key").to_pylist()


def user(upn, name, job_title, department, country="", usage="", company="Contoso Ltd", user_type="Member",
         enabled="True"):
    given, surname = name.split(" ", 1)
    return (f"{upn},{name},{surname},{upn},{given},{object_id(upn)},"
            f"{user_type},{job_title},{department},{enabled},{usage},1 Main St,,{country},HQ,Springfield,12345,"
            f"+1 555 0100,,{company},E{len(upn)}")


PEOPLE = [
    user("ada.lovelace@contoso.example", "Ada Lovelace", "Chief Executive Officer", "Executive Office",
         "United States", "US"),
    user("grace.hopper@contoso.example", "Grace Hopper", "VP Engineering", "Engineering", "Germany", "DE"),
    user("alan.turing@contoso.example", "Alan Turing", "Engineering Manager", "Engineering", "", "GB"),
    user("katherine.johnson@contoso.example", "Katherine Johnson", "Head of Sales", "Sales", "Brazil", "BR",
         company="Contoso Brasil"),
    user("edsger.dijkstra@contoso.example", "Edsger Dijkstra", "Software Engineer", "Engineering", "Netherlands",
         "NL"),
    user("barbara.liskov@contoso.example", "Barbara Liskov", "Executive Assistant", "Executive Office", "Japan",
         "JP"),
    user("donald.knuth@contoso.example", "Donald Knuth", "", "Sales", "Narnia", "", company=""),
    # Not headcount:
    user("guest_partner.example#EXT#@contoso.onmicrosoft.com", "Pat Partner", "Consultant", "Sales", "France",
         "FR", user_type="Guest"),
    user("vendor@contoso.example", "Val Vendor", "Contractor", "Engineering", "France", "FR", user_type="Guest"),
    user("left.company@contoso.example", "Lee Leaver", "Director of Finance", "Finance", "Canada", "CA",
         enabled="False"),
    user("meetingroom.4b@contoso.example", "Room 4B", "", "", "", "US"),
    user("noreply@contoso.example", "No Reply", "", "", "", ""),
]
ENTRA_CSV = HEADER + "\n" + "\n".join(PEOPLE) + "\n"
NAMES = ("Ada Lovelace", "Lovelace", "Grace", "Hopper", "Chief Executive Officer", "VP Engineering",
         "Engineering Manager", "Software Engineer", "Executive Assistant")


def key(upn: str) -> str:
    return hashlib.sha256((PEPPER + upn.strip().lower()).encode()).hexdigest()


def read(text: str = ENTRA_CSV, month="2026-09", **kwargs):
    return read_upload("exportUsers.csv", text.encode("utf-8"), pepper=PEPPER, month=month, **kwargs)


def test_entra_user_list_imports_as_roster_with_derived_fields():
    pending = read()
    assert pending.kind == "roster" and pending.source == "Microsoft Entra ID user list"
    assert pending.months == [SEPT]
    rows = {r["person_key"]: r for r in pending.rows.to_pylist()}
    assert len(rows) == 7
    expected = {
        "ada.lovelace@contoso.example": ("Executive Office", "North America", "Contoso Ltd", "executive"),
        "grace.hopper@contoso.example": ("Engineering", "Europe", "Contoso Ltd", "executive"),
        "alan.turing@contoso.example": ("Engineering", "Europe", "Contoso Ltd", "manager"),  # from usageLocation
        "katherine.johnson@contoso.example": ("Sales", "Latin America", "Contoso Brasil", "manager"),
        "edsger.dijkstra@contoso.example": ("Engineering", "Europe", "Contoso Ltd", "staff"),
        "barbara.liskov@contoso.example": ("Executive Office", "Asia Pacific", "Contoso Ltd", "staff"),
        "donald.knuth@contoso.example": ("Sales", "Other", "All", "staff"),
    }
    for upn, (department, region, business_unit, level) in expected.items():
        row = rows[key(upn)]
        assert (row["month"], row["department"], row["region"], row["business_unit"], row["level"]) == (
            SEPT, department, region, business_unit, level), upn
    assert set(pending.rows.column_names) == {"month", "person_key", "department", "region", "business_unit", "level",
                                              "identity_key"}
    # the object id is kept only as its pseudonym (docs/metrics.md#identity)
    assert all(k.startswith("object-id:") and len(k) == len("object-id:") + 64 for k in rows_keys(pending))


def test_preview_says_who_was_left_out_and_how_fields_were_derived():
    notes = read().notes
    assert notes == [
        "2 guest accounts (userType Guest, or #EXT# in the user principal name) left out: guests are not "
        "headcount.",
        "1 disabled account (accountEnabled False) left out: disabled accounts are not headcount.",
        "2 accounts without a department left out (service accounts, shared mailboxes and meeting rooms usually "
        "have none).",
        "1 person is in region \"Other\": country and usage location blank or not in [roster.regions] of "
        "data/stages.toml (for example 'Narnia').",
        "1 person without a companyName is in business unit \"All\".",
        "Levels from job titles (the [[roster.levels]] rules of data/stages.toml): 2 executive, 2 manager, 3 staff. "
        "1 person without a job title counts as staff.",
    ]


def test_a_guest_is_known_by_ext_in_the_upn_even_when_usertype_says_member():
    text = HEADER + "\n" + user("someone_other.example#EXT#@contoso.onmicrosoft.com", "Sam Other", "Analyst",
                                "Sales", "France", "FR") + "\n" + PEOPLE[0] + "\n"
    pending = read(text)
    assert [r["person_key"] for r in pending.rows.to_pylist()] == [key("ada.lovelace@contoso.example")]
    assert pending.notes[0].startswith("1 guest account (userType Guest, or #EXT#")


def test_display_name_header_variants_and_no_company_column():
    # Casing and display names as a newer download may write them; no companyName, jobTitle as "Job title".
    text = ("User principal name,Display name,User type,Job title,Department,Account enabled,Usage location,"
            "Country or region\n"
            "a@contoso.example,Ann A,Member,Director of Sales,Sales,TRUE,FR,\n"
            "b@contoso.example,Bob B,member,Analyst,Sales,true,,Canada\n")
    pending = read(text)
    assert [(r["region"], r["business_unit"], r["level"]) for r in pending.rows.to_pylist()] == [
        ("Europe", "All", "manager"), ("North America", "All", "staff")]
    assert "The file has no companyName column, so everyone is in business unit \"All\"." in pending.notes


def test_the_month_is_required():
    with pytest.raises(ImportRefused, match="does not say which month it covers"):
        read(month=None)


def test_a_file_with_nobody_left_is_refused_with_the_reasons():
    text = HEADER + "\n" + "\n".join(PEOPLE[7:]) + "\n"
    with pytest.raises(ImportRefused, match=r"no row of the file can be imported\. 2 guest accounts"):
        read(text)


def test_missing_column_names_the_export_to_download_again():
    text = ENTRA_CSV.replace("accountEnabled", "enabledFlag", 1)
    with pytest.raises(ImportRefused, match=r"looks like a Microsoft Entra ID user list file but it is missing the "
                                            r"required column\(s\) accountEnabled\. Export it again \(Microsoft Entra"):
        read(text)


# --- Committed: M365 reports join to it; names and titles are never stored --------------------------------------

TEAMS = ("Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,"
         "Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,"
         "Post Messages,Reply Messages,Urgent Messages,Has Other Action,Report Period\n")


def teams_row(upn: str, posts: int) -> str:
    # Teams' User Id is the person's Entra object id, as on the user list
    return f"2026-09-30,{object_id(upn.lower())},{upn},2026-09-29,False,,,3,4,1,2,{posts},1,0,No,30\n"


def test_teams_activity_with_the_same_upns_joins_fully(load, conn):
    roster = load("exportUsers.csv", ENTRA_CSV, month="2026-09")
    assert (roster.kind, roster.row_count) == ("roster", 7)
    assert roster.notes and roster.notes[0].startswith("2 guest accounts")
    members = ["ada.lovelace@contoso.example", "Grace.Hopper@contoso.example", "alan.turing@contoso.example"]
    data = TEAMS + "".join(teams_row(upn, i) for i, upn in enumerate(members))
    preview = uploads.preview_coverage(conn, read_upload("teams.csv", data.encode(), pepper=PEPPER))
    assert preview == {"matched": 3, "unmapped": 0, "concealed": 0, "linked": 0}
    teams = load("teams.csv", data)
    assert (teams.matched, teams.unmapped) == (3, 0)
    headcount = conn.execute("SELECT sum(headcount) FROM org_rollup WHERE month = DATE '2026-09-01' "
                             "AND tool = '*'").fetchone()[0]
    assert headcount == 7
    ledger = {row["upload_id"]: row for row in uploads.ledger(conn)}
    assert "2 guest accounts (userType Guest, or #EXT#" in ledger[roster.upload_id]["notes"]


def test_names_and_job_titles_never_reach_the_warehouse(load, conn):
    load("exportUsers.csv", ENTRA_CSV, month="2026-09")
    tables = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', "
        "'pg_catalog')").fetchall()]
    assert tables
    found = []
    for table in tables:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'VARCHAR'",
            [table]).fetchall()]
        for column in columns:
            for name in NAMES + ("contoso.example", "Springfield", "+1 555"):
                hit = conn.execute(f'SELECT count(*) FROM "{table}" WHERE contains(lower("{column}"), lower(?))',
                                   [name]).fetchone()[0]
                if hit:
                    found.append((table, column, name))
    assert found == []


# --- The roster settings ------------------------------------------------------------------------------------------

def settings_with(tmp_path, old: str, new: str):
    text = rubric.DEFAULT_RUBRIC.read_text()
    assert old in text, old
    path = tmp_path / "stages.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, message", [
    ("pattern = '\\b(Manager|", "pattern = '\\b((Manager|", "[[roster.levels]] rule #2 (manager): pattern "),
    ('level = "manager"', 'level = "boss"', "[[roster.levels]] rule #2: level 'boss' must be executive, manager"),
    ("pattern = '\\b(Manager|Head of|Director|Supervisor)\\b'", "pattern = 'Manager|'",
     "rule #2 (manager): pattern 'Manager|' matches any job title"),
    ('"North America" = ["United States"', '"North America" = ["Germany", "United States"',
     "roster.regions.'North America': 'Germany' is also in region 'Europe'"),
    ('"North America" = [', '"North America" = [1, ', "roster.regions.'North America' must be a list of country"),
    ('default_level = "staff"', 'default_level = "intern"', "roster.default_level = 'intern' must be"),
])
def test_bad_roster_settings_are_refused_naming_the_file_and_entry(tmp_path, monkeypatch, old, new, message):
    path = settings_with(tmp_path, old, new)
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(path))
    with pytest.raises(ImportRefused) as raised:
        read()
    text = str(raised.value)
    assert text.startswith("exportUsers.csv was not imported: the roster settings cannot be used. "
                           f"{path}: ")
    assert message in text


def test_a_bad_regular_expression_says_why(tmp_path):
    path = settings_with(tmp_path, "pattern = '\\b(Manager|", "pattern = '\\b(Manager|(")
    with pytest.raises(entra.RosterSettingsError, match=r"rule #2 \(manager\): pattern .* is not a valid regular "
                                                         r"expression \(missing \), unterminated subpattern"):
        entra.roster_rules(path)


def test_edited_rules_change_the_levels(tmp_path, monkeypatch):
    path = settings_with(tmp_path, "pattern = '\\b(Manager|Head of|Director|Supervisor)\\b'",
                         "pattern = 'Manager|Head of|Director|Engineer'")
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(path))
    levels = sorted(r["level"] for r in read().rows.to_pylist())
    assert levels == ["executive", "executive", "manager", "manager", "manager", "staff", "staff"]


def test_a_settings_file_without_roster_rules_uses_the_default_ones(tmp_path, monkeypatch):
    text = rubric.DEFAULT_RUBRIC.read_text()
    path = tmp_path / "stages.toml"
    path.write_text(text[:text.index("# --- The roster from the Microsoft Entra ID")])
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(path))
    assert len(read().rows) == 7
