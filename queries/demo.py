"""The demo organisation: synthetic exports in data/demo/, loaded into an empty warehouse on first run."""
from __future__ import annotations

import re
from pathlib import Path

from . import uploads, warehouse

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
_LOAD_ORDER = ("roster", "champion", "engage", "teams", "slack", "activity", "communit", "training", "kpi", "checklist")
_MONTH_IN_NAME = re.compile(r"(\d{4}-\d{2})")


def demo_files(folder: Path = DEMO_DIR) -> list[Path]:
    """Demo files in load order: the roster first, so activity joins to it as it lands."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx", ".json", ".ndjson")]

    def order(path: Path):
        name = path.name.lower()
        rank = next((i for i, key in enumerate(_LOAD_ORDER) if key in name), len(_LOAD_ORDER))
        return (rank, name)

    return sorted(files, key=order)


def month_from_name(path: Path) -> str | None:
    """Demo files without a period inside (Slack CSVs, snapshot templates) carry their month in their name."""
    found = _MONTH_IN_NAME.search(path.name)
    return found.group(1) if found else None


def load_demo(location: str | None = None, folder: Path = DEMO_DIR, who: str = "demo") -> list[uploads.UploadResult]:
    """Import every demo file. The month comes from the file, or from its name where the file has none."""
    results = []
    for path in demo_files(folder):
        data = path.read_bytes()
        try:
            results.append(uploads.import_file(path.name, data, location=location, who=who))
        except uploads.ImportRefused as refused:
            month = month_from_name(path)
            if month is None or "month" not in str(refused):
                raise
            results.append(uploads.import_file(path.name, data, location=location, month=month, who=who))
    return results


def is_empty(location: str | None = None) -> bool:
    with warehouse.opened(location) as conn:
        return conn.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
