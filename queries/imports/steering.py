"""Checks an initiatives.csv or targets.csv needs beyond its cells (docs/formats.md#initiatives,
docs/formats.md#targets): an initiative ends after it starts, and a target names a metric the dashboard forecasts,
as a share it can reach."""
from __future__ import annotations

from .reading import ImportRefused

# The metrics with a forecast, an initiative effect and targets, by name and headline-metric key
# (docs/metrics.md#steering).
STEERED_METRICS = {"adoption": "adoption_rate", "contribution": "contribution_rate"}


def refuse_unclear(conn, file_name: str, kind: str) -> None:
    if kind == "initiatives":
        row = conn.execute("SELECT row_index FROM canonical WHERE end_month < month ORDER BY 1 LIMIT 1").fetchone()
        if row:
            raise ImportRefused(f'{file_name}: row {row[0] + 2} ends before it starts. Write the end month on or '
                                'after the start month, or leave "end" blank for an initiative still running.')
        return
    unknown = conn.execute(
        "SELECT row_index FROM canonical WHERE NOT list_contains(?, metric) ORDER BY 1 LIMIT 1",
        [list(STEERED_METRICS)]).fetchone()
    if unknown:
        raise ImportRefused(f'{file_name}: row {unknown[0] + 2}, column "metric" is not a metric with a forecast; '
                            f"write {' or '.join(STEERED_METRICS)}.")
    beyond = conn.execute("SELECT row_index FROM canonical WHERE value IS NULL OR value NOT BETWEEN 0 AND 1 "
                          "ORDER BY 1 LIMIT 1").fetchone()
    if beyond:
        raise ImportRefused(f'{file_name}: row {beyond[0] + 2}, column "value" is not a share between 0% and 100%; '
                            "write it as 60% or 0.6.")
