"""Benchmark (not a test): does the forecasts' 80% interval hold 80% of what happens next (docs/metrics.md#forecasts)?

    python bench/forecast_backtest.py [--histories 300] [--seed 7]

Each synthetic history is an adoption curve as organisations show them: an S-shaped climb toward a ceiling (its
pace, midpoint and ceiling drawn at random, so some histories are early on the curve and some have levelled off),
plus a slow random drift and month-to-month noise, for 6 to 30 months (6 is the least the pages forecast from). The last 6 months are held out; the forecast
from the months before them (queries.forecasts.forecast, as the pages and the CLI call it) gives an 80% interval
for each. The share of held-out months inside their interval should lie between 70% and 90%. The results go to
bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from queries import forecasts, metrics  # noqa: E402

MARKERS = ("<!-- forecast:start -->", "<!-- forecast:end -->")
HELD_OUT = 6
LENGTHS = {"6–11 months": (6, 11), "12–23 months": (12, 23), "24–30 months": (24, 30)}


def history(rng: np.random.Generator, months: int) -> list[float]:
    pace, midpoint, ceiling = rng.uniform(0.05, 0.4), rng.uniform(-6, 30), rng.uniform(0.4, 0.9)
    t = np.arange(months)
    curve = ceiling / (1 + np.exp(-pace * (t - midpoint)))
    drift = np.cumsum(rng.normal(0, rng.uniform(0.002, 0.015), months))
    noise = rng.normal(0, rng.uniform(0.003, 0.02), months)
    return list(np.clip(curve + drift + noise, 0, 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--histories", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    inside = total = 0
    by_step = [[0, 0] for _ in range(HELD_OUT)]
    by_length = {bucket: [0, 0] for bucket in LENGTHS}
    started = time.perf_counter()
    for _ in range(args.histories):
        length = int(rng.integers(6, 31))
        values = history(rng, length + HELD_OUT)
        months = [metrics.shift_month(dt.date(2024, 1, 1), i) for i in range(length)]
        result = forecasts.forecast(list(zip(months, values[:length])), HELD_OUT)
        for step, (point, actual) in enumerate(zip(result.points, values[length:])):
            hit = point.lo80 <= actual <= point.hi80
            inside += hit
            total += 1
            by_step[step][0] += hit
            by_step[step][1] += 1
            bucket = next(b for b, (low, high) in LENGTHS.items() if low <= length <= high)
            by_length[bucket][0] += hit
            by_length[bucket][1] += 1
    seconds = time.perf_counter() - started
    share = inside / total
    verdict = "within 70–90%" if 0.7 <= share <= 0.9 else "OUTSIDE 70–90%"
    lines = [
        MARKERS[0],
        "## Forecast intervals, back-tested (bench/forecast_backtest.py)",
        "",
        f"Command: `python bench/forecast_backtest.py --histories {args.histories} --seed {args.seed}`, run "
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on this 2-core machine.",
        "",
        f"{args.histories} synthetic adoption histories of 6–30 months (S-shaped climbs toward a random ceiling, "
        f"with drift and noise); the last {HELD_OUT} months of each held out and forecast from the months before.",
        "",
        f"**{inside} of {total} held-out months ({share:.1%}) fell inside their 80% interval: {verdict}.** "
        f"{seconds / args.histories * 1000:.0f} ms per forecast.",
        "",
        "| months ahead | inside the 80% interval |",
        "| ---: | ---: |",
        *(f"| {step + 1} | {hits / count:.0%} |" for step, (hits, count) in enumerate(by_step)),
        "",
        "| history | held-out months | inside the 80% interval |",
        "| --- | ---: | ---: |",
        *(f"| {bucket} | {count} | {hits / count:.0%} |" for bucket, (hits, count) in by_length.items() if count),
        MARKERS[1],
    ]
    text = "\n".join(lines)
    print(text)
    results = BENCH / "RESULTS.md"
    current = results.read_text()
    if MARKERS[0] in current:
        before, rest = current.split(MARKERS[0], 1)
        current = before + text + rest.split(MARKERS[1], 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    results.write_text(current)
    return 0 if 0.7 <= share <= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
