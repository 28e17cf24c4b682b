"""Any other HR export as a roster through a column mapping (docs/formats.md#other-hr-exports): mapped once with its
own level rules, saved under the file's header signature with who saved it in the audit trail, offered again for a
file with the same columns, taken by name on the command line, and never used unasked for a file that imports
without one; bad mappings and rules refused changing nothing; names and job titles never stored; and the Data
page's mapping flow for a signed-in champion."""
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from conftest import PEPPER, snapshot
from queries import __main__ as cli, access, rubric, uploads, warehouse
from queries.imports import ImportRefused, mapping, read_upload

WORKDAY = "workday_workers_report.csv"
DATA = (Path(__file__).parent / "corpus" / "real" / WORKDAY).read_bytes()
HEADERS = mapping.read_headers(WORKDAY, DATA)
FEB = dt.date(2026, 2, 1)
COLUMNS = {"person": "Email - Work", "department": "Supervisory Organization", "country": "Work Country",
           "business_unit": "Company", "title": "Business Title", "identity": "Employee ID"}
CHAMPION = access.Actor("champion", "champion 7f3a")
# Every name and job title the file holds: none may reach the warehouse.
NAMES = ("Alex Example", "Blake Sample", "Casey Placeholder", "Dana Fictional", "Eden Madeup", "Finley Invented",
         "Gray Notreal", "Harper Contingent", "Chief Financial Officer", "Director, Sales Operations",
         "Software Engineer", "Platform Engineering", "HR Business Partner", "Field Technician", "Contractor",
         "Individual Contributor", "Analyst", "Ulaanbaatar", "Bengaluru", "100001", "C-0042")


def key(email: str) -> str:
    return hashlib.sha256((PEPPER + email.strip().lower()).encode()).hexdigest()


def workday(name="Workday workers", columns=None) -> mapping.ColumnMapping:
    return mapping.ColumnMapping.made(name, COLUMNS if columns is None else columns, HEADERS)


def rewritten(old: str, new: str, data: bytes = DATA) -> bytes:
    assert old.encode() in data, old
    return data.replace(old.encode(), new.encode())


def save(db, mapping_, data=DATA, actor=CHAMPION, file_name=WORKDAY) -> str:
    with warehouse.opened(db) as conn:
        return uploads.save_mapping(conn, mapping_, file_name, data, pepper=PEPPER, actor=actor)


def saved(db) -> list:
    with warehouse.opened(db) as conn:
        return uploads.saved_mappings(conn)


# --- Reading a file through a mapping ------------------------------------------------------------------------------

def test_a_mapped_workday_export_reads_as_a_roster_with_level_and_region_from_the_settings():
    pending = read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=workday())
    assert (pending.kind, pending.source, pending.months) == (
        "roster", 'HR export mapped with "Workday workers"', [FEB])
    assert set(pending.rows.column_names) == {"month", "person_key", "department", "region", "business_unit", "level",
                                              "identity_key"}
    # the employee id is kept only as its pseudonym (docs/metrics.md#identity)
    assert all(k.startswith("employee-id:") for k in pending.rows.column("identity_key").to_pylist())
    rows = {r["person_key"]: (r["department"], r["region"], r["business_unit"], r["level"])
            for r in pending.rows.to_pylist()}
    assert rows == {
        key("p000001@example.com"): ("Finance", "North America", "Example Corp Inc.", "executive"),
        key("p000002@example.com"): ("Sales", "North America", "Example Corp Inc.", "manager"),
        key("p000003@example.com"): ("Engineering", "Europe", "Example Corp GmbH", "staff"),
        key("p000004@example.com"): ("Engineering", "Europe", "Example Corp GmbH", "manager"),
        key("p000005@example.com"): ("People", "Asia Pacific", "Example Corp India Pvt Ltd", "staff"),
        key("p000006@example.com"): ("Finance", "Latin America", "Example Corp Ltda", "staff"),
        key("p000007@example.com"): ("Operations", "Other", "Example Corp LLC", "staff"),
    }
    assert pending.notes == [
        "1 row without an email left out: nobody can be matched to the activity exports without one.",
        "1 person is in region \"Other\": \"Work Country\" blank or not in [roster.regions] of data/stages.toml "
        "(for example 'Mongolia').",
        "Levels from the \"Business Title\" column (the [[roster.levels]] rules of data/stages.toml): 1 executive, "
        "2 manager, 4 staff.",
    ]


def test_the_month_is_the_uploaders():
    with pytest.raises(ImportRefused, match=r'this HR export mapped with "Workday workers" file does not say which '
                                            r"month it covers\. Choose the month on the upload form, or pass --month"):
        read_upload(WORKDAY, DATA, pepper=PEPPER, mapping=workday())


