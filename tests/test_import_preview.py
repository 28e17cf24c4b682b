"""One import path: the preview the Data page renders and the command line's import come from the same function
(uploads.preview_upload), and its refusals are told apart by their exception, never by their words."""
from pathlib import Path

import pytest

from conftest import ROSTER_SEPT
from queries import uploads, warehouse
from queries.imports import ImportRefused, MonthNotGiven, UnknownFormat, mapping, read_upload

WORKDAY = "workday_workers_report.csv"
DATA = (Path(__file__).parent / "corpus" / "real" / WORKDAY).read_bytes()


def test_refusals_are_told_apart_by_their_exception():
    with pytest.raises(UnknownFormat):
        read_upload("sites.csv", b"Site,Start Date\nLeeds,2024-01-02\n", pepper="p")
    with pytest.raises(MonthNotGiven):
        read_upload("champions.csv", b"email,department\na@example.com,Sales\n", pepper="p")
    with pytest.raises(ImportRefused) as refused:  # a vendor export that misses columns is neither
        read_upload("TeamsUserActivityUserDetail.csv", b"Report Refresh Date,User Principal Name,Last Activity Date,"
                    b"Team Chat Message Count,Private Chat Message Count,Call Count\n"
                    b"2026-02-28,a@example.com,2026-02-27,3,4,0\n", pepper="p")
    assert not isinstance(refused.value, (UnknownFormat, MonthNotGiven))


def test_an_hr_export_no_mapping_reads_is_one_preview_worded_for_each_edge(db):
    preview = uploads.preview_upload(WORKDAY, DATA, location=db, month="2026-02", choose=lambda offer: None)
    assert preview.pending is None and preview.invites_mapping and preview.offer.roster_like
    assert preview.refusal == str(preview.refused)
    # The command line reaches the same preview and tells the uploader where to map the columns.
    with pytest.raises(ImportRefused) as refused:
        uploads.import_file(WORKDAY, DATA, location=db, month="2026-02")
    assert str(refused.value) == f"{preview.refused} {mapping.MAP_IT}"


def test_the_preview_holds_what_the_page_shows_and_commit_stores_it(db, load):
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    activity = b"month,email,tool,posts\n2026-09,ann@example.com,slack,1\n2026-09,nobody@example.com,slack,2\n"
    preview = uploads.preview_upload("activity.csv", activity, location=db)
    assert preview.refused is None and preview.offer is None and preview.mapping is None
    assert (preview.coverage["matched"], preview.coverage["unmapped"]) == (1, 1)
    assert preview.unmatched_note.startswith("1 person in this file could not be matched to the roster")
    with warehouse.opened(db) as conn:
        result = uploads.commit(conn, preview.pending)
    assert (result.kind, result.row_count, result.matched, result.unmapped) == ("activity", 2, 1, 1)
