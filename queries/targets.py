"""Targets for adoption and contribution, and whether the forecast meets them (docs/metrics.md#targets)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import duckdb

from . import departments, forecasts, metrics


@dataclass(frozen=True)
class Target:
    metric: str  # adoption or contribution
    value: float  # a share
    by: dt.date
    department: str | None = None  # None: the whole organisation

    @property
    def label(self) -> str:
        where = f" in {self.department}" if self.department else ""
        return f"{self.metric.capitalize()} {self.value:.0%}{where} by {self.by:%B %Y}"


@dataclass(frozen=True)
class Progress:
    """Where a target stands: the latest rate, the forecast at the target month and the chance of meeting it."""

    target: Target
    month: dt.date | None  # the latest month with a rate
    current: float | None
    forecast: forecasts.Point | None  # None: no forecast (see reason), or the month is beyond the forecast
    chance: float | None
    reason: str = ""
    passed: bool = False  # the target month is held: judged on its figure (`at_target_month`), not a forecast
    at_target_month: float | None = None

    @property
    def met(self) -> bool:
        value = self.at_target_month if self.passed else self.current
        return value is not None and value >= self.target.value

    @property
    def on_course(self) -> bool | None:
        """Whether the forecast's point reaches the target by its month (None: no forecast to say)."""
        if self.met:
            return True
        return None if self.forecast is None else self.forecast.value >= self.target.value

    @property
    def sentence(self) -> str:
        target = self.target
        if self.current is None:
            return f"{target.label}: no {target.metric} figure to compare yet."
        now = f"{self.current:.0%} in {self.month:%B %Y}"
        if self.passed:
            if self.at_target_month is None:
                return f"{target.label}: no figure for {target.by:%B %Y} ({now})."
            then = f"{self.at_target_month:.0%} in {target.by:%B %Y}"
            return f"{target.label}: {'met' if self.met else 'missed'}, {then}" + (
                f" ({now})." if self.month != target.by else ".")
        if self.met:
            return f"{target.label}: met ({now})."
        if self.forecast is None:
            return f"{target.label}: {now}; {self.reason}."
        course = "on course" if self.on_course else "off course"
        return (f"{target.label}: {now}, {course}: the forecast for {target.by:%B %Y} is {self.forecast.value:.0%} "
                f"(80%: {self.forecast.lo80:.0%}–{self.forecast.hi80:.0%}), a {self.chance:.0%} chance of "
                "reaching it.")


def target_csv(target: Target) -> bytes:
    """A targets.csv of one target (docs/formats.md#targets): what the Data page's form uploads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value", "by", "department"])
    writer.writerow([target.metric, f"{target.value:.4g}", f"{target.by:%Y-%m}", target.department or ""])
    return out.getvalue().encode("utf-8")


def record(location: str | None, target: Target, *, actor, who: str | None = None):
    """Set a target from the Data page's form, through the same import path as a file (admins only)."""
    from . import uploads

    return uploads.import_file("target.csv", target_csv(target), location=location, kind="targets", actor=actor,
                               who=who)


def scope_of(target: Target) -> metrics.Filters:
    return metrics.Filters(departments=(target.department,)) if target.department else metrics.ALL


def held(conn: duckdb.DuckDBPyConnection) -> list[Target]:
    """The targets in force (live uploads), by month, metric and department, each department as named today
    (docs/metrics.md#departments-as-organised-today): a target follows its department through a rename."""
    rows = conn.execute("SELECT metric, value, month, department FROM live_targets "
                        "ORDER BY month, metric, department NULLS FIRST").fetchall()
    today = tuple(metrics.filter_options(conn).departments) if any(r[3] for r in rows) else ()
    return [Target(metric, value, by, departments.name_today(conn, department, today) if department else None)
            for metric, value, by, department in rows]


def progress(conn: duckdb.DuckDBPyConnection, target: Target, min_group: int | None = None,
             until: dt.date | None = None) -> Progress:
    """The target against the latest figure (up to `until`, the as-of month) and the forecast of its scope (the
    organisation, or its department as organised today); a department below the minimum group size has no figure."""
    series = forecasts.history(conn, target.metric, scope_of(target), min_group, until)
    latest = next(((m, v) for m, v in reversed(series) if v is not None), (None, None))
    if not series or latest[1] is None:
        return Progress(target, None, None, None, None, "no figure yet")
    last_month = series[-1][0]
    ahead = forecasts.months_between(last_month, target.by)
    if ahead <= 0:
        return Progress(target, latest[0], latest[1], None, None, passed=True,
                        at_target_month=dict(series).get(target.by))
    prediction = forecasts.forecast(series, ahead)
    if not prediction.points:
        return Progress(target, latest[0], latest[1], None, None, prediction.reason)
    point = prediction.at(target.by)
    return Progress(target, latest[0], latest[1], point, forecasts.chance_of_reaching(point, target.value))
