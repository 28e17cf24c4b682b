"""Forecasts of a monthly rate with an 80% prediction interval, and the chance of reaching a target
(docs/metrics.md#forecasts)."""
from __future__ import annotations

import datetime as dt
import functools
import math
import warnings
from dataclasses import dataclass

from . import metrics
from .imports.steering import STEERED_METRICS as METRICS
from .metrics import shift_month

MIN_HISTORY = 6  # months with a value; fewer and no forecast is drawn
HORIZON = 24  # months every history is forecast for, once; a shorter forecast is the start of it
LEVEL = 0.8
# Rates are modelled on the logit scale, where an S-shaped adoption curve grows in a straight line and every
# interval maps back inside 0–100%. A rate of exactly 0 or 1 is moved this far inside first.
_EDGE = 0.005


@dataclass(frozen=True)
class Point:
    month: dt.date
    value: float
    lo80: float
    hi80: float
    sd: float  # the forecast's standard deviation on the logit scale, for the chance of reaching a target


@dataclass(frozen=True)
class Forecast:
    """A forecast of the months after the last one held, or the reason there is none."""

    points: tuple[Point, ...]
    reason: str = ""

    def at(self, month: dt.date) -> Point | None:
        return next((p for p in self.points if p.month == month), None)


def months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _logit(value: float) -> float:
    value = min(max(value, _EDGE), 1 - _EDGE)
    return math.log(value / (1 - value))


def _expit(value: float) -> float:
    return 1 / (1 + math.exp(-value))


def forecast(history: list[tuple[dt.date, float | None]], months: int = 6) -> Forecast:
    """`months` months after the last month of `history` (a rate between 0 and 1 per month, None for no data).

    A local linear trend model (statsmodels' structural time series) fitted to the logit of the rate, from the
    first month with a value to the last; a month without a value inside that span is treated as missing. The
    interval is the model's 80% prediction interval mapped back to a rate. No forecast without at least
    MIN_HISTORY months with a value, or when the last month has none.
    """
    whole = _forecast(tuple(history), max(months, HORIZON))
    return Forecast(whole.points[:months], whole.reason)


@functools.lru_cache(maxsize=512)
def _forecast(history: tuple, months: int) -> Forecast:
    """forecast(), fitted once per history: every page and session of one data version asks for the same few (the
    result depends on the history given alone, never on the warehouse)."""
    held = [(m, v) for m, v in history if v is not None]
    if not history or history[-1][1] is None:
        return Forecast((), "no forecast: the latest month has no value")
    if len(held) < MIN_HISTORY:
        return Forecast((), f"no forecast: it needs at least {MIN_HISTORY} months of history, and there "
                            f"{'is' if len(held) == 1 else 'are'} {len(held)}")
    import numpy as np
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    first = held[0][0]
    span = months_between(first, history[-1][0]) + 1
    values = dict(held)
    series = np.array([_logit(values[shift_month(first, i)]) if shift_month(first, i) in values else np.nan
                       for i in range(span)])
    with warnings.catch_warnings():  # convergence chatter on short series; the interval carries the uncertainty
        warnings.simplefilter("ignore")
        fitted = UnobservedComponents(series, level="local linear trend").fit(disp=False)
        ahead = fitted.get_forecast(months)
    mean = ahead.predicted_mean
    bounds = ahead.conf_int(alpha=1 - LEVEL)
    sd = np.sqrt(ahead.var_pred_mean)
    last = history[-1][0]
    return Forecast(tuple(
        Point(shift_month(last, i + 1), _expit(mean[i]), _expit(bounds[i][0]), _expit(bounds[i][1]), float(sd[i]))
        for i in range(months)))


def chance_of_reaching(point: Point, target: float, higher_is_better: bool = True) -> float:
    """The forecast's probability that the month's rate is at or beyond `target` (normal on the logit scale)."""
    if point.sd <= 0:
        reached = point.value >= target if higher_is_better else point.value <= target
        return 1.0 if reached else 0.0
    z = (_logit(target) - _logit(point.value)) / point.sd
    below = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return 1 - below if higher_is_better else below


@dataclass(frozen=True)
class Reach:
    """When a forecast first reaches a threshold: the point forecast's month and the 80% range around it (the
    months in which the upper and the lower bound first reach it). None: not within the forecast's months."""

    month: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    horizon: dt.date | None  # the last month forecast

    @property
    def text(self) -> str:
        if self.earliest is None:
            return (f"not reached by {self.horizon:%B %Y} on the current course" if self.horizon
                    else "no forecast")
        if self.latest is None:
            span = f"{self.earliest:%B %Y} or after {self.horizon:%B %Y}"
        elif self.latest.year == self.earliest.year:
            span = f"{self.earliest:%B}–{self.latest:%B %Y}" if self.latest != self.earliest else f"{self.latest:%B %Y}"
        else:
            span = f"{self.earliest:%B %Y}–{self.latest:%B %Y}"
        if self.month is None:
            return f"not reached by {self.horizon:%B %Y} on the current course (80%: from {self.earliest:%B %Y})"
        return f"reached by {self.month:%B %Y} (80%: {span})"


def reach(prediction: Forecast, threshold: float, higher_is_better: bool = True) -> Reach:
    def first(bound) -> dt.date | None:
        for point in prediction.points:
            value = bound(point)
            if (value >= threshold) if higher_is_better else (value <= threshold):
                return point.month
        return None

    horizon = prediction.points[-1].month if prediction.points else None
    optimistic = (lambda p: p.hi80) if higher_is_better else (lambda p: p.lo80)
    pessimistic = (lambda p: p.lo80) if higher_is_better else (lambda p: p.hi80)
    return Reach(first(lambda p: p.value), first(optimistic), first(pessimistic), horizon)


def history(conn, metric: str, filters=None, min_group: int | None = None,
            until: dt.date | None = None) -> list[tuple[dt.date, float | None]]:
    """Every month held (up to `until`, the as-of month, if given), with the metric's rate for the scope (None: no
    data, or withheld as too small)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: choose {' or '.join(METRICS)}")
    held = [m for m in metrics.months(conn) if until is None or m <= until]
    if not held:
        return []
    rows = metrics.org_months(conn, held[0], held[-1], filters or metrics.ALL, min_group)
    return [(row["month"], row[METRICS[metric]]) for row in rows]


def of_metric(conn, metric: str, months: int = 6, filters=None, min_group: int | None = None,
              until: dt.date | None = None) -> Forecast:
    """The forecast of adoption or contribution for the scope, from every month held up to `until`."""
    return forecast(history(conn, metric, filters, min_group, until), months)


def of_rows(rows: list[dict], metric: str, months: int = 6) -> Forecast:
    """`of_metric` from the scope's metrics.org_months rows of every month held up to the as-of month, already read
    by the caller (the Overview reads them once for its tiles, trend and both forecasts)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: choose {' or '.join(METRICS)}")
    return forecast([(row["month"], row[METRICS[metric]]) for row in rows], months)
