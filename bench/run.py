"""Benchmark (not a test): imports against raw DuckDB read_csv, each page's uncached data against a pandas recompute
from the CSVs, and the Streamlit server's peak memory, for synthetic organisations of several sizes.

    python bench/run.py [--sizes 10000,200000,1000000] [--quick] [--largest]

Sizes are people, or people x months (200000x24); a size without months has 24 months, or 1 from 1,000,000 people
up (one month plus its roster). --largest adds 1,000,000 people x 24 months, which takes about an hour. Generated exports and warehouses go to bench/out/ (git-ignored); the results go to
bench/RESULTS.md. Issue 7 states the targets checked at 200,000 people x 24 months.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT))
# A Teams export for a million people is about 197 MB, close to the upload page's default 200 MB limit.
os.environ.setdefault("DASHBOARD_MAX_UPLOAD_MB", "1024")
os.environ["DASHBOARD_PEPPER"] = PEPPER = "bench-pepper"
os.environ.setdefault("DASHBOARD_LOCK_TIMEOUT", "60")

import duckdb  # noqa: E402

from queries import imports, metrics, synth, uploads, views, warehouse  # noqa: E402

RESULTS_JSON = OUT / "results.json"
LOAD_SECTION = ("<!-- load:start -->", "<!-- load:end -->")  # bench/load.py's part of RESULTS.md, kept here
BLOB_SECTION = ("<!-- blob:start -->", "<!-- blob:end -->")  # bench/lake.py --storage both's part, kept too
TARGET_SIZE = (200_000, 24)
TARGETS = {"page_ms": 150, "page_growth": 1.5, "import_ratio": 3.0, "pandas_ratio": 20.0, "memory_mb": 700,
           "small_rows": 10_000, "small_commit_s": 0.3}
# Load order within a month: the roster first, so that activity finds its people.
MONTHLY_KINDS = ("roster", "champions", "training", "engage_activity", "teams_activity", "slack_members",
                 "engage_devices", "engage_groups", "slack_channels", "kpis", "checklist")
KIND_LABELS = {
    "roster": "roster (canonical)", "champions": "champions (canonical)", "training": "training (canonical)",
    "engage_activity": "activity: Viva Engage user detail", "teams_activity": "activity: Teams user activity",
    "slack_members": "activity: Slack members", "engage_devices": "devices: Viva Engage device usage",
    "engage_groups": "communities: Viva Engage groups", "slack_channels": "communities: Slack channels",
    "kpis": "KPIs (canonical)", "checklist": "checklist (canonical)",
}
SPLIT = {"roster": "month", "champions": "month", "kpis": "month", "checklist": "month", "training": "date"}


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        people, _, months = part.strip().lower().partition("x")
        people = int(people.replace("_", ""))
        sizes.append((people, int(months) if months else (1 if people >= 1_000_000 else 24)))
    return sizes


def label(size: tuple[int, int]) -> str:
    people, months = size
    shown = f"{people // 1_000_000}M" if people % 1_000_000 == 0 else f"{people // 1000}k" if people % 1000 == 0 \
        else str(people)
    return f"{shown} x {months} month{'s' if months != 1 else ''}"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- data -------------------------------------------------------------------------------------------------------------
def generate(size: tuple[int, int]) -> tuple[Path, float | None]:
    """The synthetic organisation's exports (vendor formats), generated once and kept; returns (folder, seconds)."""
    people, months = size
    folder = OUT / f"synth-{people}x{months}"
    marker = folder / ".generated"
    if marker.exists():
        return folder, float(marker.read_text().split()[0])
    if folder.exists():
        shutil.rmtree(folder)
    log(f"generating {label(size)}")
    start = time.perf_counter()
    synth.write_org(folder, people=people, months=months, seed=7, fmt="vendor")
    seconds = time.perf_counter() - start
    split_by_month(folder)
    marker.write_text(f"{seconds:.1f} seconds to generate\n")
    return folder, seconds