def test_a_level_and_region_column_are_read_as_they_are_and_missing_fields_take_the_settings_defaults():
    data = ("Work Email,Team,Geo,Grade,Display Name\n"
            "a@example.com,Sales,EMEA,Executive,Ann Sample\n"
            "b@example.com,Sales,,staff,Ben Sample\n"
            "c@example.com,,NA,,Cat Sample\n").encode()
    headers = mapping.read_headers("hr.csv", data)
    chosen = mapping.ColumnMapping.made("Grades", {"person": "Work Email", "department": "Team", "region": "Geo",
                                                   "level": "Grade"}, headers)
    pending = read_upload("hr.csv", data, pepper=PEPPER, month="2026-02", mapping=chosen)
    assert [(r["department"], r["region"], r["business_unit"], r["level"]) for r in pending.rows.to_pylist()] == [
        ("Sales", "EMEA", "All", "executive"), ("Sales", "Unassigned", "All", "staff"),
        ("Unassigned", "NA", "All", "staff")]
    assert pending.notes == [
        "1 person with a blank \"Team\" is in department \"Unassigned\".",
        "1 person with a blank \"Geo\" is in region \"Unassigned\".",
        "The mapping has no business unit column, so everyone is in business unit \"All\".",
        "Levels from the \"Grade\" column: 1 executive, 0 manager, 2 staff. 1 person with a blank level counts as "
        "staff.",
    ]


# --- The mapping's own level rules ------------------------------------------------------------------------------------

# Workday's Management Level: "2 Executive", "4 Director", "5 Manager", "6 Individual Contributor".
RULES = "Executive → executive\nDirector|Manager -> manager"


def levels_of(pending) -> dict:
    return {r["person_key"]: r["level"] for r in pending.rows.to_pylist()}


def test_a_level_column_that_holds_no_level_goes_through_the_mappings_rules():
    columns = {k: v for k, v in COLUMNS.items() if k != "title"} | {"level": "Management Level"}
    chosen = mapping.ColumnMapping.made("Workday levels", columns, HEADERS, level_rules=RULES)
    pending = read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=chosen)
    assert levels_of(pending) == {key("p000001@example.com"): "executive", key("p000002@example.com"): "manager",
                                  key("p000003@example.com"): "staff", key("p000004@example.com"): "manager",
                                 key("p000005@example.com"): "staff", key("p000006@example.com"): "staff",
                                 key("p000007@example.com"): "staff"}
    assert pending.notes[-1] == ("Levels from the \"Management Level\" column, through the mapping's level rules for "
                                 "the 7 people whose value is not executive, manager or staff: 1 executive, "
                                "2 manager, 4 staff.")
    # Without rules of its own (a mapping saved before mappings carried them), the settings' rules apply: the
    # preview's count shows at once that they do not fit this column.
    older = mapping.ColumnMapping.made("Workday levels", columns, HEADERS)
    assert older.levels is None
    pending = read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=older)
    assert pending.notes[-1].startswith("Levels from the \"Management Level\" column, through the [[roster.levels]] "
                                        "rules of data/stages.toml for the 7 people whose value is not executive, "
                                       "manager or staff: 0 executive, 2 manager, 5 staff.")


def test_a_level_column_keeps_the_values_that_already_are_levels():
    data = ("Work Email,Team,Grade\na@example.com,Sales,Executive\nb@example.com,Sales,M3\n"
            "c@example.com,Sales, staff \nd@example.com,Sales,E1\n").encode()
    headers = mapping.read_headers("hr.csv", data)
    chosen = mapping.ColumnMapping.made("Grades", {"person": "Work Email", "department": "Team", "level": "Grade"},
                                        headers, level_rules="^E\\d → executive\n^M\\d → manager")
    pending = read_upload("hr.csv", data, pepper=PEPPER, month="2026-02", mapping=chosen)
    assert [r["level"] for r in pending.rows.to_pylist()] == ["executive", "manager", "staff", "executive"]
    assert pending.notes[-1] == ("Levels from the \"Grade\" column, through the mapping's level rules for the "
                                 "2 people whose value is not executive, manager or staff: 2 executive, 1 manager, "
                                "1 staff.")


def test_a_title_column_goes_through_the_mappings_rules_in_order():
    rules = "Engineer → manager\nChief|Engineer → executive"  # the first rule that matches wins
    pending = read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02",
                          mapping=mapping.ColumnMapping.made("Titles", COLUMNS, HEADERS, level_rules=rules))
    assert levels_of(pending)[key("p000001@example.com")] == "executive"
    assert levels_of(pending)[key("p000003@example.com")] == "manager"
    assert levels_of(pending)[key("p000004@example.com")] == "manager"  # "Manager, Platform Engineering"
    assert levels_of(pending)[key("p000002@example.com")] == "staff"  # "Director": no rule of this mapping says so
    assert pending.notes[-1] == ("Levels from the \"Business Title\" column (the mapping's level rules): 1 executive, "
                                 "2 manager, 4 staff.")
    # No rules at all: everyone counts as the settings' default level, and the preview says so in its count.
    pending = read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02",
                          mapping=mapping.ColumnMapping.made("Titles", COLUMNS, HEADERS, level_rules="\n  \n"))
    assert set(levels_of(pending).values()) == {"staff"}
    assert pending.notes[-1].endswith("(the mapping's level rules): 0 executive, 0 manager, 7 staff.")


