"""Benchmark (not a test): what the garbage collector and the turns of app/turns.py do to many viewers at once.

    python bench/turns.py [--size 10000] [--pages Overview,Adoption]

One `streamlit run dashboard.py` per setting, on a copy of the 10k-person warehouse that bench/load.py keeps
(bench/out/load/pristine-10000x24.duckdb; bench/load.py builds it), with the agent API on. For each setting and
page: warm cache, N = 1, 4, 8 and 16 sessions released together, at least 80 sessions per cell, as bench/load.py
measures them. The settings, all measured in this one run:

- before: Streamlit's full collection after every run (`runner.postScriptGC` on), nothing frozen, no turns;
- freeze only: the same, with the modules' objects frozen out of the collector's sight (app/turns.py);
- no post-run collection: `postScriptGC` off as well, no turns;
- shipped: the above with one run at a time (DASHBOARD_CONCURRENT_RUNS=1, the default);
- two at a time: DASHBOARD_CONCURRENT_RUNS=2.

It writes its section of bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import load  # noqa: E402
import run  # noqa: E402

SECTION = ("<!-- turns:start -->", "<!-- turns:end -->")
SETTINGS = {  # name: (postScriptGC, freeze the modules, DASHBOARD_CONCURRENT_RUNS)
    "before": ("true", "0", "0"),
    "freeze only": ("true", "1", "0"),
    "no post-run collection": ("false", "1", "0"),
    "shipped: one run at a time": ("false", "1", "1"),
    "two runs at a time": ("false", "1", "2"),
}


def measure(size: int, pages: list[str]) -> list[dict]:
    pristine = load.LOAD / f"pristine-{size}x24.duckdb"
    if not pristine.exists():
        raise SystemExit(f"{pristine} is missing: run `python bench/load.py --sizes {size} --backends file` first")
    load.migrate(pristine)
    rows = []
    for name, (post_gc, freeze, runs) in SETTINGS.items():
        location = Path(f"{load.LOAD}/turns-{size}x24.duckdb")
        for stale in (location, Path(f"{location}.wal"), Path(f"{location}.intent")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(pristine, location)
        env = {**os.environ, "DASHBOARD_DB": str(location), "DASHBOARD_DEMO": "0",
               "STREAMLIT_RUNNER_POST_SCRIPT_GC": post_gc, "DASHBOARD_GC_FREEZE": freeze,
               "DASHBOARD_CONCURRENT_RUNS": runs}
        with load.Server(run.ROOT / "dashboard.py", env, load.LOAD / "server-turns.log", 30) as server:
            for path in load.PAGES.values():  # warm: every page ran once at this data version
                server.fire(path, 1)
            for page in pages:
                rounds = {n: max(5, math.ceil(80 / n)) for n in load.COUNTS}
                cells = load.judge([{"page": page, "cache": "warm", **cell}
                                    for cell in load.measure_page(server, load.PAGES[page], rounds).values()])
                for cell in cells:
                    rows.append({"setting": name, "sessions": len(cell["times"]), **{key: cell[key] for key in (
                        "page", "n", "p50", "p95", "queue", "ratio", "cpu", "errors", "peak_mb")}})
                    run.log(f"  {name:27} {page:10} N={cell['n']:<2} p50 {cell['p50']:.3f} s, p95 {cell['p95']:.3f} s, "
                            f"vs perfect queue {cell['queue']:.2f}, {cell['errors']} errors")
    return rows


def section(rows: list[dict], command: str, elapsed: float, load_before: str, load_after: str) -> str:
    lines = ["## Garbage collection and turns: the same viewers, five settings (bench/turns.py)", "",
             f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M')}; the run took {elapsed / 60:.1f} minutes. "
             f"Load average before and after: {load_before} / {load_after}. Warm cache, 10k people x 24 months on the "
             "embedded file; each cell pools at least 80 sessions (N released together, rounds at each N taking "
             "turns, as bench/load.py does). Against the perfect queue = p95 / the p95 of perfect queueing simulated "
             "from the same setting's single sessions, bench/load.py's target (<= 1); beside it, p95 / (N x the "
             "N=1 p50), and the server's CPU time per session against N=1's.", "",
             "| Setting | Page | N | p50 (s) | p95 (s) | against the perfect queue | vs N x p50 | "
             "CPU per session / N=1's | errors | peak memory (MB) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        cpu = "" if r["cpu"] is None else f"{r['cpu']:.2f}"
        lines.append(f"| {r['setting']} | {r['page']} | {r['n']} | {r['p50']:.3f} | {r['p95']:.3f} | "
                     f"{r['queue']:.2f} | {r['ratio']:.2f} | {cpu} | {r['errors']} of {r['sessions']} | "
                     f"{r['peak_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000, help="people (default 10000; 24 months)")
    parser.add_argument("--pages", default="Overview,Adoption",
                        help="pages of bench/load.py (default Overview,Adoption)")
    args = parser.parse_args(argv)
    started, load_before = time.perf_counter(), open("/proc/loadavg").read().split()[0]
    rows = measure(args.size, [p.strip() for p in args.pages.split(",")])
    command = " ".join(["python bench/turns.py", *(sys.argv[1:] if argv is None else argv)])
    load.write_section(section(rows, command, time.perf_counter() - started, load_before,
                               open("/proc/loadavg").read().split()[0]), SECTION)
    run.log(f"wrote the turns section of {load.RESULTS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
