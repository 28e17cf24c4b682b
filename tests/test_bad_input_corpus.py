"""The bad-file corpus (tests/corpus/bad): every file is refused with a clear message and changes nothing."""
from pathlib import Path

import pytest

from conftest import ACTIVITY_SEPT, ROSTER_SEPT, copy_warehouse, fresh_location, snapshot
from queries import uploads
from queries.imports import ImportRefused

CORPUS = Path(__file__).parent / "corpus" / "bad"

# file → (month given at upload, fragments the message must contain)
EXPECTED = {
    "empty.csv": ("2026-09", ["empty"]),
    "only-whitespace.csv": ("2026-09", ["empty"]),
    "header-only.csv": ("2026-09", ["no rows"]),
    "binary.png": ("2026-09", ["binary"]),
    "binary-with-csv-name.csv": ("2026-09", ["binary"]),
    "unknown-format.csv": ("2026-09", ["unknown format"]),
    "roster-missing-level.csv": ("2026-09", ["missing", "level"]),
    "activity-missing-tool.csv": ("2026-09", ["missing", "tool"]),
    "text-in-count.csv": (None, ["row 2", 'column "posts"', "three", "whole number"]),
    "negative-count.csv": (None, ["row 2", 'column "replies"', "negative"]),
    "fraction-count.csv": (None, ["row 2", 'column "posts"', "whole number"]),
    "impossible-month.csv": (None, ["row 2", 'column "month"', "2026-00"]),
    "impossible-date.csv": (None, ["row 2", 'column "date"', "2026-04-31"]),
    "unknown-level.csv": ("2026-09", ["row 2", 'column "level"', "intern"]),
    "duplicate-person.csv": ("2026-09", ["row 4", "row 2"]),
    "duplicate-activity.csv": (None, ["row 3", "row 2"]),
    "unknown-criterion.csv": ("2026-09", ["row 2", 'column "criterion"', "9z"]),
    "answer-maybe.csv": ("2026-09", ["row 2", 'column "answer"', "perhaps"]),
    "formula-injection.csv": (None, ["row 2", 'column "community"', "formula"]),
    "formula-injection-kpi.csv": (None, ["row 2", 'column "kpi"', "formula"]),
    "truncated-quote.csv": (None, ["never closed", "truncated"]),
    "truncated.xlsx": ("2026-09", ["XLSX", "damaged or truncated"]),
    "not-really.xlsx": ("2026-09", ["XLSX", "damaged or truncated"]),
    "two-months-m365.csv": (None, ["span two months", "2026-09", "2026-10"]),
    "seven-day-period-m365.csv": (None, ["7 days", "not a month", "--allow-period"]),
    "slack-members-without-email.csv": ("2026-09", ["no Email column", "export options"]),
    "kpi-value-text.csv": (None, ["row 2", 'column "value"', "not a number"]),
    "blank-email.csv": ("2026-09", ["row 2", 'column "email"', "blank"]),
    "month-contradicts-upload.csv": ("2026-09", ["2026-08", "2026-09"]),
}


def test_the_corpus_has_at_least_25_files_and_every_file_has_an_expectation():
    files = sorted(p.name for p in CORPUS.iterdir())
    assert len(files) >= 25
    assert set(files) == set(EXPECTED)


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A warehouse holding a roster and activity, reused (by copy) for every corpus file."""
    import os

    location = fresh_location(tmp_path_factory.mktemp("corpus"), "corpus")
    os.environ.setdefault("DASHBOARD_PEPPER", "test-pepper")
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=location, month="2026-09")
    uploads.import_file("activity.csv", ACTIVITY_SEPT.encode(), location=location)
    return location


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_refused_clearly_and_nothing_changes(name, populated, db):
    copy_warehouse(populated, db)
    before = snapshot(db)
    month, fragments = EXPECTED[name]
    with pytest.raises(ImportRefused) as refused:
        uploads.import_file(name, (CORPUS / name).read_bytes(), location=db, month=month)
    message = str(refused.value)
    assert message.startswith(name + ":"), message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message and "Error:" not in message.split(":", 1)[1][:20]
    assert snapshot(db) == before
