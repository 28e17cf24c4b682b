"""What every page's view model shares: the scope, tiles, charts, tables, the page frame and common sentences."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Callable

import duckdb
import pandas as pd

from .. import departments, imports, initiatives, metrics, rubric, uploads
from ..formats import difference, percent, points, signed, user
from ..metrics import Filters

COMPARISONS = {"previous": "previous month", "year": "same month last year"}
TOOL_NAMES = {"viva-engage": "Viva Engage", "teams": "Teams", "slack": "Slack"}


@dataclass(frozen=True)
class Scope:
    """What the sidebar selects: the as-of month, the month compared with, the org/tool filters, the months held,
    and the minimum group size and CoE-pitfall share in force (the rubric's settings: queries/rubric.py)."""

    month: dt.date
    compare_to: dt.date
    comparison: str
    filters: Filters
    months: tuple
    min_group: int
    pitfall_share: float
    # The departments (as named today) a scoped viewer may see; None for the whole organisation. The filters'
    # departments are always within them (scope_for), and the models leave out whole-organisation figures but the
    # labelled comparison line (docs/deploy.md#department-scoped-viewers).
    limited_to: tuple[str, ...] | None = None

    @property
    def compare_label(self) -> str:
        return "last month" if self.comparison == "previous" else "a year earlier"

    def trailing(self, months: int = 12) -> dt.date:
        earlier = [m for m in self.months if m <= self.month][-months:]
        return earlier[0] if earlier else self.month

    def has(self, month: dt.date) -> bool:
        return month in self.months


def scope_for(months, month=None, comparison: str = "previous", filters: Filters = metrics.ALL,
              min_group: int | None = None, limited_to: tuple[str, ...] | None = None) -> Scope:
    """The scope of a month among the months held (the latest by default), as the sidebar would select it.
    `limited_to`: a scoped viewer's departments (access.Grant): the filters' departments are narrowed to them (all
    of them when none of those chosen is theirs), always as organised today, which is how a scope names them."""
    if limited_to is not None:
        if not limited_to:
            raise ValueError("a scoped viewer needs at least one department")
        limited_to = tuple(limited_to)
        chosen = tuple(d for d in filters.departments if d in limited_to) or limited_to
        filters = replace(filters, departments=chosen, as_then=False)
    months = tuple(months)
    month = metrics.as_month(month) if month else months[-1]
    compare_to = (metrics.previous_month(month) if comparison == "previous"
                  else month.replace(year=month.year - 1))
    return Scope(month, compare_to, comparison, filters, months, metrics.min_group_or_default(min_group),
                 rubric.pitfall_share(), limited_to)


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    delta_color: str = "normal"
    reference: str | None = None  # the "vs reference" note under it (data/benchmarks.toml)
    reference_help: str | None = None  # what the reference is, in full: the note's tooltip


@dataclass(frozen=True)
class Chart:
    """A chart builder of queries/charts.py and its inputs: pages draw it from a cached spec, the brief as a PNG."""

    builder: Callable
    args: tuple
    kwargs: dict = field(default_factory=dict)

    def build(self):
        return self.builder(*self.args, **self.kwargs)


@dataclass(frozen=True)
class Table:
    """A table as shown, and the file name its download takes (the download holds exactly these rows)."""

    frame: pd.DataFrame
    name: str


def withheld_reason(min_group: int) -> str:
    return (f"The filters select fewer than {min_group} people, so no figures about them are shown. "
            "Widen the filters.")


def withheld_for(conn, scope: Scope, now: dict) -> str | None:
    """Why the scope shows no figures: too few people, or (with filters) nobody on the month's roster. `now` is
    the month's headline metrics, already read by the caller."""
    if metrics.withheld_months(conn, scope.month, scope.month, scope.filters, scope.min_group):
        return withheld_reason(scope.min_group)
    filtered = scope.filters.departments or scope.filters.regions or scope.filters.units
    if filtered and now["headcount"] is None:
        status = metrics.month_status(conn, scope.month)
        if status and status["roster_month"]:
            return f"The filters select nobody on the {status['roster_month']:%B %Y} roster. Widen the filters."
    return None


def _month_list(months) -> str:
    names = [f"{m:%B %Y}" for m in sorted(months)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def contribution_notes(conn, from_month: dt.date, to_month: dt.date, tool: str | None = None) -> list[str]:
    """One sentence per tool whose activity in the months shown reports no posts or replies (the older Teams
    export): its contribution is no data there, and contribution for all tools counts the other tools only, or is
    no data when no tool reports them (docs/metrics.md#contribution-data)."""
    gaps = [g for g in metrics.contribution_gaps(conn, from_month, to_month) if tool is None or g["tool"] == tool]
    notes = []
    for name in sorted({g["tool"] for g in gaps}):
        rows = [g for g in gaps if g["tool"] == name]
        label = TOOL_NAMES.get(name) or user(name)
        source = "the older Teams export (before March 2022)" if name == "teams" else "the activity uploaded"
        sentence = (f"{label} posts and replies are not in {source}, so {label} contribution for "
                    f"{_month_list(r['month'] for r in rows)} is no data")
        if tool is None:
            partial = [r["month"] for r in rows if r["others_hold"]]
            alone = [r["month"] for r in rows if not r["others_hold"]]
            parts = []
            if partial:
                parts.append("counts the other tools only" + (f" in {_month_list(partial)}" if alone else ""))
            if alone:
                parts.append("is no data" + (f" in {_month_list(alone)}" if partial else ""))
            sentence += ", and contribution for all tools " + " and ".join(parts)
        notes.append(sentence + ".")
    return notes


def rate_delta(now: dict, before: dict, key: str) -> str | None:
    return points(difference(now.get(key), before.get(key)))


def count_delta(now: dict, before: dict, key: str) -> str | None:
    return signed(difference(now.get(key), before.get(key)), 0)


def whole_organisation(conn, scope: Scope) -> str | None:
    """A scoped viewer's one labelled line of the whole organisation's figures to compare with, e.g. "Whole
    organisation, May 2026: adoption 64% · contribution 31% · CoE reach 40%"; None for anyone else. The filters do
    not apply to it but the tool, and the minimum group size does (docs/deploy.md#department-scoped-viewers)."""
    if scope.limited_to is None:
        return None
    tool = scope.filters.tool
    whole = metrics.org_month(conn, scope.month, Filters(tool=tool), scope.min_group)
    figures = " · ".join(f"{name} {percent(whole[key])}" for name, key in (
        ("adoption", "adoption_rate"), ("contribution", "contribution_rate"), ("CoE reach", "champion_coverage"))
        if whole.get(key) is not None)
    return (f"Whole organisation, {scope.month:%B %Y}" + (f" ({TOOL_NAMES.get(tool, user(tool))})" if tool else "")
            + ": " + (figures or "no figures for this month") + ".")


def departments_today(conn, named: tuple[str, ...]) -> tuple[str, ...]:
    """A scope's departments under today's names: a department named in the [access] settings that has been renamed
    since is the department it became (docs/metrics.md#departments-as-organised-today)."""
    today = tuple(metrics.filter_options(conn).departments)
    found: list[str] = []
    for name in named:
        current = departments.name_today(conn, name, today)
        if current not in found:
            found.append(current)
    return tuple(found)


def compared(conn, scope: Scope) -> tuple[dict, dict]:
    now = metrics.org_month(conn, scope.month, scope.filters, scope.min_group)
    before = (metrics.org_month(conn, scope.compare_to, scope.filters, scope.min_group)
              if scope.has(scope.compare_to) else {})
    return now, before


def compared_in(rows: list[dict], scope: Scope) -> tuple[dict, dict]:
    """What `compared` gives, from the scope's metrics.org_months rows of a range holding both months."""
    by_month = {row["month"]: row for row in rows}

    def headline(month) -> dict:
        return {key: by_month.get(month, {}).get(key) for key in metrics.METRIC_KEYS}

    return headline(scope.month), (headline(scope.compare_to) if scope.has(scope.compare_to) else {})


@dataclass(frozen=True)
class Frame:
    """What every page's frame needs: the months held, the filter options, the last refresh and whether the data
    held is only the demo organisation."""

    months: tuple
    options: metrics.FilterOptions
    refreshed: dt.datetime | None
    demo_only: bool


def frame(conn: duckdb.DuckDBPyConnection, as_then: bool = False) -> Frame:
    """The frame, with the departments to choose from as organised today, or then with `as_then`."""
    # Initiatives and targets recorded on demo data leave every figure the demo's
    active = [r for r in uploads.ledger(conn) if r["status"] != "undone" and r["kind"] not in imports.STEERING_KINDS]
    return Frame(tuple(metrics.months(conn)), metrics.filter_options(conn, as_then), uploads.latest_refresh(conn),
                 bool(active) and all(r["uploaded_by"] == "demo" for r in active))


def held_initiatives(conn, scope: Scope) -> list:
    """The initiatives as the viewer may see them: a scoped viewer sees, of the departments an initiative covers,
    only theirs, and the rest as "other departments" (docs/deploy.md#department-scoped-viewers)."""
    held = initiatives.held(conn)
    if scope.limited_to is None:
        return held
    shown = []
    for initiative in held:
        mine = tuple(d for d in initiative.departments if d in scope.limited_to)
        if len(mine) < len(initiative.departments):
            mine += ("other departments",)
        shown.append(replace(initiative, departments=mine))
    return shown


def initiative_marks(held: list, months) -> tuple[dict, ...]:
    """The initiatives (`held`: initiatives.held) that start within a trend's months, as every monthly trend draws
    them (charts.monthly): one read of the initiatives per page, however many trends it has."""
    months = [m for m in months if m is not None]
    if not months:
        return ()
    first, last = min(months), max(months)
    return tuple({"month": i.start, "initiative": i.name, "covers": initiatives.covers(i)}
                 for i in held if first <= i.start <= last)