def test_the_form_is_prefilled_with_the_settings_rules_and_a_mapping_shows_its_own():
    assert mapping.rule_lines(None).splitlines() == [
        "\\b(Chief|President|Vice[- ]President|VP|SVP|EVP|CEO|CFO|COO|CTO|CIO|Managing Director|General Counsel)\\b "
        "→ executive",
        "\\b(Manager|Head of|Director|Supervisor)\\b → manager"]
    # The settings' rules, written back as the form shows them, read as the same rules.
    settings = mapping.ColumnMapping.made("x", COLUMNS, HEADERS, level_rules=mapping.rule_lines(None))
    assert read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=settings).rows == \
        read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=workday()).rows
    chosen = mapping.ColumnMapping.made("x", COLUMNS, HEADERS, level_rules="# seniors first\n\nCHIEF -> Executive\n")
    assert chosen.levels == (("executive", "CHIEF"),)
    assert mapping.rule_lines(chosen) == "CHIEF → executive"
    assert mapping.rule_lines(workday()) == mapping.rule_lines(None)


def test_the_form_follows_the_settings_rules_in_force_and_the_mappings_own_rules_do_not(tmp_path, monkeypatch):
    text = rubric.DEFAULT_RUBRIC.read_text()
    path = tmp_path / "stages.toml"
    path.write_text(text.replace("Manager|Head of|Director|Supervisor", "Manager|Engineer", 1))
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(path))
    assert mapping.rule_lines(None).splitlines()[1] == "\\b(Manager|Engineer)\\b → manager"
    own = mapping.ColumnMapping.made("x", COLUMNS, HEADERS, level_rules="Chief → executive")
    assert mapping.rule_lines(own) == "Chief → executive"
    assert read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=own).notes[-1].endswith(
        "(the mapping's level rules): 1 executive, 0 manager, 6 staff.")
    # Settings that cannot be read prefill nothing; importing says what is wrong with them.
    path.write_text(text.replace('level = "manager"', 'level = "boss"', 1))
    assert mapping.rule_lines(None) == ""
    with pytest.raises(ImportRefused, match="the roster settings cannot be used"):
        read_upload(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=own)


@pytest.mark.parametrize("rules, message", [
    ("Chief( → executive", 'Level rule on line 1 ("Chief( → executive"): "Chief(" is not a valid regular expression '
                           "(missing ), unterminated subpattern at position 5)"),
    ("Chief → executive\n.* → manager", 'Level rule on line 2 (".* → manager"): ".*" matches every value, even an '
                                        "empty one, so no later rule would ever apply"),
    ("Chief|Director| → manager", '"Chief|Director|" matches every value'),
    ("Chief → boss", 'Level rule on line 1 ("Chief → boss"): the level after the arrow must be executive, manager '
                     "or staff"),
    ("Chief executive", "write each rule as pattern → level, for example \"Chief|President|VP → executive\""),
    ("→ executive", "the pattern before the arrow is missing"),
    ("\n".join(f"T{i} → staff" for i in range(51)), "The level rules are 51 lines long; keep them to 50"),
])
def test_bad_level_rules_are_refused_with_what_to_change_and_nothing_is_saved(db, rules, message):
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        save(db, mapping.ColumnMapping.made("x", COLUMNS, HEADERS, level_rules=rules))
    assert message in str(refused.value)
    assert snapshot(db) == before and saved(db) == []


def test_the_level_rules_are_saved_with_the_mapping_and_said_in_the_audit_trail(db):
    message = save(db, mapping.ColumnMapping.made("Workday workers", COLUMNS, HEADERS, level_rules=RULES))
    assert "job title ← Business Title, employee id ← Employee ID; level rules: Executive → executive; " \
           "Director|Manager → manager." in message
    (stored,) = saved(db)
    assert stored.levels == (("executive", "Executive"), ("manager", "Director|Manager"))
    with warehouse.opened(db) as conn:
        (columns,) = conn.execute("SELECT columns FROM column_mappings").fetchone()
        (event,) = uploads.events(conn)
    assert json.loads(columns)["level_rules"] == [{"level": "executive", "pattern": "Executive"},
                                                  {"level": "manager", "pattern": "Director|Manager"}]
    assert event["detail"].endswith("level rules: Executive → executive; Director|Manager → manager")
    # A mapping saved before mappings carried rules reads back without them, and so falls back to the settings'.
    old = mapping.ColumnMapping.stored("Old", stored.signature, stored.headers_json(), json.dumps(COLUMNS))
    assert old.levels is None and old.columns == workday().columns
    assert "level rules" not in old.describe()


def test_the_signature_ignores_column_order_case_and_spacing_but_not_a_new_column():
    signature = mapping.header_signature(HEADERS)
    assert mapping.header_signature(list(reversed(HEADERS))) == signature
    assert mapping.header_signature([h.upper().replace(" ", "  ") for h in HEADERS]) == signature
    assert mapping.header_signature([*HEADERS, "Badge Number"]) != signature


def test_the_form_is_prefilled_from_the_header_names_alone():
    assert mapping.suggested(HEADERS) == COLUMNS
    assert mapping.looks_like_roster(HEADERS, None)
    assert not mapping.looks_like_roster(["Date", "Daily active members"], None)
    assert mapping.looks_like_roster(["Date", "Daily active members"], "roster")
    assert mapping.suggested(["Work Email", "Team Name", "Cost Centre"]) == {"person": "Work Email",
                                                                              "department": "Team Name"}


