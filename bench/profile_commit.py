"""Profile (not a test): where one upload's time goes, per step and per SQL statement.

    python bench/profile_commit.py [--size 200000x24] [--kinds champions,roster,…] [--out FILE]

The warehouse of `bench/run.py` for that size (every month but the last loaded as monthly files) is built once and
kept as bench/out/history-<size>.duckdb. A copy of it takes the last month's files in bench/run.py's order (the
roster first), as the Data page and the CLI import them (`imports.read_upload`, then `uploads.commit`), and the
commits of the kinds asked for are profiled. Every statement the commit runs
is timed: a named query (queries/*.sql) by its name, any other by the function that ran it and its first words.
The report lists the steps (validate, open, commit, close) and the statements that took the most time.
"""
from __future__ import annotations

import argparse
import collections
import shutil
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402  (bench/run.py: the same data, months and import steps)
from run import OUT, imports, label, log, month_files, months_of, parse_sizes, uploads, warehouse  # noqa: E402

from queries import named  # noqa: E402


class Timed:
    """A connection that times every statement it runs; anything else is passed through."""

    def __init__(self, conn, spent: collections.Counter, calls: collections.Counter):
        self._conn, self._spent, self._calls = conn, spent, calls

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def _timed(self, method: str, sql: str, *args):
        start = time.perf_counter()
        try:
            return getattr(self._conn, method)(sql, *args)
        finally:
            key = _label(sql)
            self._spent[key] += time.perf_counter() - start
            self._calls[key] += 1

    def execute(self, sql, *args):
        return self._timed("execute", sql, *args)

    def executemany(self, sql, *args):
        return self._timed("executemany", sql, *args)

    def cursor(self):
        return Timed(self._conn.cursor(), self._spent, self._calls)


_NAMES: dict[str, str] = {}


def _label(sql: str) -> str:
    if not _NAMES:
        for path in named.SQL_DIR.glob("*.sql"):
            for block, text in named._blocks(path.stem).items():
                _NAMES[text] = f"{path.stem}.{block}"
    if sql in _NAMES:
        return _NAMES[sql]
    frame = sys._getframe(3)
    while frame and frame.f_code.co_filename.endswith(("profile_commit.py", "named.py")):
        frame = frame.f_back
    where = f"{Path(frame.f_code.co_filename).stem}.{frame.f_code.co_name}" if frame else "?"
    return f"{where}: {' '.join(sql.split())[:70]}"


def history(size: tuple[int, int]) -> tuple[Path, str, str]:
    """(exports folder, kept warehouse of every month but the last, last month)."""
    folder, _ = run.generate(size)
    months = months_of(folder)
    kept = OUT / f"history-{size[0]}x{size[1]}.duckdb"
    if not kept.exists():
        building = str(kept) + ".building"
        for suffix in ("", ".wal"):
            Path(building + suffix).unlink(missing_ok=True)
        start = time.perf_counter()
        for month in months[:-1]:
            for kind, path in month_files(folder, month):
                run.import_one(building, kind, path, month)
            log(f"  loaded {month}")
        warehouse.forget(building)
        log(f"history of {label(size)} loaded in {time.perf_counter() - start:.0f} s")
        Path(building).rename(kept)
    return folder, str(kept), months[-1]


def profile(folder: Path, kept: str, month: str, kinds: list[str]) -> list[dict]:
    """Import the last month's files into a copy of the history in bench/run.py's order (the roster first), each
    of `kinds` timed: every kind meets the files of the kinds before it, as in bench/run.py's import table."""
    copy = str(OUT / "profile.duckdb")
    warehouse.forget(copy)
    for suffix in ("", ".wal"):
        Path(copy + suffix).unlink(missing_ok=True)
    shutil.copyfile(kept, copy)
    profiles = []
    for kind, path in month_files(folder, month):
        if kind not in kinds:
            run.import_one(copy, kind, path, month)
            continue
        spent, calls = collections.Counter(), collections.Counter()
        steps = {}
        data = path.read_bytes()
        start = time.perf_counter()
        pending = imports.read_upload(path.name, data, pepper=warehouse.pepper_for(copy),
                                      month=month if kind.startswith("slack") else None)
        steps["validate"] = time.perf_counter() - start
        start = time.perf_counter()
        with warehouse.opened(copy) as conn:
            steps["open"] = time.perf_counter() - start
            start = time.perf_counter()
            result = uploads.commit(Timed(conn, spent, calls), pending, "bench")
            steps["commit"] = time.perf_counter() - start
            start = time.perf_counter()
        steps["close"] = time.perf_counter() - start
        profiles.append({"kind": kind, "rows": result.row_count, "steps": steps, "spent": spent, "calls": calls,
                         "read_csv": run.raw_read(path)})
    warehouse.forget(copy)
    return profiles


def report(size, profiles: list[dict], top: int) -> str:
    lines = [f"## One commit, profiled: {label(size)} (bench/profile_commit.py, {time.strftime('%Y-%m-%d %H:%M')})",
             "", "The warehouse holds every earlier month and the last month's files of the kinds listed before each.",
             ""]
    lines += ["| Kind | Rows | Validate (s) | Commit (s) | Import (s) | read_csv (s) | Import / read_csv |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for item in profiles:
        steps = item["steps"]
        imported = steps["validate"] + steps["commit"]
        lines.append(f"| {item['kind']} | {item['rows']:,} | {steps['validate']:.3f} | {steps['commit']:.3f} | "
                     f"{imported:.3f} | {item['read_csv']:.3f} | {imported / item['read_csv']:.1f}× |")
    lines.append("")
    for item in profiles:
        steps = item["steps"]
        lines += [f"### {item['kind']} ({item['rows']:,} rows)", "",
                  " · ".join(f"{name} {seconds:.3f} s" for name, seconds in steps.items()), "",
                  "| Statement | Calls | Seconds | Share of commit |", "| --- | ---: | ---: | ---: |"]
        for key, seconds in item["spent"].most_common(top):
            lines.append(f"| `{key}` | {item['calls'][key]} | {seconds:.3f} | {seconds / steps['commit']:.0%} |")
        rest = sum(item["spent"].values())
        lines += [f"| (every statement) | {sum(item['calls'].values())} | {rest:.3f} | {rest / steps['commit']:.0%} |",
                  ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="200000x24")
    parser.add_argument("--kinds", default="champions,roster,engage_activity,kpis")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--out", default=None, help="write the report here too")
    args = parser.parse_args()
    size = parse_sizes(args.size)[0]
    folder, kept, month = history(size)
    profiles = profile(folder, kept, month, args.kinds.split(","))
    text = report(size, profiles, args.top)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