def split_by_month(folder: Path) -> None:
    """Monthly files of the multi-month templates, as HR and the CoE send them month by month."""
    monthly = folder / "monthly"
    monthly.mkdir(exist_ok=True)
    for kind, column in SPLIT.items():
        with open(folder / f"{kind}.csv", newline="", encoding="utf-8") as source:
            rows = csv.reader(source)
            header = next(rows)
            index = header.index(column)
            writers, handles = {}, []
            try:
                for row in rows:
                    month = row[index][:7]
                    if month not in writers:
                        handle = open(monthly / f"{kind}_{month}.csv", "w", newline="", encoding="utf-8")
                        handles.append(handle)
                        writers[month] = csv.writer(handle, lineterminator="\n")
                        writers[month].writerow(header)
                    writers[month].writerow(row)
            finally:
                for handle in handles:
                    handle.close()


def month_files(folder: Path, month: str) -> list[tuple[str, Path]]:
    found = []
    for kind in MONTHLY_KINDS:
        path = (folder / "monthly" if kind in SPLIT else folder) / f"{kind}_{month}.csv"
        if path.exists():
            found.append((kind, path))
    return found


def months_of(folder: Path) -> list[str]:
    return sorted({p.stem.rsplit("_", 1)[1] for p in folder.glob("engage_activity_*.csv")})


def import_one(location: str, kind: str, path: Path, month: str):
    return import_timed(location, kind, path, month)[0]


def import_timed(location: str, kind: str, path: Path, month: str):
    """The same steps as uploads.import_file, timed apart: (result, validate seconds, commit seconds).

    Validate = read, detect, check every cell, pseudonymise (no warehouse held). Commit = open the warehouse, write
    the rows, slices and ledger and refresh the affected months' rollups in one transaction, close (checkpoint).
    """
    data = path.read_bytes()
    start = time.perf_counter()
    # Slack's CSV exports carry no period: the uploader names the month, as on the upload page.
    pending = imports.read_upload(path.name, data, pepper=warehouse.pepper_for(location),
                                  month=month if kind.startswith("slack") else None)
    validated = time.perf_counter()
    with warehouse.opened(location) as conn:
        result = uploads.commit(conn, pending, "bench")
    return result, validated - start, time.perf_counter() - validated


class PeakMemory:
    """`with PeakMemory() as memory:` samples this process's resident memory every 0.1 s; memory.peak_mb after."""

    def __enter__(self):
        import threading

        self.peak_mb, self._stop = self._rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(0.1):
            self.peak_mb = max(self.peak_mb, self._rss_mb())

    @staticmethod
    def _rss_mb() -> float:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def raw_read(path: Path) -> float:
    """DuckDB reading the same file into a table with the column types given (found beforehand, not timed): the
    floor an import is held to."""
    with duckdb.connect() as conn:
        types = {name: kind for name, kind, *_ in conn.execute("DESCRIBE SELECT * FROM read_csv(?)",
                                                                 [str(path)]).fetchall()}
        start = time.perf_counter()
        conn.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true, columns = ?)", [str(path), types])
        return time.perf_counter() - start


# --- measurements -----------------------------------------------------------------------------------------------------
def build_warehouse(folder: Path, size: tuple[int, int], import_runs: int) -> dict:
    """Load every month but the last as monthly files, then time each file kind's import of the last month."""
    location = str(OUT / f"warehouse-{size[0]}x{size[1]}.duckdb")
    for suffix in ("", ".wal"):
        if os.path.exists(location + suffix):
            os.remove(location + suffix)
    months = months_of(folder)
    start = time.perf_counter()
    with PeakMemory() as memory:
        for month in months[:-1]:
            for kind, path in month_files(folder, month):
                import_one(location, kind, path, month)
            log(f"  loaded {month}")
    history = time.perf_counter() - start
    imported = []
    last = months[-1]
    for kind, path in month_files(folder, last):
        import_times, validate_times, commit_times, raw_times, result = [], [], [], [], None
        for run in range(import_runs):
            if result is not None:  # take it back out and load it again: the same import, measured again
                with warehouse.opened(location) as conn:
                    uploads.undo(conn, result.upload_id, who="bench")
            result, validate_s, commit_s = import_timed(location, kind, path, last)
            import_times.append(validate_s + commit_s)
            validate_times.append(validate_s)
            commit_times.append(commit_s)
            raw_times.append(raw_read(path))
        imported.append({"kind": kind, "file": path.name, "rows": result.row_count, "mb": path.stat().st_size / 1e6,
                         "import_s": statistics.median(import_times), "raw_s": statistics.median(raw_times),
                         "validate_s": statistics.median(validate_times),
                         "commit_s": statistics.median(commit_times)})
        log(f"  {path.name}: import {imported[-1]['import_s']:.3f} s, read_csv {imported[-1]['raw_s']:.3f} s")
    return {"location": location, "history_s": history, "history_peak_mb": memory.peak_mb,
            "history_months": len(months) - 1, "imports": imported,
            "last_month": last}