@pytest.mark.parametrize("department", [
    "Department", "Dept.", "Home Department", "Team", "Team Name", "Org Unit", "orgUnit", "Organizational Unit",
    "Organization", "Organisation", "Supervisory Organization", "Cost Center", "CostCenter", "Cost Centre",
    "Cost Center - ID", "Division", "Division Code"])
@pytest.mark.parametrize("email", ["Email", "Work Email Address", "E-mail", "Email - Work", "userPrincipalName",
                                   "UPN", "mail"])
def test_a_roster_is_recognised_by_an_email_like_and_a_department_like_column(email, department):
    assert mapping.looks_like_roster([email, department, "Hire Date"], None)


@pytest.mark.parametrize("headers", [
    # a count column that merely starts with "Team", beside a user principal name
    ["User Principal Name", "Team Chat Message Count", "Meeting Count"],
    ["Mailbox Size", "Department"],  # a mailbox is not an email address
    ["Emails Sent", "Division"],
    ["Email", "Business Unit", "Steam Hours"],
])
def test_counts_and_look_alikes_do_not_make_a_roster(headers):
    assert not mapping.looks_like_roster(headers, None)


@pytest.mark.parametrize("headers, kind, needs", [
    (HEADERS, None, True),  # fits no built-in format
    # fits the champion register: read as one unless the uploader says it is a roster
    (["Email", "Department", "Job Title", "Location", "Division"], None, False),
    (["Email", "Department", "Job Title", "Location", "Division"], "roster", True),
    (["email", "department", "role"], None, False),  # a champion register as the template has it
    (["email", "department", "role", "Notes"], None, False),  # … with a column of notes it does not read
    (["email", "department", "region", "business_unit", "level", "Notes"], None, False),  # a canonical roster
    (["userPrincipalName", "userType", "accountEnabled", "department"], None, False),  # the Entra ID user list
    (["email", "department", "role"], "roster", True),  # the uploader says it is a roster
    (HEADERS, "activity", False),  # another kind was chosen
])
def test_a_mapping_is_considered_only_where_no_built_in_format_reads_the_file(headers, kind, needs):
    assert mapping.may_need_mapping("hr.csv", headers, kind) is needs


# --- Saving, offering by signature, the audit trail -----------------------------------------------------------------

def test_a_saved_mapping_is_offered_for_the_same_columns_and_saving_is_audited(db):
    message = save(db, workday())
    assert message.startswith('Column mapping "Workday workers" saved: email ← Email - Work, department ← '
                              'Supervisory Organization, country ← Work Country')
    (stored,) = saved(db)
    assert (stored.name, stored.signature, stored.headers, stored.saved_by) == (
        "Workday workers", mapping.header_signature(HEADERS), tuple(HEADERS), "champion 7f3a")
    with warehouse.opened(db) as conn:
        (event,) = uploads.events(conn)
        assert uploads.ledger(conn) == [] and uploads.latest_refresh(conn) is None
    assert (event["action"], event["who"], event["upload_id"]) == ("mapping saved", "champion 7f3a", None)
    assert event["detail"].startswith('"Workday workers": email ← Email - Work')

    next_month = rewritten("p000003@example.com", "p000008@example.com")  # same columns, other people
    offer = mapping.offer("March.csv", next_month, saved(db), None, read_without_mapping=False)
    assert offer.chosen == stored and offer.saved == (stored,) and offer.roster_like
    # Columns in another order keep their mapping; a file with an added column is offered it, not given it.
    header = DATA.decode("utf-8-sig").split("\r\n", 1)[0]
    moved = DATA.decode("utf-8-sig").replace(header, ",".join(reversed(header.split(","))), 1)
    assert mapping.offer("moved.csv", moved.encode(), saved(db), None,
                         read_without_mapping=False).signature == stored.signature
    added = DATA.decode("utf-8-sig").replace(header, header + ",Badge", 1).encode()
    offer = mapping.offer("added.csv", added, saved(db), None, read_without_mapping=False)
    assert offer.chosen is None and offer.saved == (stored,)
    # A file that imports without a mapping gets the saved one listed, not chosen, and no mapping form.
    offer = mapping.offer("March.csv", next_month, saved(db), None, read_without_mapping=True)
    assert offer.chosen is None and offer.saved == (stored,) and not offer.roster_like
    # Another kind chosen: no mapping is offered.
    assert mapping.offer(WORKDAY, DATA, saved(db), "activity", read_without_mapping=False) is None


def test_saving_under_the_same_name_replaces_the_mapping_and_says_so(db):
    save(db, workday())
    message = save(db, workday("WORKDAY workers", {**COLUMNS, "department": "Cost Center"}))
    assert "(it replaces the earlier one of that name)" in message
    (stored,) = saved(db)
    assert stored.name == "WORKDAY workers" and stored.header_of("department") == "Cost Center"
    with warehouse.opened(db) as conn:
        assert [e["detail"].endswith("(replacing the earlier mapping of that name)") for e in uploads.events(conn)] \
            == [True, False]


def test_a_viewer_cannot_save_a_mapping(db):
    with pytest.raises(access.PermissionDenied):
        save(db, workday(), actor=access.Actor("viewer", "viewer 1"))
    assert saved(db) == []


