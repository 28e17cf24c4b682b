"""Benchmark (not a test): the cost of relinking people across an e-mail change (docs/metrics.md#identity).

    python bench/relink.py [--people 200000] [--months 24] [--share 0.2] [--runs 3]

A warehouse of `people` x `months` is written straight into the canonical tables (a roster and one activity export
a month; the history itself is not what is measured), and its rollups are computed once. In the middle month a
`share` of the organisation moves to a new e-mail domain (one business unit's domain migration), with no stable id on
the roster, so every one of them looks new that month. Then the link arrives late, as an identity_changes.csv of one
row per moved person, imported through the same path as the Data page and the CLI: that relinks every month after the
migration. Measured, in one run: that import, its undo, and each page's uncached data time before the link and after
it (the pages read the rollups only, so they should not change). The results go to bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ["DASHBOARD_PEPPER"] = PEPPER = "bench-pepper"
os.environ.setdefault("DASHBOARD_LOCK_TIMEOUT", "600")

from queries import metrics, uploads, views, warehouse  # noqa: E402

MARKERS = ("<!-- relink:start -->", "<!-- relink:end -->")
TARGET_S = 60


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def month_list(count: int) -> list[dt.date]:
    end = dt.date(2026, 12, 1)
    index = end.year * 12 + end.month - 1
    return [dt.date((index - k) // 12, (index - k) % 12 + 1, 1) for k in reversed(range(count))]


def build(location: str, people: int, months: list[dt.date], share: float) -> float:
    """Write the organisation into the canonical tables and compute its rollups; returns the rollup time."""
    migration = months[len(months) // 2]
    every = round(1 / share)
    with warehouse.opened(location) as conn:
        with warehouse.transaction(conn):
            conn.execute("CREATE TEMP TABLE bench_months AS SELECT unnest(?::DATE[]) AS month", [months])
            conn.execute("CREATE TEMP TABLE bench_people AS SELECT range AS n FROM range(?)", [people])
            # the address of person n in each month: the moved share has the new domain from the migration month on
            conn.execute(f"""
                CREATE TEMP TABLE bench_rows AS
                SELECT m.month, p.n, row_number() OVER (ORDER BY m.month) AS month_number,
                    sha256($pepper || 'p' || p.n || CASE WHEN p.n % {every} = 0 AND m.month >= $migration
                                                         THEN '@new.example' ELSE '@old.example' END) AS person_key
                FROM bench_months m, bench_people p""", {"pepper": PEPPER, "migration": migration})
            for number, month in enumerate(months):
                for offset, kind, tool in ((1, "roster", ""), (2, "activity", "viva-engage")):
                    upload_id = 2 * number + offset
                    conn.execute("INSERT INTO uploads (upload_id, kind, source, file_name, sha256, months, row_count, "
                                 "uploaded_by, uploaded_at, status) VALUES (?, ?, 'bench', ?, '', ?, ?, 'bench', "
                                 "now(), 'active')", [upload_id, kind, f"{kind}.csv", f"{month:%Y-%m}", people])
                    conn.execute("INSERT INTO upload_slices VALUES (?, ?, ?, ?, 'active', ?)",
                                 [upload_id, kind, tool, month, people])
            conn.execute("""
                INSERT INTO roster (upload_id, month, person_key, department, region, business_unit, level)
                SELECT 2 * (date_diff('month', (SELECT min(month) FROM bench_months), month)) + 1, month, person_key,
                    'Department ' || (n % 40), ['EMEA', 'Americas', 'APAC', 'Other'][n % 4 + 1],
                    'Unit ' || (n % 6), ['staff', 'staff', 'staff', 'manager', 'executive'][n % 5 + 1]
                FROM bench_rows""")
            conn.execute("""
                INSERT INTO activity (upload_id, month, person_key, tool, concealed, posts, replies, reactions, reads,
                                      other_actions, active_days)
                SELECT 2 * (date_diff('month', (SELECT min(month) FROM bench_months), month)) + 2, month, person_key,
                    'viva-engage', false, (n + month_number) % 4, 0, (n * 7 + month_number) % 5,
                    (n * 3 + month_number) % 9, NULL, NULL
                FROM bench_rows WHERE hash(n, month_number) % 3 <> 0""")
            conn.execute("INSERT INTO ledger_events VALUES (1, NULL, 'uploaded', 'bench', now(), 'bench history')")
            for table in ("bench_rows", "bench_people", "bench_months"):
                conn.execute(f"DROP TABLE {table}")
            start = time.perf_counter()
            warehouse.refresh_rollups(conn)
            took = time.perf_counter() - start
        conn.execute("CHECKPOINT")
    return took


def changes_file(people: int, share: float, migration: dt.date) -> bytes:
    every = round(1 / share)
    lines = ["old_email,new_email,month"]
    lines += [f"p{n}@old.example,p{n}@new.example,{migration:%Y-%m}" for n in range(0, people, every)]
    return ("\n".join(lines) + "\n").encode()


def newcomers(location: str, month: dt.date) -> int:
    with warehouse.opened(location) as conn:
        return metrics.org_month(conn, month)["new"]


def time_pages(location: str, runs: int) -> dict:
    """Median uncached data time of each page, one cursor per page run as a script run takes it."""
    with warehouse.opened(location) as conn:
        scope = views.scope_for(metrics.months(conn))
    found = {}
    for page in views.PAGES:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            with warehouse.opened(location) as conn:
                views.frame(conn), views.PAGES[page](conn, scope)
            times.append(time.perf_counter() - start)
        found[page] = statistics.median(times)
    return found


def report(args, built_s, link_s, undo_s, moved, before_new, after_new, undone_new, pages_before, pages_after) -> str:
    ok = link_s < TARGET_S
    lines = [
        "## Relinking after an e-mail change (bench/relink.py)", "",
        f"Command: `python bench/relink.py --people {args.people} --months {args.months} --share {args.share} "
        f"--runs {args.runs}`, run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on this 2-core machine, "
        "embedded file.", "",
        f"{args.people:,} people x {args.months} months; in the middle month {moved:,} of them "
        f"({args.share:.0%}) move to a new domain with no id on the roster. The link arrives late, as an "
        "identity_changes.csv of one row per moved person, imported as the Data page and the CLI import it.", "",
        "| step | seconds | note |", "| --- | ---: | --- |",
        f"| rollups of the whole history, computed once (not the target) | {built_s:.1f} | |",
        f"| **import of identity_changes.csv, relinking every month after the migration** | **{link_s:.1f}** | "
        f"target < {TARGET_S} s: {'met' if ok else 'NOT met'} |",
        f"| undo of that upload (unlinks and recounts the same months) | {undo_s:.1f} | |", "",
        f"Newcomers in the migration month: {before_new:,} before the link, {after_new:,} after it, {undone_new:,} "
        "after its undo.", "",
        "Each page's uncached data time (median of "
        f"{args.runs}), before the link and after it, and the ratio after / before:", "",
        "| page | before (ms) | after (ms) | ratio |", "| --- | ---: | ---: | ---: |",
    ]
    for page in pages_before:
        b, a = pages_before[page] * 1000, pages_after[page] * 1000
        lines.append(f"| {page} | {b:.0f} | {a:.0f} | {a / b:.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the results, leave RESULTS.md alone")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    location = str(OUT / f"relink-{args.people}x{args.months}.duckdb")
    for suffix in ("", ".wal"):
        if os.path.exists(location + suffix):
            os.remove(location + suffix)
    months = month_list(args.months)
    migration = months[len(months) // 2]
    log(f"building {args.people:,} x {args.months} months")
    built_s = build(location, args.people, months, args.share)
    log(f"rollups of the history: {built_s:.1f} s")
    pages_before = time_pages(location, args.runs)
    before_new = newcomers(location, migration)
    data = changes_file(args.people, args.share, migration)
    start = time.perf_counter()
    result = uploads.import_file("identity_changes.csv", data, location=location, who="bench")
    link_s = time.perf_counter() - start
    log(f"late link: {link_s:.1f} s, {result.linked:,} addresses linked")
    after_new = newcomers(location, migration)
    pages_after = time_pages(location, args.runs)
    start = time.perf_counter()
    with warehouse.opened(location) as conn:
        uploads.undo(conn, result.upload_id, who="bench")
    undo_s = time.perf_counter() - start
    undone_new = newcomers(location, migration)
    log(f"undo: {undo_s:.1f} s")
    text = report(args, built_s, link_s, undo_s, result.linked, before_new, after_new, undone_new, pages_before,
                  pages_after)
    print(text)
    if not args.no_write:
        import load

        load.write_section(text, MARKERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
