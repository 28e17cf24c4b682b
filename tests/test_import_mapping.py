"""Any other HR export as a roster through a column mapping (docs/formats.md#other-hr-exports): mapped once, saved
under the file's header signature with who saved it in the audit trail, offered again for a file with the same
columns, taken by name on the command line; bad mappings refused changing nothing; names and job titles never
stored; and the Data page's mapping flow for a signed-in champion."""
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from conftest import PEPPER, snapshot
from queries import __main__ as cli, access, uploads, warehouse
from queries.imports import ImportRefused, mapping, stage_file

WORKDAY = "workday_workers_report.csv"
DATA = (Path(__file__).parent / "corpus" / "real" / WORKDAY).read_bytes()
HEADERS = mapping.read_headers(WORKDAY, DATA)
FEB = dt.date(2026, 2, 1)
COLUMNS = {"person": "Email - Work", "department": "Supervisory Organization", "country": "Work Country",
           "business_unit": "Company", "title": "Business Title"}
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
    staged = stage_file(WORKDAY, DATA, pepper=PEPPER, month="2026-02", mapping=workday())
    assert (staged.kind, staged.source, staged.months) == ("roster", 'HR export mapped with "Workday workers"', [FEB])
    assert set(staged.rows.column_names) == {"month", "person_key", "department", "region", "business_unit", "level"}
    rows = {r["person_key"]: (r["department"], r["region"], r["business_unit"], r["level"])
            for r in staged.rows.to_pylist()}
    assert rows == {
        key("p000001@example.com"): ("Finance", "North America", "Example Corp Inc.", "executive"),
        key("p000002@example.com"): ("Sales", "North America", "Example Corp Inc.", "manager"),
        key("p000003@example.com"): ("Engineering", "Europe", "Example Corp GmbH", "staff"),
        key("p000004@example.com"): ("Engineering", "Europe", "Example Corp GmbH", "manager"),
        key("p000005@example.com"): ("People", "Asia Pacific", "Example Corp India Pvt Ltd", "staff"),
        key("p000006@example.com"): ("Finance", "Latin America", "Example Corp Ltda", "staff"),
        key("p000007@example.com"): ("Operations", "Other", "Example Corp LLC", "staff"),
    }
    assert staged.notes == [
        "1 row without an email left out: nobody can be matched to the activity exports without one.",
        "1 person is in region \"Other\": \"Work Country\" blank or not in [roster.regions] of data/stages.toml "
        "(for example 'Mongolia').",
        "Levels from the \"Business Title\" column (the [[roster.levels]] rules of data/stages.toml): 1 executive, "
        "2 manager, 4 staff.",
    ]


def test_the_month_is_the_uploaders():
    with pytest.raises(ImportRefused, match=r'this HR export mapped with "Workday workers" file does not say which '
                                            r"month it covers\. Choose the month on the upload form, or pass --month"):
        stage_file(WORKDAY, DATA, pepper=PEPPER, mapping=workday())


def test_a_level_and_region_column_are_read_as_they_are_and_missing_fields_take_the_settings_defaults():
    data = ("Work Email,Team,Geo,Grade,Display Name\n"
            "a@example.com,Sales,EMEA,Executive,Ann Sample\n"
            "b@example.com,Sales,,staff,Ben Sample\n"
            "c@example.com,,NA,,Cat Sample\n").encode()
    headers = mapping.read_headers("hr.csv", data)
    chosen = mapping.ColumnMapping.made("Grades", {"person": "Work Email", "department": "Team", "region": "Geo",
                                                   "level": "Grade"}, headers)
    staged = stage_file("hr.csv", data, pepper=PEPPER, month="2026-02", mapping=chosen)
    assert [(r["department"], r["region"], r["business_unit"], r["level"]) for r in staged.rows.to_pylist()] == [
        ("Sales", "EMEA", "All", "executive"), ("Sales", "Unassigned", "All", "staff"),
        ("Unassigned", "NA", "All", "staff")]
    assert staged.notes == [
        "1 person with a blank \"Team\" is in department \"Unassigned\".",
        "1 person with a blank \"Geo\" is in region \"Unassigned\".",
        "The mapping has no business unit column, so everyone is in business unit \"All\".",
        "Levels from the \"Grade\" column: 1 executive, 0 manager, 2 staff. 1 person with a blank level counts as "
        "staff.",
    ]


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


@pytest.mark.parametrize("headers, kind, needs", [
    (HEADERS, None, True),  # fits no built-in format
    (["Email", "Department", "Job Title", "Location", "Division"], None, True),  # fits the champion register, but
    # leaves HR columns unread
    (["email", "department", "role"], None, False),  # a champion register as the template has it
    (["email", "department", "region", "business_unit", "level", "Job Title"], None, False),  # a canonical roster
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
    offer = mapping.offer("March.csv", next_month, saved(db), None)
    assert offer.chosen == stored and offer.saved == (stored,) and offer.roster_like
    # Columns in another order keep their mapping; a file with an added column is offered it, not given it.
    header = DATA.decode("utf-8-sig").split("\r\n", 1)[0]
    moved = DATA.decode("utf-8-sig").replace(header, ",".join(reversed(header.split(","))), 1)
    assert mapping.offer("moved.csv", moved.encode(), saved(db), None).signature == stored.signature
    added = DATA.decode("utf-8-sig").replace(header, header + ",Badge", 1).encode()
    offer = mapping.offer("added.csv", added, saved(db), None)
    assert offer.chosen is None and offer.saved == (stored,)
    # Another kind chosen, or a built-in format: no mapping is offered.
    assert mapping.offer(WORKDAY, DATA, saved(db), "activity") is None


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
WITHOUT_TITLE = {k: v for k, v in COLUMNS.items() if k != "title"}


@pytest.mark.parametrize("columns, name, data, message", [
    ({**COLUMNS, "business_unit": "Work Country"}, "x", DATA,
     'the column "Work Country" is chosen for both country and business unit; a column can serve one field only'),
    ({k: v for k, v in COLUMNS.items() if k != "person"}, "x", DATA,
     "choose the column that holds each person's email or user principal name"),
    ({k: v for k, v in COLUMNS.items() if k != "department"}, "x", DATA,
     "choose the column that holds each person's department"),
    ({**COLUMNS, "region": "Location"}, "x", DATA, "choose either a region column or a country column, not both"),
    ({**WITHOUT_TITLE, "level": "Management Level"}, "x", DATA,
     'row 2, column "Management Level" ("2 Executive") is not a level; use executive, manager or staff'),
    ({**COLUMNS, "person": "Employee ID"}, "x", DATA,
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

    at = hosted("ana@comms.example.com", "pages/data.py")
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
    assert any(WORKDAY in e.value and "unknown format" in e.value for e in at.error)
    assert {f: field(at, f).value for f in mapping.FIELDS} == {
        "person": "Email - Work", "department": "Supervisory Organization", "region": "No mapping",
        "country": "Work Country", "business_unit": "Company", "level": "No mapping", "title": "Business Title"}
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
    assert any("unknown format" in e.value for e in at.error)


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