# A column no row fills (the rows are one cell short: read as blank).
BLANK_DIVISION = rewritten("Hire Date\r\n", "Hire Date,Division\r\n")


@pytest.mark.parametrize("columns, name, data, message", [
    ({**COLUMNS, "business_unit": "Work Country"}, "x", DATA,
     'the column "Work Country" is chosen for both country and business unit; a column can serve one field only'),
    ({k: v for k, v in COLUMNS.items() if k != "person"}, "x", DATA,
     "choose the column that holds each person's email or user principal name"),
    ({k: v for k, v in COLUMNS.items() if k != "department"}, "x", DATA,
     "choose the column that holds each person's department"),
    ({**COLUMNS, "region": "Location"}, "x", DATA, "choose either a region column or a country column, not both"),
    ({**COLUMNS, "person": "Employee ID", "identity": None}, "x", DATA,
     'the column "Employee ID" chosen for email holds no email address (no value has an @)'),
    ({**COLUMNS, "department": "Division"}, "x", BLANK_DIVISION,
     'the column "Division" chosen for department is blank in every row. Choose the column that holds each '
     "person's department."),
    ({**COLUMNS, "business_unit": "Division"}, "x", BLANK_DIVISION,
     'the column "Division" chosen for business unit is blank in every row'),
    ({**COLUMNS, "department": "Team"}, "x", DATA, 'does not fit the mapping "x": it has no column "Team"'),
    (COLUMNS, "  ", DATA, "Give the mapping a name"),
    (COLUMNS, "=cmd()", DATA, "may not start with = + - or @"),
])
def test_a_bad_mapping_is_refused_with_what_to_change_and_nothing_is_saved(db, columns, name, data, message):
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        headers = mapping.read_headers(WORKDAY, data)
        save(db, mapping.ColumnMapping.made(name, columns, headers), data=data)
    assert message in str(refused.value)
    assert snapshot(db) == before and saved(db) == []


def test_a_file_a_built_in_format_reads_gets_no_mapping(db):
    roster = b"email,department,region,business_unit,level\na@example.com,Sales,EMEA,Commercial,staff\n"
    chosen = mapping.ColumnMapping.made("x", {"person": "email", "department": "department"}, ["email", "department"])
    with pytest.raises(ImportRefused, match="is read as a canonical roster without a mapping"):
        save(db, chosen, data=roster, file_name="roster.csv")
    assert saved(db) == []


# --- The command line -------------------------------------------------------------------------------------------

@pytest.fixture
def run(db, tmp_path, monkeypatch, capsys):
    """run(*args) → (exit code, stdout, stderr) of `python -m queries` in this process, on the test warehouse."""
    monkeypatch.setattr(cli, "secrets_pepper", lambda: None)
    monkeypatch.setattr(warehouse, "_configured_pepper", None)

    def _run(*args):
        code = cli.main([*args, "--db", db])
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run


def file(tmp_path, data: bytes = DATA, name: str = WORKDAY) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_cli_imports_with_a_saved_mapping_by_name(db, run, tmp_path):
    save(db, workday())
    code, out, err = run("import", file(tmp_path), "--mapping", "workday WORKERS", "--month", "2026-02")
    assert (code, err) == (0, "")
    assert out.startswith(f'{WORKDAY}: imported 7 rows of roster (HR export mapped with "Workday workers") for 2026-02 '
                          "as upload #1. 1 row without an email left out")
    with warehouse.opened(db) as conn:
        (row,) = uploads.ledger(conn)
        assert (row["source"], row["uploaded_by"], row["row_count"]) == (
            'HR export mapped with "Workday workers"', "cli", 7)
        assert "Levels from the \"Business Title\" column" in row["notes"]
        assert conn.execute("SELECT count(*) FROM live_roster WHERE month = ?", [FEB]).fetchone()[0] == 7


def test_an_unknown_mapping_name_lists_the_saved_ones_and_changes_nothing(db, run, tmp_path):
    save(db, workday())
    save(db, workday("BambooHR directory"))
    before = snapshot(db)
    code, out, err = run("import", file(tmp_path), "--mapping", "Workday", "--month", "2026-02")
    assert code == 1 and out == ""
    assert err.strip() == (f'{WORKDAY}: there is no saved column mapping named "Workday". The saved mappings are '
                           '"BambooHR directory", "Workday workers". Nothing was imported.')
    assert snapshot(db) == before


def test_an_unknown_mapping_name_with_none_saved_says_where_to_make_one(run, tmp_path):
    code, _, err = run("import", file(tmp_path), "--mapping", "Workday", "--month", "2026-02")
    assert code == 1 and "No mapping is saved yet: map the file's columns once on the Data page" in err


def test_a_file_that_does_not_fit_the_named_mapping_is_refused_and_nothing_changes(db, run, tmp_path):
    save(db, workday())
    before = snapshot(db)
    renamed = rewritten("Work Country", "Country of Work")
    code, out, err = run("import", file(tmp_path, renamed), "--mapping", "Workday workers", "--month", "2026-02")
    assert code == 1 and out == ""
    assert err.strip().startswith(f'{WORKDAY} does not fit the mapping "Workday workers": it has no column "Work '
                                  'Country" (the country column). If the export\'s columns changed, map them again '
                                  "on the Data page")
    assert snapshot(db) == before


