"""AppTest of the Data page: preview, confirm, refusals, the ledger with undo, and the templates."""
import pandas as pd

from conftest import ACTIVITY_SEPT, ROSTER_SEPT, app
from queries import uploads, warehouse


def data_page():
    at = app("app/pages/data.py")
    assert not at.exception
    return at


def test_upload_previews_then_commits_only_on_confirm(db):
    at = data_page()
    at.selectbox(key="upload_month").set_value("2026-09")
    at.file_uploader[0].set_value([("roster.csv", ROSTER_SEPT.encode(), "text/csv"),
                                   ("activity.csv", ACTIVITY_SEPT.encode(), "text/csv")])
    at.run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert list(preview["Kind"]) == ["roster", "activity"]
    assert list(preview["Months"]) == ["2026-09", "2026-09"]
    assert list(preview["Rows"]) == [4, 4]
    with warehouse.opened(db) as conn:
        assert uploads.ledger(conn) == []  # nothing stored before the confirm
    confirm = next(b for b in at.button if b.label.startswith("Import 2 files"))
    confirm.click()
    at.run()
    assert not at.exception
    assert any("imported 4 rows of roster" in s.value for s in at.success)
    with warehouse.opened(db) as conn:
        assert [r["kind"] for r in uploads.ledger(conn)] == ["activity", "roster"]
    ledger = at.dataframe[0].value
    assert list(ledger["Kind"]) == ["activity", "roster"]


def test_a_refused_file_shows_its_message_and_is_not_offered_for_import(db):
    at = data_page()
    at.file_uploader[0].set_value(("bad.csv", b"month,email,tool,posts\n2026-09,a@x.com,slack,lots\n", "text/csv"))
    at.run()
    assert any("bad.csv: row 2" in e.value for e in at.error)
    assert not [b for b in at.button if b.label.startswith("Import")]


def test_undo_from_the_ledger(db, load):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    at = data_page()
    undo = next(b for b in at.button if b.label == "Undo this upload")
    undo.click()
    at.run()
    assert not at.exception
    assert any("Upload #1 undone" in s.value for s in at.success)
    with warehouse.opened(db) as conn:
        assert uploads.ledger(conn)[0]["status"] == "undone"


def test_templates_are_downloadable(db):
    at = data_page()
    labels = {b.label for b in at.get("download_button")}
    assert {f"{k}.csv" for k in ("roster", "activity", "communities", "champions", "training", "kpis",
                                 "checklist")} <= labels


def test_every_table_shows_a_dash_for_no_value_and_keeps_numbers_numeric(demo_db):
    """The ledger's "Matched to roster" is empty for a communities file (it names no people): the cell shows a dash,
    never "None", and the column stays numeric so that it sorts as numbers."""
    at = data_page()
    ledger = next(frame for frame in at.dataframe if "Matched to roster" in frame.value.columns)
    matched = ledger.value["Matched to roster"]
    assert matched.isna().any(), "the demo ledger holds a file matched to no roster"
    assert pd.api.types.is_numeric_dtype(matched)
    for table in at.dataframe:
        # Streamlit shows a missing value as the element's placeholder, or as "None" when it has none.
        shown = {str(value) if not pd.isna(value) else (table.proto.placeholder or "None")
                 for value in table.value.to_numpy().ravel()}
        assert "None" not in shown and "nan" not in shown
        if table.value.isna().any().any():
            assert table.proto.placeholder == "—"
