"""Benchmark (not a test): where one session's run of a page spends its server time, cold and warm.

    python bench/profile_page.py [--db bench/out/load/pristine-200000x24.duckdb] [--page app/pages/overview.py]
                                 [--runs 7]

It runs the page through dashboard.py in Streamlit's AppTest (the same script run a server does, without a browser
or a websocket) against a copy of the warehouse, once cold (new process, nothing cached: the file is opened and
every read runs) and then warm, and splits each run's script time into what the app does before the page
(app/filters.py setup: sign-in, the data version, the frame's cached read and the sidebar's widgets), the page's
cached reads (app/cache.py read: its view model), its cached charts, and the rest of the page (layout: tiles,
text and tables). Times are medians of the warm runs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("DASHBOARD_PEPPER", "bench-pepper")  # the pepper bench/run.py loads its warehouses with
os.environ["DASHBOARD_DEMO"] = "0"


def timed(spent: dict, name: str, func, inside: str | None = None):
    """`func`, adding its time to spent[name]; if `inside` is given and a call named `inside` is running (a read
    made by the setup before the page), its time goes to spent[f"{name} ({inside})"] instead."""
    def wrapper(*args, **kwargs):
        key = f"{name} ({inside})" if inside and running[inside] else name
        running[name] += 1
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            running[name] -= 1
            spent[key] += time.perf_counter() - start
    return wrapper


running: dict[str, int] = defaultdict(int)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=str(ROOT / "bench" / "out" / "load" / "pristine-200000x24.duckdb"))
    parser.add_argument("--page", default="app/pages/overview.py")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="profile-"))
    os.environ["DASHBOARD_DB"] = str(shutil.copyfile(args.db, folder / "warehouse.duckdb"))

    import conftest  # noqa: F401  (AppTest then runs pages as a server does: through dashboard.py)
    from streamlit.testing.v1 import AppTest

    from app import cache, chart_cache, filters, guard

    spent: dict[str, float] = defaultdict(float)
    # dashboard.py calls filters.pin_version() and filters.setup(), and the pages call cache.read(...): all looked
    # up on the module, so replacing the module attribute times every call. The frame's read inside setup counts as
    # before the page.
    filters.pin_version = timed(spent, "before the page", filters.pin_version)
    filters.setup = timed(spent, "before the page", filters.setup)
    cache.read = timed(spent, "cached reads", cache.read, inside="before the page")
    chart_cache.spec_for = timed(spent, "cached charts", chart_cache.spec_for)
    chart_cache.show = timed(spent, "cached charts", chart_cache.show)
    guard.run = timed(spent, "script", guard.run)  # the whole run of dashboard.py, without compiling it

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    runs = []
    for index in range(args.runs + 1):
        spent.clear()
        if index == 0 and args.page != "app/pages/overview.py":
            at.run()
            at.switch_page(args.page)
            spent.clear()
        at.run()
        assert not at.exception, at.exception
        runs.append(dict(spent))
    shutil.rmtree(folder, ignore_errors=True)

    def split(run: dict) -> dict:
        page = run["script"] - run.get("before the page", 0)
        return {"script (whole run)": run["script"], "before the page": run.get("before the page", 0),
                "  of which the frame's read": run.get("cached reads (before the page)", 0),
                "cached reads": run.get("cached reads", 0), "cached charts": run.get("cached charts", 0),
                "layout (the rest of the page)": page - run.get("cached reads", 0) - run.get("cached charts", 0)}

    cold, warm = split(runs[0]), [split(r) for r in runs[1:]]
    print(f"{args.page} on {Path(args.db).name}: script time per run (s)")
    print(f"{'':32} {'cold':>8} {'warm (median of ' + str(args.runs) + ')':>22}")
    for key in cold:
        print(f"{key:32} {cold[key]:8.3f} {statistics.median(w[key] for w in warm):22.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