def test_a_mapping_with_another_kind_is_refused(db, run, tmp_path):
    save(db, workday())
    code, _, err = run("import", file(tmp_path), "--mapping", "Workday workers", "--kind", "activity")
    assert code == 1 and "a column mapping reads a roster, but the kind given was activity" in err


def test_without_mapping_the_cli_uses_only_the_one_saved_for_the_exact_columns(db, run, tmp_path):
    path = file(tmp_path)
    code, _, err = run("import", path, "--month", "2026-02")  # nothing saved: refused, saying how to map it
    assert code == 1
    assert "unknown format" in err and "map its columns once on the Data page" in err and "--mapping NAME" in err
    save(db, workday())
    added = DATA.decode("utf-8-sig").replace("Hire Date\r\n", "Hire Date,Badge\r\n", 1)
    code, _, err = run("import", file(tmp_path, added.encode(), "added.csv"), "--month", "2026-02")
    assert code == 1 and "unknown format" in err  # other columns: the mapping is not guessed for it
    code, out, _ = run("import", path, "--month", "2026-02")
    assert code == 0 and '(HR export mapped with "Workday workers")' in out
    save(db, workday("Workday copy"))
    before = snapshot(db)
    code, _, err = run("import", path, "--month", "2026-02")
    assert code == 1
    assert ('several saved column mappings were made for this file\'s columns ("Workday copy", "Workday workers"). '
            "Choose one with --mapping NAME") in err
    assert snapshot(db) == before


# An HR export that the champion register also reads (it has Email and Department).
REGISTER_LIKE = ("Email,Department,Job Title,Location,Division\n"
                 "a@example.com,Sales,VP Sales,EMEA,Commercial\n"
                 "b@example.com,Sales,Account Manager,EMEA,Commercial\n"
                 "c@example.com,Finance,Analyst,Americas,Corporate\n").encode()
REGISTER_COLUMNS = {"person": "Email", "department": "Department", "region": "Location",
                    "business_unit": "Division", "title": "Job Title"}


def save_register_like(db, name="HR list") -> mapping.ColumnMapping:
    # Saved as the champion does it: uploaded with Kind roster, which no built-in format reads.
    headers = mapping.read_headers("hr.csv", REGISTER_LIKE)
    save(db, mapping.ColumnMapping.made(name, REGISTER_COLUMNS, headers), data=REGISTER_LIKE, file_name="hr.csv")
    (stored,) = saved(db)
    return stored


def test_a_saved_mapping_is_not_taken_unasked_for_a_file_that_imports_without_one(db, run, tmp_path):
    save_register_like(db)
    path = file(tmp_path, REGISTER_LIKE, "hr.csv")
    code, out, err = run("import", path, "--month", "2026-02")
    assert (code, err) == (0, "") and "rows of champions (canonical champions)" in out
    # Named, the mapping reads it; with Kind roster (which nothing else reads), the one saved for it is taken.
    code, out, err = run("import", path, "--month", "2026-02", "--mapping", "HR list")
    assert (code, err) == (0, "") and 'rows of roster (HR export mapped with "HR list")' in out
    code, out, err = run("import", path, "--month", "2026-03", "--kind", "roster")
    assert (code, err) == (0, "") and 'rows of roster (HR export mapped with "HR list")' in out


def test_a_roster_or_register_with_an_extra_column_is_read_as_it_is_and_offered_no_mapping(db, run, tmp_path):
    register = b"email,department,role,Notes\na@example.com,Sales,Lead,met in May\n"
    roster = b"email,department,region,business_unit,level,Notes\na@example.com,Sales,EMEA,Commercial,staff,new\n"
    for name, data in (("register.csv", register), ("roster.csv", roster)):
        assert not mapping.may_need_mapping(name, mapping.read_headers(name, data), None)
        offer = mapping.offer(name, data, saved(db), None, read_without_mapping=True)
        assert (offer.saved, offer.chosen, offer.roster_like) == ((), None, False)
        code, out, err = run("import", file(tmp_path, data, name), "--month", "2026-02")
        assert (code, err) == (0, "") and "(canonical " in out


def test_activity_joins_to_the_mapped_roster_and_no_name_or_title_is_stored(db, load, conn):
    save(db, workday())
    roster = load(WORKDAY, DATA, month="2026-02", mapping="Workday workers")
    assert roster.row_count == 7
    activity = load("activity.csv", "month,email,tool,posts\n" + "".join(
        f"2026-02,P00000{i}@example.com,slack,{i}\n" for i in range(1, 8)))
    assert (activity.matched, activity.unmapped) == (7, 0)
    tables = [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', "
        "'pg_catalog') AND table_catalog = current_database()").fetchall()]
    assert "column_mappings" in tables
    found = []
    for table in tables:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'VARCHAR' "
            "AND table_catalog = current_database()", [table]).fetchall()]
        for column in columns:
            for text in (*NAMES, "example.com"):
                if conn.execute(f'SELECT count(*) FROM "{table}" WHERE contains(lower("{column}"), lower(?))',
                                [text]).fetchone()[0]:
                    found.append((table, column, text))
    assert found == []


