"""Benchmark (not a test): the Communities page's data for an organisation with many communities.

    python bench/communities.py [--communities 5000] [--months 13] [--runs 5]

It loads a throwaway warehouse with that many synthetic Slack channels for each month (canonical communities.csv
rows), then times, in one run, the community family's read with every month in detail against the page's read (the
months before its own as counts per status), and the whole view model. Medians; compare the figures as ratios.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DASHBOARD_PEPPER", "bench-pepper")

from queries import communities, metrics, uploads, views, warehouse  # noqa: E402


def median_ms(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--communities", type=int, default=5000)
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    random.seed(1)
    with tempfile.TemporaryDirectory() as folder:
        location = str(Path(folder) / "communities.duckdb")
        for index in range(args.months):
            year, month = divmod(2025 * 12 + index, 12)
            label = f"{year}-{month + 1:02d}"
            rows = "".join(f"{label},channel-{i},slack,{random.randint(5, 300)},{random.choice([0, 0, 1, 3, 8])},"
                           f"{random.randint(0, 500)},{random.randint(0, 50)}\n" for i in range(args.communities))
            uploads.import_file(f"communities-{label}.csv",
                                ("month,community,tool,members,posts,reads,reactions\n" + rows).encode(),
                                location=location)
        with warehouse.opened(location) as conn:
            scope = views.scope_for(metrics.months(conn))
            first = min(scope.trailing(12), scope.compare_to)
            detail = median_ms(lambda: communities.by_month(conn, first, scope.month, None, scope.min_group),
                               args.runs)
            counted = median_ms(lambda: communities.by_month(conn, first, scope.month, None, scope.min_group,
                                                             detail_from=scope.month), args.runs)
            view = median_ms(lambda: views.communities_view(conn, scope), args.runs)
        warehouse.forget(location)
    print(f"{args.communities:,} communities x {args.months} months, median of {args.runs} runs:")
    print(f"  family, every month in detail        {detail:7.1f} ms")
    print(f"  family, earlier months as counts     {counted:7.1f} ms  ({counted / detail:.2f}x)")
    print(f"  the Communities view model           {view:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
