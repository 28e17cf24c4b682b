"""Initiatives and their measured effect on adoption and contribution: a difference-in-differences against the
departments an initiative did not cover (docs/metrics.md#initiative-effect)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

import duckdb

from . import adoption, departments
from .imports.steering import STEERED_METRICS as METRICS
from .metrics import ALL, min_group_or_default, shift_month

DEFAULT_MONTHS = 3
NO_COMPARISON = "no comparison group: not an effect estimate"
WHOLE_ORGANISATION = "whole organisation"


@dataclass(frozen=True)
class Initiative:
    """Something the organisation started in `start` (and ended in `end`, if it did), for some departments (none:
    the whole organisation)."""

    name: str
    start: dt.date
    end: dt.date | None = None
    departments: tuple[str, ...] = ()
    note: str = ""

    @property
    def whole_organisation(self) -> bool:
        return not self.departments


@dataclass(frozen=True)
class Effect:
    """An initiative's estimated effect on one metric, or, without a comparison group, its before and after.

    Rates and differences are shares (0.015 is 1.5 points)."""

    name: str
    metric: str
    months: int
    effect: float | None
    ci90: tuple[float, float] | None
    covered: tuple[str, ...]
    others: int
    by_month: dict[int, float | None] = field(default_factory=dict)  # gap (covered − others) by month from start
    before: float | None = None  # mean rate of the covered departments (or the organisation), k months before
    after: float | None = None  # … and the k months from the start
    reason: str = ""  # why there is no effect estimate

    @property
    def includes_zero(self) -> bool:
        return self.ci90 is not None and self.ci90[0] <= 0 <= self.ci90[1]

    def as_json(self) -> dict:
        result = {"name": self.name, "metric": self.metric, "effect": self.effect,
                  "ci90": list(self.ci90) if self.ci90 else None, "covered": list(self.covered),
                  "others": self.others, "months": self.months,
                  "by_month": {str(k): v for k, v in sorted(self.by_month.items())},
                  "before": self.before, "after": self.after}
        if self.reason:
            result["reason"] = self.reason
        return result

    @property
    def sentence(self) -> str:
        """The estimate in one plain sentence, saying so when the interval includes zero."""
        what = self.metric
        if self.effect is None:
            if self.before is not None and self.after is not None:
                return (f"{what.capitalize()} went from {self.before:.0%} in the {self.months} months before to "
                        f"{self.after:.0%} in the {self.months} months from the start "
                        f"({NO_COMPARISON}).")
            return f"No estimate: {self.reason}."
        gained = (f"gained {self.effect * 100:.1f} points on" if self.effect >= 0
                  else f"lost {-self.effect * 100:.1f} points against")
        text = (f"In the {self.months} months from the start, {what} in the departments it covers {gained} the "
                f"{self.others} other department{'s' if self.others != 1 else ''}")
        if self.ci90 is None:
            return text + " (no interval: too few departments, or no spread between them)."
        interval = f"{self.ci90[0] * 100:+.1f} to {self.ci90[1] * 100:+.1f} points"
        if self.includes_zero:
            return (text + f", but the 90% interval ({interval}) includes zero: the difference could be chance.")
        return text + f" (90% interval: {interval})."


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def interval90(covered: list[float], others: list[float]) -> tuple[float, float] | None:
    """The 90% interval of mean(covered) − mean(others): Welch's t interval (statsmodels), or the pooled-variance
    one when a side has a single department; None with fewer than three departments in all."""
    if not covered or not others or len(covered) + len(others) < 3:
        return None
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    usevar = "unequal" if len(covered) >= 2 and len(others) >= 2 else "pooled"
    low, high = CompareMeans(DescrStatsW(covered), DescrStatsW(others)).tconfint_diff(alpha=0.10, usevar=usevar)
    if low != low or high != high:  # no spread at all on either side
        return None
    return float(low), float(high)


def estimate(initiative: Initiative, metric: str, rates: dict[str, dict[dt.date, float | None]],
             organisation: dict[dt.date, float | None], k: int = DEFAULT_MONTHS) -> Effect:
    """The effect from department rates (None where the department is below the minimum group size or the month
    has no data) and the organisation's rate, by month.

    A department takes part only with a rate in every one of the k months before the start and the k months from
    it, so the two sides compare the same months."""
    before_months = [shift_month(initiative.start, -i) for i in range(k, 0, -1)]
    after_months = [shift_month(initiative.start, i) for i in range(k)]
    window = before_months + after_months

    def change(series: dict[dt.date, float | None]) -> tuple[float | None, float | None]:
        return _mean(series.get(m) for m in before_months), _mean(series.get(m) for m in after_months)

    if initiative.whole_organisation:
        before, after = change(organisation)
        complete = all(organisation.get(m) is not None for m in window)
        reason = NO_COMPARISON if complete else (
            f"{NO_COMPARISON}, and the {k} months before and from the start are not all held")
        return Effect(initiative.name, metric, k, None, None, (), 0, {}, before if complete else None,
                      after if complete else None, reason)
    usable = {d: s for d, s in rates.items() if all(s.get(m) is not None for m in window)}
    chosen = set(initiative.departments)
    covered = sorted(d for d in usable if d in chosen)
    others = sorted(d for d in usable if d not in chosen)
    if not covered:
        reason = (f"none of the departments it covers has a {metric} rate in each of the {k} months "
                  f"before and from {initiative.start:%B %Y} (months not held yet, or departments below the "
                  "minimum group size)")
        return Effect(initiative.name, metric, k, None, None, (), len(others), reason=reason)
    if not others:
        return Effect(initiative.name, metric, k, None, None, tuple(covered), 0,
                      reason=f"{NO_COMPARISON}: no other department has a rate in each of those months")
    changes = {d: change(usable[d]) for d in usable}
    covered_changes = [changes[d][1] - changes[d][0] for d in covered]
    other_changes = [changes[d][1] - changes[d][0] for d in others]
    effect = sum(covered_changes) / len(covered_changes) - sum(other_changes) / len(other_changes)
    by_month = {}
    for offset, month in zip(range(-k, k), window):
        by_month[offset] = (_mean(usable[d][month] for d in covered) - _mean(usable[d][month] for d in others))
    return Effect(initiative.name, metric, k, effect, interval90(covered_changes, other_changes), tuple(covered),
                  len(others), by_month, _mean(changes[d][0] for d in covered), _mean(changes[d][1] for d in covered))


def initiative_csv(initiative: Initiative) -> bytes:
    """An initiatives.csv of one initiative (docs/formats.md#initiatives): what the Data page's form uploads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "start", "end", "departments", "note"])
    writer.writerow([initiative.name, f"{initiative.start:%Y-%m}", f"{initiative.end:%Y-%m}" if initiative.end else "",
                     ";".join(initiative.departments), initiative.note])
    return out.getvalue().encode("utf-8")


def record(location: str | None, initiative: Initiative, *, actor, who: str | None = None):
    """Record an initiative from the Data page's form, through the same import path as a file (the ledger shows it,
    undo takes it back)."""
    from . import uploads

    return uploads.import_file("initiative.csv", initiative_csv(initiative), location=location, kind="initiatives",
                               actor=actor, who=who)


def held(conn: duckdb.DuckDBPyConnection) -> list[Initiative]:
    """The initiatives in force (live uploads), by start month then name, with their departments as named today
    (docs/metrics.md#departments-as-organised-today): an initiative keeps covering a department renamed since."""
    rows = conn.execute("SELECT name, month, end_month, departments, note FROM live_initiatives "
                        "ORDER BY month, name").fetchall()
    return [Initiative(name, start, end, departments.named_today(conn, tuple(covered or ()), start), note or "")
            for name, start, end, covered, note in rows]


def covers(initiative: Initiative) -> str:
    """The departments an initiative covers, as every page and the brief word them."""
    return ", ".join(initiative.departments) if initiative.departments else WHOLE_ORGANISATION


def effect(conn: duckdb.DuckDBPyConnection, initiative: Initiative, metric: str = "adoption",
           k: int = DEFAULT_MONTHS, min_group: int | None = None, until: dt.date | None = None) -> Effect:
    """The initiative's effect on `metric` (adoption or contribution), from the scoped, suppressed department
    rates, departments as organised today; months after `until` (the page's as-of month) are not used."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: choose {' or '.join(METRICS)}")
    if k < 1:
        raise ValueError("the months compared must be at least 1")
    first, last = shift_month(initiative.start, -k), shift_month(initiative.start, k - 1)
    if until is not None:
        last = min(last, until)
    min_group = min_group_or_default(min_group)
    column = METRICS[metric]
    rates: dict[str, dict[dt.date, float | None]] = {}
    for row in adoption.by_dimension(conn, "department", first, last, ALL, min_group):
        if row["group"] is not None:
            rates.setdefault(row["group"], {})[row["month"]] = row[column]
    from . import metrics

    organisation = {r["month"]: r[column] for r in metrics.org_months(conn, first, last, ALL, min_group)}
    return estimate(initiative, metric, rates, organisation, k)


def find(conn: duckdb.DuckDBPyConnection, name: str) -> Initiative | None:
    """The initiative of that exact name, else the one initiative whose name matches it ignoring case (None when
    several do: the name must then be given exactly)."""
    initiatives = held(conn)
    exact = [i for i in initiatives if i.name == name.strip()]
    loose = [i for i in initiatives if i.name.casefold() == name.strip().casefold()]
    return exact[0] if exact else loose[0] if len(loose) == 1 else None