def page_scope(conn) -> views.Scope:
    """The sidebar's default selection: the latest month held against the previous one, no filters."""
    return views.scope_for(metrics.months(conn))


def run_page(conn, page: str, scope: views.Scope):
    """What a page reads (no Streamlit cache): the shared frame every page's sidebar reads, then its view model."""
    return views.frame(conn), views.PAGES[page](conn, scope)


def time_pages(location: str, runs: int) -> dict:
    """Median uncached data time of each page: one connection per page run, as a script run opens it."""
    results = {}
    with warehouse.opened(location) as conn:
        scope = page_scope(conn)
    for page in views.PAGES:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            with warehouse.opened(location) as conn:
                run_page(conn, page, scope)
            times.append(time.perf_counter() - start)
        results[page] = statistics.median(times)
    return {"scope": scope, "pages": results}


def pandas_pages(folder: Path, location: str, scope) -> dict:
    from pandas_baseline import CsvOrganisation

    org = CsvOrganisation(folder)
    org.build()
    month, compare = scope.month.strftime("%Y-%m"), scope.compare_to.strftime("%Y-%m")
    seconds = {page: org.page(page, month, compare)[0] for page in views.PAGES}
    # The baseline must compute the same numbers: compare the headline metrics with the warehouse's.
    mismatches = []
    with warehouse.opened(location) as conn:
        for check_month in (scope.month, scope.compare_to):
            if not scope.has(check_month):
                continue
            ours = metrics.org_month(conn, check_month)
            theirs = org.headline(check_month.strftime("%Y-%m"))
            for key, value in ours.items():
                other = theirs.get(key)
                if (value is None) != (other is None) or (value is not None and abs(float(value) - float(other))
                                                          > 1e-9 * max(1.0, abs(float(value)))):
                    mismatches.append(f"{check_month:%Y-%m} {key}: warehouse {value}, pandas {other}")
    return {"pages": seconds, "reads_s": sum(org.reads.values()), "build_s": org.timer.seconds["build"],
            "mismatches": mismatches}


def server_memory(location: str) -> dict:
    from server_memory import measure

    return measure(location, PEPPER)


# --- report -----------------------------------------------------------------------------------------------------------
def machine() -> list[str]:
    model = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        memory = int(info.readline().split()[1]) / 1024 / 1024
    import pandas
    import streamlit

    return [
        f"- Machine: {os.cpu_count()} cores, {memory:.1f} GiB memory, {model}; {platform.platform()}",
        f"- Versions: Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"streamlit {streamlit.__version__}, pandas {pandas.__version__}",
    ]


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def small_verdict(item: dict) -> str:
    if item["rows"] >= TARGETS["small_rows"] or "commit_s" not in item:
        return "—"
    return verdict(item["commit_s"] <= TARGETS["small_commit_s"])


def save(results: dict, meta: dict) -> None:
    """The figures of a run, so that RESULTS.md can be written again (--report-only, e.g. after bench/lake.py)."""
    sizes = [{"people": people, "months": months, **{k: v for k, v in data.items()}}
             for (people, months), data in results.items()]
    RESULTS_JSON.write_text(json.dumps({"meta": meta, "sizes": sizes}, indent=1, default=str))


def load_saved() -> tuple[dict, dict]:
    saved = json.loads(RESULTS_JSON.read_text())
    return {(s.pop("people"), s.pop("months")): s for s in saved["sizes"]}, saved["meta"]


