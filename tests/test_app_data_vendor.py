"""AppTest of the Data page with vendor exports: concealed M365 ids are called out with the admin-center path,
the preview counts matched and unmapped people, the period checkbox reaches the import, and the ledger shows
join coverage."""
from pathlib import Path

from conftest import app
from test_import_vendor import ROSTER_FEB

VENDOR = Path(__file__).parent / "fixtures" / "vendor"


def data_page():
    at = app("app/pages/data.py")
    assert not at.exception
    return at


def upload(at, name, data=None):
    at.file_uploader[0].set_value((name, data if data is not None else (VENDOR / name).read_bytes(), "text/csv"))
    at.run()
    assert not at.exception


def test_concealed_engage_rows_warn_with_the_admin_center_path_and_count_as_unmapped(db, load):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    at = data_page()
    upload(at, "engage_activity.csv")
    preview = at.dataframe[0].value
    assert list(preview["Source"]) == ["M365 Viva Engage activity user detail"]
    assert list(preview["Matched to roster"]) == [3]
    assert list(preview["Unmapped"]) == [2]
    warnings = [w.value for w in at.warning]
    concealed = [w for w in warnings if "could not be matched" in w]
    assert len(concealed) == 1
    assert "engage_activity.csv: 2 people" in concealed[0]
    assert "1 of them has a concealed Microsoft 365 id" in concealed[0]
    assert ("Microsoft 365 admin center → Settings → Org settings → Services → Reports → clear \"Display "
            "concealed user, group, and site names in all reports\"") in concealed[0]

    confirm = next(b for b in at.button if b.label.startswith("Import 1 file"))
    confirm.click()
    at.run()
    assert not at.exception
    ledger = at.dataframe[0].value
    assert list(ledger["Kind"]) == ["activity", "roster"]
    assert list(ledger["Join coverage"])[0] == "60%"  # 3 matched of 5


def test_a_week_long_report_needs_the_period_checkbox_and_a_month(db):
    week = (VENDOR / "engage_activity.csv").read_bytes().replace(b",30,Example", b",7,Example")
    at = data_page()
    upload(at, "week.csv", week)
    assert any("week.csv" in e.value and "7 days" in e.value for e in at.error)
    at.selectbox(key="upload_month").set_value("2026-01")
    at.checkbox(key="allow_period").check()
    at.run()
    assert not at.exception
    assert not at.error
    preview = at.dataframe[0].value
    assert list(preview["Months"]) == ["2026-01"]
    assert list(preview["Status"]) == ["Ready"]


REAL = Path(__file__).parent / "corpus" / "real"
SLACK_NAMED = "Example Corp Member Analytics Prior 30 Days - Apr 17, 2026.csv"


def test_a_slack_file_name_offers_its_month_as_the_default_which_the_uploader_can_change(db):
    at = data_page()
    upload(at, SLACK_NAMED, (REAL / SLACK_NAMED).read_bytes())
    assert at.selectbox(key="upload_month").value == "2026-04"
    assert any("Suggested by the file name: the 30 days before Apr 17, 2026 fall mostly in April 2026" in c.value
               for c in at.caption)
    assert not at.error
    preview = at.dataframe[0].value
    assert (list(preview["Months"]), list(preview["Status"])) == (["2026-04"], ["Ready"])
    # Choosing "From the file" again is respected: the file is refused, saying which month its name suggests.
    at.selectbox(key="upload_month").set_value("From the file")
    at.run()
    assert not at.exception
    assert at.selectbox(key="upload_month").value == "From the file"
    assert any("Its name suggests 2026-04" in e.value for e in at.error)
    assert any("The file name suggests 2026-04" in c.value for c in at.caption)


def test_guest_accounts_are_counted_in_the_preview(db, load):
    load("roster.csv", ROSTER_FEB, month="2026-02")
    at = data_page()
    upload(at, "engage_activity_guests.csv", (REAL / "engage_activity_guests.csv").read_bytes())
    preview = at.dataframe[0].value
    assert (list(preview["Matched to roster"]), list(preview["Unmapped"])) == ([3], [2])
    assert any("engage_activity_guests.csv: 2 guest accounts found" in w.value for w in at.warning)
