"""The demo organisation: synthetic exports in data/demo/, loaded into an empty warehouse on first run."""
from __future__ import annotations

import re
from pathlib import Path

from . import uploads, warehouse
from .imports import MonthNotGiven

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
_LOAD_ORDER = ("roster", "champion", "engage", "teams", "slack", "activity", "communit", "training", "kpi", "checklist")
_MONTH_IN_NAME = re.compile(r"(\d{4}-\d{2})")


def demo_files(folder: Path = DEMO_DIR) -> list[Path]:
    """Demo files in load order: files covering many months first (the roster before the rest, so activity
    joins to it as it lands), then the monthly exports month by month, so each refreshes only its own month."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx", ".json", ".ndjson")]

    def order(path: Path):
        name = path.name.lower()
        rank = next((i for i, key in enumerate(_LOAD_ORDER) if key in name), len(_LOAD_ORDER))
        return (month_from_name(path) or "", rank, name)

    return sorted(files, key=order)


# The demo tells its story over 18 months. The last VENDOR_MONTHS arrive as the real exports champions download;
# the months before come as one canonical history file, as an organisation migrating from a spreadsheet would.
VENDOR_MONTHS = 6
# What the demo organisation started, and the targets it set (docs/formats.md#initiatives, #targets).
STEERING = {
    "initiatives.csv": "name,start,end,departments,note\n"
                       "Champion pilot,2026-03,2026-08,Sales;Customer Support,Two champions per team and a weekly "
                       "ask-me-anything\n"
                       "Leadership posts,2026-06,,,Every executive posts once a month\n",
    "targets.csv": "metric,value,by,department\nadoption,70%,2027-06,\ncontribution,30%,2027-03,\n",
}
DEVICE_MONTHS = 3


def build_demo_files(out_dir: Path = DEMO_DIR, people: int = 1500, months: int = 18, end_month: str = "2026-10",
                     seed: int = 7) -> list[Path]:
    """Regenerate data/demo from the synthetic organisation (developers run this; the app only loads)."""
    import csv
    import shutil
    import tempfile

    from . import synth

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        canonical = Path(scratch) / "canonical"
        vendor = Path(scratch) / "vendor"
        synth.write_org(canonical, people=people, months=months, end_month=end_month, seed=seed, fmt="canonical")
        synth.write_org(vendor, people=people, months=months, end_month=end_month, seed=seed, fmt="vendor")
        vendor_months = sorted({m for p in vendor.iterdir() if (m := month_from_name(p))})[-VENDOR_MONTHS:]
        for name in ("roster.csv", "champions.csv", "training.csv", "kpis.csv", "checklist.csv"):
            shutil.copyfile(canonical / name, out_dir / name)
        for name, target in (("activity.csv", "activity-history.csv"), ("communities.csv", "communities-history.csv")):
            with open(canonical / name, newline="") as source, open(out_dir / target, "w", newline="") as sink:
                rows = csv.reader(source)
                writer = csv.writer(sink, lineterminator="\n")
                writer.writerow(next(rows))
                writer.writerows(row for row in rows if row[0] < vendor_months[0])
        for name, text in STEERING.items():
            (out_dir / name).write_text(text)
        for path in vendor.iterdir():
            month = month_from_name(path)
            keep = month in vendor_months and ("devices" not in path.name or month in vendor_months[-DEVICE_MONTHS:])
            if keep:
                shutil.copyfile(path, out_dir / path.name)
    return demo_files(out_dir)


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
        except MonthNotGiven:
            month = month_from_name(path)
            if month is None:
                raise
            results.append(uploads.import_file(path.name, data, location=location, month=month, who=who))
    return results


def is_empty(location: str | None = None) -> bool:
    with warehouse.opened(location) as conn:
        return conn.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