def report(results: dict, meta: dict) -> str:
    sizes = list(results)
    base = next((s for s in sizes if s[0] == 10_000), None)
    lines = ["# Benchmark results", "",
             f"Written by `{meta['command']}` on {meta['date']}; the run took {meta['elapsed_s'] / 60:.1f} minutes.",
             "",
             *machine(),
             f"- Load average before and after the run: {meta['load_before']} / {meta['load_after']} (the machine "
             "may be shared: ratios are measured in the same run, side by side, so they hold better than absolute "
             "times)",
             f"- Repetitions: {meta['import_runs']} per import, {meta['page_runs']} per page (medians)",
             "- The benchmark raises DASHBOARD_MAX_UPLOAD_MB to 1024: a Teams export for a million people is about "
             "197 MB, close to the upload page's default 200 MB limit.", ""]

    lines += ["## Data", "", "| Size | Generate (s) | Months loaded before the last | History load (s) | "
              "Peak memory of the load (MB) |", "| --- | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        r = results[size]
        generated = "kept from an earlier run" if r["generate_s"] is None else f"{r['generate_s']:.0f}"
        lines.append(f"| {label(size)} | {generated} | {r['build']['history_months']} | "
                     f"{r['build']['history_s']:.0f} | {r['build'].get('history_peak_mb', float('nan')):.0f} |")

    lines += ["", "## Imports: the last month's file of each kind, against DuckDB `read_csv` of the same file", "",
              "The warehouse holds every earlier month. Import = the two steps of `uploads.import_file`, timed "
              "apart: validate (read, detect, check every cell, pseudonymise; no warehouse held) and commit (open "
              "the warehouse; write the rows, replaced slices and ledger and refresh the rollups of the months "
              "affected, in one transaction; close, which checkpoints). "
              "Raw = `CREATE TABLE raw AS SELECT * FROM read_csv(path, header = true, columns = …)` in an in-memory "
              "DuckDB, the column types given (found beforehand). A file of under "
              f"{TARGETS['small_rows']:,} rows must also commit in at most {TARGETS['small_commit_s']} s.", "",
              f"| Size | File kind | Rows | MB | Import (s) | Validate (s) | Commit (s) | read_csv (s) | Ratio | "
              f"≤ {TARGETS['import_ratio']:g}× | Small file's commit ≤ {TARGETS['small_commit_s']} s |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for size in sizes:
        for item in results[size]["build"]["imports"]:
            ratio = item["import_s"] / item["raw_s"]
            phases = " | ".join(f"{item[k]:.3f}" if k in item else "—" for k in ("validate_s", "commit_s"))
            lines.append(f"| {label(size)} | {KIND_LABELS[item['kind']]} | {item['rows']:,} | {item['mb']:.1f} | "
                         f"{item['import_s']:.3f} | {phases} | {item['raw_s']:.3f} | {ratio:.1f}× | "
                         f"{verdict(ratio <= TARGETS['import_ratio'])} | {small_verdict(item)} |")

    lines += ["", "## Page data, uncached: the frame and the page's view model (median), against pandas from the CSVs",
              "",
              "DuckDB = one connection opened per page run, then `views.frame` and the page's view model "
              "(`views.PAGES`), for the latest month against the previous one, no filters (no Streamlit cache). "
              "Pandas = reading the CSVs the page needs + building the per-person table + the page's numbers.", "",
              "| Size | Page | DuckDB (ms) | vs 10k | Pandas (s) | Pandas / DuckDB |",
              "| --- | --- | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        r = results[size]
        for page, seconds in r["pages"]["pages"].items():
            growth = ""
            if base and base in results and size != base:
                growth = f"{seconds / results[base]['pages']['pages'][page]:.2f}×"
            pandas_s = r["pandas"]["pages"].get(page) if r.get("pandas") else None
            pandas_cell = "—" if pandas_s is None else f"{pandas_s:.1f}"
            ratio_cell = "—" if pandas_s is None else f"{pandas_s / seconds:,.0f}×"
            lines.append(f"| {label(size)} | {page} | {seconds * 1000:.0f} | {growth} | {pandas_cell} | {ratio_cell} |")
    lake = OUT / "ducklake.json"
    if lake.exists():  # the DuckLake backend, measured by bench/lake.py, in the same table
        found = json.loads(lake.read_text())
        for page, seconds in found["pages"].items():
            lines.append(f"| {label((found['people'], found['months']))} on DuckLake | {page} | "
                         f"{seconds * 1000:.0f} | | — | — |")
    for size in sizes:
        found = results[size].get("pandas")
        if found:
            agree = "agree" if not found["mismatches"] else "DISAGREE: " + "; ".join(found["mismatches"][:5])
            lines.append("")
            lines.append(f"{label(size)}: pandas read the CSVs in {found['reads_s']:.1f} s and built the per-person "
                         f"table in {found['build_s']:.1f} s; its headline metrics and the warehouse's {agree}.")

    lines += ["", "## Streamlit server memory after visiting every page", "",
              "`streamlit run dashboard.py` on the warehouse (DASHBOARD_DEMO=0), each page opened in headless "
              "Chromium until the app stops running, then every page again (cached reads); resident set size sampled "
              "every 50 ms and the kernel's high-water mark. The first overview load includes the app's first-run "
              "imports.",
              "",
              "| Size | Idle (MB) | Peak (MB) | After (MB) | Page loads in the browser, first / again (s) |",
              "| --- | ---: | ---: | ---: | --- |"]
    for size in sizes:
        m = results[size].get("memory")
        if m:
            loads = ", ".join(f"{page} {times['first']:.1f} / {times['again']:.1f}"
                              for page, times in m["page_load_s"].items())
            lines.append(f"| {label(size)} | {m['idle_mb']:.0f} | {m['peak_mb']:.0f} | {m['after_mb']:.0f} | {loads} |")

    if TARGET_SIZE in results:
        r = results[TARGET_SIZE]
        lines += ["", f"## Targets at {label(TARGET_SIZE)}", "", "| Target | Measured | |", "| --- | --- | --- |"]
        worst = max(r["pages"]["pages"].items(), key=lambda kv: kv[1])
        lines.append(f"| every page's uncached data ≤ {TARGETS['page_ms']} ms | slowest: {worst[0]} "
                     f"{worst[1] * 1000:.1f} ms | {verdict(worst[1] * 1000 <= TARGETS['page_ms'])} |")
        if base in results:
            growth = {p: s / results[base]["pages"]["pages"][p] for p, s in r["pages"]["pages"].items()}
            page, most = max(growth.items(), key=lambda kv: kv[1])
            lines.append(f"| ≤ {TARGETS['page_growth']}× its time at 10k people | largest: {page} {most:.2f}× | "
                         f"{verdict(most <= TARGETS['page_growth'])} |")
        ratios = [(i["kind"], i["import_s"] / i["raw_s"]) for i in r["build"]["imports"]]
        met = [k for k, v in ratios if v <= TARGETS["import_ratio"]]
        kind, most = max(ratios, key=lambda kv: kv[1])
        lines.append(f"| import ≤ {TARGETS['import_ratio']}× raw read_csv | {len(met)} of {len(ratios)} kinds; "
                     f"{min(v for _, v in ratios):.1f}× to {most:.1f}× ({kind}) | "
                     f"{verdict(len(met) == len(ratios))} |")
        if r.get("pandas"):
            slowest = min((r["pandas"]["pages"][p] / s, p) for p, s in r["pages"]["pages"].items()
                          if r["pandas"]["pages"].get(p))
            lines.append(f"| page data ≥ {TARGETS['pandas_ratio']:.0f}× faster than pandas | smallest: "
                         f"{slowest[1]} {slowest[0]:,.0f}× | {verdict(slowest[0] >= TARGETS['pandas_ratio'])} |")
        if r.get("memory"):
            lines.append(f"| server memory ≤ {TARGETS['memory_mb']} MB | peak {r['memory']['peak_mb']:.0f} MB | "
                         f"{verdict(r['memory']['peak_mb'] <= TARGETS['memory_mb'])} |")

        why = []
        if worst[1] * 1000 > TARGETS["page_ms"]:
            why.append(f"- {worst[0]} is the slowest page. Page times do not grow with the organisation (compare "
                       "10k and 200k): what is left is the planning of each small query over the rollups and "
                       "opening the connection.")
        if len(met) < len(ratios):
            teams = next((i for i in r["build"]["imports"] if i["kind"] == "teams_activity"), None)
            detail = ""
            if teams and "validate_s" in teams:
                detail = (f" For the Teams export ({teams['rows']:,} rows) validating took {teams['validate_s']:.2f} s "
                          f"and committing {teams['commit_s']:.2f} s, against {teams['raw_s']:.2f} s for read_csv "
                          "alone.")
            large = [i["validate_s"] / i["raw_s"] for i in r["build"]["imports"]
                     if i["rows"] >= 50_000 and "validate_s" in i]
            validating = (f" Validating alone takes {min(large):.1f}× to {max(large):.1f}× read_csv's time for the "
                          "exports of 50,000 rows or more." if large else "")
            why.append("- An import does far more than `read_csv`: it detects the format, checks every cell (so a "
                       "bad one is refused with its row and column), pseudonymises every id (sha256 with the "
                       "pepper), then in one transaction writes the rows, the replaced slices and the ledger, "
                       "rebuilds the affected month's per-person rows (one per roster person, with new, returning "
                       "and lapsed people) and its rollups, and checkpoints on close." + detail + validating +
                       " The commit's rebuild of the month's per-person rows is most of the rest: it is the price of "
                       "pages that never read per-person rows. Small files pay the fixed cost of the transaction "
                       "and the checkpoint (about 0.1 s) against a read_csv of a few milliseconds.")
        if why:
            lines += ["", "Why targets are missed:", "", *why]
    lines += ducklake_section(results)
    lines += ["", "## What each page reads", "",
              "Each page reads its view model (queries/views/, `views.PAGES`: " + ", ".join(views.PAGES)
              + ") plus the frame every page's sidebar reads (`views.frame`: months, filter options, last refresh, "
              "demo flag)."]
    return "\n".join(lines) + "\n"


def ducklake_section(results: dict) -> list[str]:
    """bench/lake.py's figures (bench/out/ducklake.json), beside the embedded file's for the same people."""
    path = OUT / "ducklake.json"
    if not path.exists():
        return []
    lake = json.loads(path.read_text())
    written = dt.datetime.fromtimestamp(path.stat().st_mtime)
    same = next((r for (people, _), r in results.items() if people == lake["people"]), None)
    embedded = {i["kind"]: i for i in same["build"]["imports"]} if same else {}
    lines = ["", f"## DuckLake backend (bench/lake.py, written {written:%Y-%m-%d %H:%M})", "",
             f"{lake['people']:,} people, the last {lake['months']} months loaded into DuckLake (PostgreSQL catalog "
             f"on loopback, local data files); history load {lake['history_s']:.0f} s. One import per kind; "
             "the embedded file's figures are from the table above (same people, 24 months).", "",
             "| File kind | Rows | Import (s) | read_csv (s) | Ratio | Embedded file import (s) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for item in lake["imports"]:
        other = embedded.get(item["kind"])
        lines.append(f"| {KIND_LABELS.get(item['kind'], item['kind'])} | {item['rows']:,} | {item['import_s']:.3f} | "
                     f"{item['raw_s']:.3f} | {item['import_s'] / item['raw_s']:.1f}× | "
                     + (f"{other['import_s']:.3f} |" if other else "— |"))
    lines += ["", "| Page | DuckLake (ms) | Embedded file (ms) |", "| --- | ---: | ---: |"]
    for page, seconds in lake["pages"].items():
        other = same["pages"]["pages"].get(page) if same else None
        lines.append(f"| {page} | {seconds * 1000:.0f} | {'—' if other is None else f'{other * 1000:.0f}'} |")
    return lines


def write_report(path: Path, text: str) -> None:
    """Write the report, keeping every section the other benchmarks write between their markers
    (`<!-- name:start -->` … `<!-- name:end -->`: bench/load.py, bench/lake.py, bench/profile_commit.py and others)."""
    kept = ""
    if path.exists():
        for section in re.finditer(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", path.read_text(), re.DOTALL):
            kept += "\n" + section.group(0) + "\n"
    path.write_text(text.rstrip("\n") + "\n" + kept)


def pages_of(locations: list[str], runs: int) -> int:
    """Time every page's uncached data on a copy of each warehouse, in one run so that the ratios hold on a busy
    machine. Copies, because opening one migrates it (and refreshes its rollups) when the schema has moved on."""
    timed = []
    for location in locations:
        copy = OUT / f"pages-of-{Path(location).name}"
        shutil.copyfile(location, copy)
        start = time.perf_counter()
        with warehouse.opened(str(copy)):
            pass
        log(f"{location}: opened (migrated if needed) in {time.perf_counter() - start:.1f} s")
        timed.append(time_pages(str(copy), runs)["pages"])
        warehouse.forget(str(copy))
        copy.unlink()
    load = open("/proc/loadavg").read().split()[0]
    log(f"median of {runs} uncached runs per page (ms); load average after: {load}")
    for page in views.PAGES:
        cells = [f"{t[page] * 1000:7.1f}" for t in timed]
        ratios = [f"{t[page] / timed[0][page]:.2f}x" for t in timed[1:]]
        log(f"  {page:12} " + "  ".join(cells) + ("  " + "  ".join(ratios) if ratios else ""))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None, help="comma-separated people or people x months "
                                                      "(default 10000,200000,1000000; with --quick 10000)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (1 import, 3 page runs)")
    parser.add_argument("--largest", action="store_true",
                        help="also 1,000,000 people x 24 months (about an hour to generate and load)")
    parser.add_argument("--no-server", action="store_true", help="skip the Streamlit memory measurement")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--out", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--pages-of", metavar="WAREHOUSE,…",
                        help="only time each page's uncached data on copies of these existing warehouses (migrated "
                             "first), printing one line per page with each warehouse's time and their ratio to the "
                             "first; RESULTS.md is left alone")
    parser.add_argument("--report-only", action="store_true",
                        help="write RESULTS.md again from the last run's bench/out/results.json (and ducklake.json)")
    args = parser.parse_args(argv)
    if args.pages_of:
        return pages_of(args.pages_of.split(","), 3 if args.quick else 7)
    if args.report_only:
        results, meta = load_saved()
        write_report(Path(args.out), report(results, meta))
        log(f"wrote {args.out}")
        return 0
    args.sizes = args.sizes or ("10000" if args.quick else "10000,200000,1000000")
    if args.largest:
        args.sizes += ",1000000x24"
    args.import_runs, args.page_runs = (1, 3) if args.quick else (3, 7)
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = open("/proc/loadavg").read().split()[0]
    started = time.perf_counter()
    results = {}
    for size in parse_sizes(args.sizes):
        log(f"== {label(size)}")
        folder, generate_s = generate(size)
        build = build_warehouse(folder, size, args.import_runs)
        pages = time_pages(build["location"], args.page_runs)
        log("  pages: " + ", ".join(f"{p} {s * 1000:.0f} ms" for p, s in pages["pages"].items()))
        results[size] = {"generate_s": generate_s, "build": build, "pages": {"pages": pages["pages"]}}
        if not args.no_pandas:
            results[size]["pandas"] = pandas_pages(folder, build["location"], pages["scope"])
            log("  pandas: " + ", ".join(f"{p} {s:.1f} s" for p, s in results[size]["pandas"]["pages"].items()
                                         if s is not None))
        if not args.no_server:
            results[size]["memory"] = server_memory(build["location"])
            log(f"  server peak {results[size]['memory']['peak_mb']:.0f} MB")
    meta = {"command": " ".join(["python bench/run.py", *(sys.argv[1:] if argv is None else argv)]),
            "date": f"{dt.datetime.now():%Y-%m-%d %H:%M}", "elapsed_s": time.perf_counter() - started,
            "load_before": load_before, "load_after": open("/proc/loadavg").read().split()[0],
            "import_runs": args.import_runs, "page_runs": args.page_runs}
    save(results, meta)
    write_report(Path(args.out), report(results, meta))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