# --- The Data page, signed in as a champion -----------------------------------------------------------------------

def champion_data_page():
    from test_access import hosted

    at = hosted("ana@comms.example.com", "app/pages/data.py")
    assert not at.exception
    return at


def upload(at, data=DATA, name=WORKDAY, month="2026-02"):
    at.selectbox(key="upload_month").set_value(month)
    at.file_uploader[0].set_value((name, data, "text/csv"))
    at.run()
    assert not at.exception


def field(at, name: str):
    return next(s for s in at.selectbox if s.key and s.key.startswith("map_0_") and s.key.endswith(f"_{name}"))


def test_the_data_page_maps_saves_previews_and_imports_an_hr_export(db):
    at = champion_data_page()
    upload(at)
    assert not at.error  # not an error: an invitation to map it
    assert ("workday\\_workers\\_report\\.csv: no built-in format reads this file, but it looks like an HR roster. "
            "Map its columns below and save the mapping; the file then previews as a roster.") in [
        i.value for i in at.info]
    assert list(at.dataframe[0].value["Status"]) == ["Map its columns"]
    assert {f: field(at, f).value for f in mapping.FIELDS} == {
        "person": "Email - Work", "department": "Supervisory Organization", "region": "No mapping",
        "country": "Work Country", "business_unit": "Company", "level": "No mapping", "title": "Business Title",
        "identity": "Employee ID"}
    assert not [b for b in at.button if b.label.startswith("Import")]
    name = next(t for t in at.text_input if t.key.endswith("_name"))
    name.set_value("Workday workers")
    next(b for b in at.button if b.label == "Save the mapping").click()
    at.run()
    assert not at.exception and not at.error
    assert any(s.value.startswith('Column mapping "Workday workers" saved') for s in at.success)
    (stored,) = saved(db)
    assert stored.saved_by.startswith("champion ") and "@" not in stored.saved_by
    assert at.selectbox(key=f"mapping_0_{stored.signature}").value == "Workday workers"
    preview = at.dataframe[0].value
    assert (list(preview["Kind"]), list(preview["Source"]), list(preview["Rows"])) == (
        ["roster"], ['HR export mapped with "Workday workers"'], [7])
    assert any("Levels from the \"Business Title\" column" in w.value for w in at.warning)
    next(b for b in at.button if b.label.startswith("Import 1 file")).click()
    at.run()
    assert not at.exception
    with warehouse.opened(db) as conn:
        assert [(r["kind"], r["source"]) for r in uploads.ledger(conn)] == [
            ("roster", 'HR export mapped with "Workday workers"')]
        assert [e["action"] for e in uploads.events(conn)] == ["uploaded", "mapping saved"]


def test_next_month_the_data_page_preselects_the_saved_mapping(db):
    save(db, workday())
    at = champion_data_page()
    upload(at, rewritten("p000003@example.com", "p000008@example.com"), "workers-march.csv", "2026-03")
    assert not at.error
    (stored,) = saved(db)
    assert at.selectbox(key=f"mapping_0_{stored.signature}").value == "Workday workers"
    assert any("Saved for these columns by champion 7f3a" in c.value for c in at.caption)
    preview = at.dataframe[0].value
    assert (list(preview["Kind"]), list(preview["Months"]), list(preview["Rows"])) == (["roster"], ["2026-03"], [7])
    at.selectbox(key=f"mapping_0_{stored.signature}").set_value("No mapping")
    at.run()
    assert any("no built-in format reads this file" in i.value for i in at.info)


def test_a_bad_mapping_on_the_data_page_is_refused_and_nothing_is_saved(db):
    at = champion_data_page()
    upload(at)
    before = snapshot(db)
    field(at, "department").set_value("Email - Work")
    next(t for t in at.text_input if t.key.endswith("_name")).set_value("Broken")
    next(b for b in at.button if b.label == "Save the mapping").click()
    at.run()
    assert not at.exception
    assert any(e.value.startswith("The mapping was not saved.") and 'the column "Email - Work" is chosen for both '
               "email and department" in e.value for e in at.error)
    assert snapshot(db) == before and saved(db) == []


def test_the_data_page_maps_a_management_level_column_through_rules_of_its_own(db):
    at = champion_data_page()
    upload(at)
    rules = next(t for t in at.text_area if t.key.endswith("_rules"))
    assert rules.value == mapping.rule_lines(None)  # prefilled from the settings file
    field(at, "title").set_value("No mapping")
    field(at, "level").set_value("Management Level")
    rules.set_value("Executive → executive\nDirector|Manager → manager")
    next(t for t in at.text_input if t.key.endswith("_name")).set_value("Workday levels")
    next(b for b in at.button if b.label == "Save the mapping").click()
    at.run()
    assert not at.exception and not at.error
    (stored,) = saved(db)
    assert stored.levels == (("executive", "Executive"), ("manager", "Director|Manager"))
    assert any("Levels from the \"Management Level\" column, through the mapping's level rules" in w.value
               and "1 executive, 2 manager, 4 staff" in w.value for w in at.warning)
    assert [t.value for t in at.text_area if t.key.endswith("_rules")] == [
        "Executive → executive\nDirector|Manager → manager"]


