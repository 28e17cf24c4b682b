"""What each page reads: the queries-module calls a page makes through shell.read, in one place for the benchmark.

Mirrors pages/*.py and the shared sidebar in pages/shell.py. When a page starts reading something new, add it here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from queries import adoption, alignment, checklist, coe, metrics, rubric, stages, uploads


@dataclass(frozen=True)
class Scope:
    """The sidebar's selection the benchmark uses: the latest month against the previous one, no filters."""

    month: dt.date
    compare_to: dt.date
    months: tuple
    filters: metrics.Filters = metrics.ALL

    def trailing(self, count: int = 12) -> dt.date:
        earlier = [m for m in self.months if m <= self.month][-count:]
        return earlier[0] if earlier else self.month

    def has(self, month: dt.date) -> bool:
        return month in self.months


def scope_of(conn) -> Scope:
    months = tuple(metrics.months(conn))
    month = months[-1]
    return Scope(month, metrics.previous_month(month), months)


# Every page runs the shared sidebar first (pages/shell.py sidebar_filters).
SIDEBAR = "sidebar: months, latest_refresh, filter_options"


def _sidebar(s: Scope):
    return [(metrics.months, ()), (uploads.latest_refresh, ()), (metrics.filter_options, ())]


def _overview(s: Scope, rules, min_group):
    return _sidebar(s) + [
        (uploads.ledger, ()),  # the demo-data notice
        (metrics.org_month, (s.month, s.filters)),
        *([(metrics.org_month, (s.compare_to, s.filters))] if s.has(s.compare_to) else []),
        (adoption.by_dimension, ("department", s.month, s.month, s.filters, min_group)),
        (metrics.month_status, (s.month,)),
        (stages.evaluate, (s.month, rules)),
        (metrics.org_months, (s.trailing(12), s.month, s.filters)),
        (adoption.movers, (s.month, s.compare_to, s.filters, min_group)),
    ]


def _adoption(s: Scope, rules, min_group):
    return _sidebar(s) + [
        (metrics.org_month, (s.month, s.filters)),
        *([(metrics.org_month, (s.compare_to, s.filters))] if s.has(s.compare_to) else []),
        (adoption.by_dimension, ("department", s.month, s.month, s.filters, min_group)),
        (metrics.org_months, (s.trailing(24), s.month, s.filters)),
        (adoption.by_dimension, ("department", s.trailing(12), s.month, s.filters, min_group)),
        (adoption.by_dimension, ("region", s.month, s.month, s.filters, min_group)),
        (adoption.by_dimension, ("level", s.month, s.month, s.filters, min_group)),
        (adoption.by_tool, (s.month, s.filters, min_group)),
    ]


def _coe(s: Scope, rules, min_group):
    return _sidebar(s) + [
        (metrics.org_month, (s.month, s.filters)),
        *([(metrics.org_month, (s.compare_to, s.filters))] if s.has(s.compare_to) else []),
        (metrics.month_status, (s.month,)),
        (coe.departments, (s.month, s.filters, min_group)),
        (coe.lift, (s.month, s.filters, min_group)),
        (coe.champion_content_share, (s.month, s.filters, min_group)),
        (metrics.org_months, (s.trailing(12), s.month, s.filters)),
    ]


def _alignment(s: Scope, rules, min_group):
    return _sidebar(s) + [
        (alignment.scorecard, (s.month,)),
        (alignment.department_points, (s.month, min_group)),
        (alignment.correlations, (s.month, min_group)),
        (alignment.kpi_trend, (s.trailing(12), s.month)),
    ]


def _stages(s: Scope, rules, min_group):
    return _sidebar(s) + [
        (uploads.ledger, ()),  # the demo-data notice
        (stages.standing, (s.months[0], s.month, rules)),  # the placement and the history chart
        (checklist.answers_as_of, (s.month,)),
    ]


def _data(s: Scope, rules, min_group):
    return _sidebar(s) + [(uploads.ledger, ()), (uploads.events, ())]


# page -> (URL path, the calls it makes for a scope)
PAGES = {
    "overview": ("/", _overview),
    "adoption": ("/adoption", _adoption),
    "coe": ("/coe", _coe),
    "alignment": ("/alignment", _alignment),
    "stages": ("/stages", _stages),
    "data": ("/data", _data),
}


def calls(page: str, s: Scope):
    """The (function, args) a page runs for a scope, with the rubric and minimum group size the app uses."""
    rules = stages.load()
    return PAGES[page][1](s, rules, rubric.min_group_size())


def run_page(conn, page: str, s: Scope) -> list:
    """Run every call of a page on one connection; returns the results (for cross-checks)."""
    return [func(conn, *args) for func, args in calls(page, s)]


def describe() -> list[tuple[str, str]]:
    """(page, the calls it makes) for RESULTS.md."""
    sample = Scope(dt.date(2026, 10, 1), dt.date(2026, 9, 1), (dt.date(2026, 9, 1), dt.date(2026, 10, 1)))
    rows = []
    for page in PAGES:
        names = []
        for func, _args in calls(page, sample):
            name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"
            if func in (metrics.months, uploads.latest_refresh, metrics.filter_options):
                continue
            if _args and isinstance(_args[0], str):
                name += f"({_args[0]})"
            names.append(name)
        rows.append((page, f"{SIDEBAR}; " + ", ".join(names)))
    return rows