def test_a_bad_level_rule_on_the_data_page_is_refused_and_nothing_is_saved(db):
    at = champion_data_page()
    upload(at)
    before = snapshot(db)
    next(t for t in at.text_area if t.key.endswith("_rules")).set_value("Chief|VP| → executive")
    next(t for t in at.text_input if t.key.endswith("_name")).set_value("Workday workers")
    next(b for b in at.button if b.label == "Save the mapping").click()
    at.run()
    assert not at.exception
    assert any(e.value.startswith("The mapping was not saved. Level rule on line 1") and "matches every value"
               in e.value for e in at.error)
    assert snapshot(db) == before and saved(db) == []


def test_an_unknown_file_with_an_email_column_is_told_to_choose_kind_roster(db):
    people = b"Work Email,Site,Start Date\na@example.com,Leeds,2024-01-02\n"
    at = champion_data_page()
    upload(at, people, "people.csv")
    (error,) = at.error
    assert error.value.startswith("people.csv: unknown format") and error.value.endswith(
        " If this is your HR roster, choose Kind: roster to map its columns.")
    assert "Add them" not in error.value
    assert not [e for e in at.expander if "Map the columns" in e.label]
    at.selectbox(key="upload_kind").set_value("roster")
    at.run()
    assert not at.exception
    assert [e.label for e in at.expander if "Map the columns" in e.label] == [
        "Map the columns of people.csv as a roster"]
    assert not any(mapping.CHOOSE_ROSTER in e.value for e in at.error)


@pytest.mark.parametrize("name, data", [
    # looks like a roster: the mapping form is offered by itself, so the line would only distract
    (WORKDAY, DATA),
    # no email-like column
    ("sites.csv", b"Site,Start Date\nLeeds,2024-01-02\n"),
    # a vendor export that misses columns keeps its own advice (export it again)
    ("TeamsUserActivityUserDetail.csv", b"Report Refresh Date,User Principal Name,Last Activity Date,"
                                        b"Team Chat Message Count,Private Chat Message Count,Call Count\n"
                                        b"2026-02-28,a@example.com,2026-02-27,3,4,0\n"),
])
def test_the_choose_kind_roster_line_is_only_for_an_unknown_file_with_an_email_column(db, name, data):
    at = champion_data_page()
    upload(at, data, name)
    shown = [*at.error, *at.info]
    assert (at.error or name == WORKDAY) and not any(mapping.CHOOSE_ROSTER in e.value for e in shown)
    if name.startswith("Teams"):
        assert any("is missing the required column(s) Report Period, Meeting Count. Export it again" in e.value
                   for e in at.error)


def test_a_file_a_built_in_format_reads_gets_no_mapping_form_on_the_data_page(db):
    at = champion_data_page()
    upload(at, b"email,department,role,Notes\na@example.com,Sales,Lead,met in May\n", "register.csv")
    assert not at.error and not [e for e in at.expander if "Map the columns" in e.label]
    assert not [s for s in at.selectbox if s.key and s.key.startswith("mapping_")]
    assert list(at.dataframe[0].value["Kind"]) == ["champions"]


def test_the_data_page_preselects_a_saved_mapping_only_when_the_file_does_not_import_without_one(db):
    stored = save_register_like(db)
    at = champion_data_page()
    upload(at, REGISTER_LIKE, "hr.csv")
    choice = at.selectbox(key=f"mapping_0_{stored.signature}")
    assert choice.value == "No mapping" and choice.options == ["No mapping", "HR list"]
    assert not [e for e in at.expander if "Map the columns" in e.label]
    assert list(at.dataframe[0].value["Kind"]) == ["champions"]
    choice.set_value("HR list")  # chosen, it reads the file as a roster
    at.run()
    assert list(at.dataframe[0].value["Source"]) == ['HR export mapped with "HR list"']
    # With Kind roster the file does not import without a mapping: the one saved for its columns is pre-selected.
    at = champion_data_page()
    at.selectbox(key="upload_kind").set_value("roster")
    upload(at, REGISTER_LIKE, "hr.csv")
    assert at.selectbox(key=f"mapping_0_{stored.signature}").value == "HR list"
    assert list(at.dataframe[0].value["Source"]) == ['HR export mapped with "HR list"']


def test_an_hr_list_read_as_the_champion_register_says_so_in_the_preview():
    """Email and Department alone are the champion register; a file with roster columns besides them is still read
    as the register when detected, but the preview warns before a whole roster becomes champions."""
    hr = read_upload("people.csv", b"Email,Department,Country,Job Title\na@example.com,Sales,France,Manager\n",
                     pepper="p", month="2026-10")
    assert hr.kind == "champions"
    assert hr.notes == ['Read as the champion register (email and department); the file also has "Country", '
                        '"Job Title", which an HR roster has and the register does not. If this is your HR roster, '
                        "upload it again with Kind: roster."]
    register = read_upload("champions.csv", b"Email,Department,Role\na@example.com,Sales,lead\n", pepper="p",
                           month="2026-10")
    assert register.kind == "champions" and register.notes == []
