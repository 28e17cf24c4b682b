"""One view model per page: everything a page shows, read once and computed here, already suppressed.

A page lays its model out and nothing more; the brief, the CSV downloads, the CLI and the benchmark read the same
models. Each function reads through the metric families (which select from the scoped, suppressed source in
queries/scope.sql) and then computes in plain Python, like queries/stages.py. When the sidebar's filters select
fewer people than the minimum group size, the model says why in `withheld` and holds no figure about them
(docs/metrics.md#minimum-group-size); organisation-wide facts such as the stage placement stay, labelled as such.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import duckdb
import pandas as pd

from . import (adoption, alignment, benchmarks, charts, checklist, coe, communities, metrics, narrative,
               participation, rubric, stages, uploads)
from .formats import count, difference, number, percent, points, signed, user
from .metrics import Filters

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

    @property
    def compare_label(self) -> str:
        return "last month" if self.comparison == "previous" else "a year earlier"

    def trailing(self, months: int = 12) -> dt.date:
        earlier = [m for m in self.months if m <= self.month][-months:]
        return earlier[0] if earlier else self.month

    def has(self, month: dt.date) -> bool:
        return month in self.months


def scope_for(months, month=None, comparison: str = "previous", filters: Filters = metrics.ALL,
              min_group: int | None = None) -> Scope:
    """The scope of a month among the months held (the latest by default), as the sidebar would select it."""
    months = tuple(months)
    month = metrics.as_month(month) if month else months[-1]
    compare_to = (metrics.previous_month(month) if comparison == "previous"
                  else month.replace(year=month.year - 1))
    return Scope(month, compare_to, comparison, filters, months, metrics.min_group_or_default(min_group),
                 rubric.pitfall_share())


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


def _withheld(conn, scope: Scope, now: dict) -> str | None:
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


def _delta(now: dict, before: dict, key: str) -> str | None:
    return points(difference(now.get(key), before.get(key)))


def _count_delta(now: dict, before: dict, key: str) -> str | None:
    return signed(difference(now.get(key), before.get(key)), 0)


def _compared(conn, scope: Scope) -> tuple[dict, dict]:
    now = metrics.org_month(conn, scope.month, scope.filters, scope.min_group)
    before = (metrics.org_month(conn, scope.compare_to, scope.filters, scope.min_group)
              if scope.has(scope.compare_to) else {})
    return now, before


# --- Overview ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StageSummary:
    """Where the whole organisation stands: organisation-wide, whatever the filters."""

    title: str
    caption: str
    progress: float | None
    progress_text: str | None
    ladder: Chart
    next_steps: str | None


@dataclass(frozen=True)
class Overview:
    month: dt.date
    compare_to: dt.date
    withheld: str | None
    stage: StageSummary | None
    headline: str | None
    notes: str | None
    tiles: tuple[tuple[Tile, ...], ...] = ()
    trend: Chart | None = None
    departments: Chart | None = None
    movers: Table | None = None
    movers_note: str | None = None


def _stage_summary(conn, scope: Scope, rubric: stages.Rubric) -> StageSummary:
    placement = stages.evaluate(conn, scope.month, rubric)
    if placement.stage:
        title = f"Stage {placement.stage} of {placement.top}: {user(placement.stage_name)}"
        caption = f"“{user(placement.motto)}” · whole organisation, {scope.month:%B %Y}"
    else:
        title = f"Stage 0 of {placement.top}: not started"
        caption = f"Stage 1 does not pass yet · whole organisation, {scope.month:%B %Y}"
    following = placement.next_stage
    progress = progress_text = None
    if following is not None:
        progress = following.met / following.total
        progress_text = (f"Toward stage {following.number}, {user(following.name)}: {following.met} of {following.total} "
                         "criteria met")
    gaps = placement.gaps[:3]
    next_steps = None
    if following is None:
        next_steps = "Every stage of the rubric passes."
    elif gaps:
        next_steps = "What it takes next: " + "; ".join(
            f"{user(g.label)} ({g.id}: " + ("no data" if g.status == stages.NO_DATA else
                                      f"{stages.shown(g.unit, g.value)}, needs {stages.shown_threshold(g)}") + ")"
            for g in gaps) + ("; …" if len(placement.gaps) > 3 else ".")
    ladder = Chart(charts.stage_strip, ([(s.number, s.name, s.motto) for s in rubric.stages], placement.stage))
    return StageSummary(title, caption, progress, progress_text, ladder, next_steps)


def overview(conn: duckdb.DuckDBPyConnection, scope: Scope, rubric: stages.Rubric | None) -> Overview:
    """The Overview; `rubric` None when the rubric file cannot be used (the page says why), so no stage."""
    stage = None if rubric is None else _stage_summary(conn, scope, rubric)
    now, before = _compared(conn, scope)
    withheld = _withheld(conn, scope, now)
    if withheld:
        return Overview(scope.month, scope.compare_to, withheld, stage, None, None)
    by_department = adoption.by_dimension(conn, "department", scope.month, scope.month, scope.filters,
                                          scope.min_group)
    status = metrics.month_status(conn, scope.month)
    headline = (narrative.change_sentence("Adoption", now["adoption_rate"], before.get("adoption_rate"),
                                          scope.month, f" (against {scope.compare_label})")
                + narrative.laggard_clause(by_department, escape=user) + ".")
    notes = [f"As of {scope.month:%B %Y}, compared with {scope.compare_to:%B %Y}."]
    if status and status["roster_month"] and status["roster_month"] != scope.month:
        notes.append(f"Headcount carried forward from the {status['roster_month']:%B %Y} roster.")
    if not before:
        notes.append(f"No data held for {scope.compare_to:%B %Y}, so no deltas.")
    notes.extend(contribution_notes(conn, scope.trailing(12), scope.month, scope.filters.tool))
    references, problem = benchmarks.read()
    if problem:
        notes.append(problem)
    tiles = (
        (Tile("Adoption", percent(now["adoption_rate"]), _delta(now, before, "adoption_rate"),
              "People active on any tool this month, as a share of headcount.",
              reference=benchmarks.versus(references, "adoption_rate", now["adoption_rate"]),
              reference_help=benchmarks.versus_detail(references, "adoption_rate")),
         Tile("Contribution", percent(now["contribution_rate"]), _delta(now, before, "contribution_rate"),
              "People who posted or replied at least once, as a share of headcount.",
              reference=benchmarks.versus(references, "contribution_rate", now["contribution_rate"]),
              reference_help=benchmarks.versus_detail(references, "contribution_rate")),
         Tile("Leaders active", percent(now["leadership_participation"]),
              _delta(now, before, "leadership_participation"), "Active executives as a share of executives."),
         Tile("CoE reach", percent(now["champion_coverage"]), _delta(now, before, "champion_coverage"),
              "Share of departments with at least one champion."),
         Tile("KPIs on target", percent(now["kpis_on_target_share"]), _delta(now, before, "kpis_on_target_share"),
              "Share of whole-organisation KPIs with a target that meet it (organisation-wide).")),
        (Tile("Headcount", count(now["headcount"]), _count_delta(now, before, "headcount"), delta_color="off"),
         Tile("Active people", count(now["active"]), _count_delta(now, before, "active")),
         Tile("New this month", count(now["new"]), _count_delta(now, before, "new"),
              "Active this month for the first time in the data held.", delta_color="off"),
         Tile("Responses per post", number(now["responses_per_post"]),
              signed(difference(now["responses_per_post"], before.get("responses_per_post"))),
              "(Replies + reactions) / posts, over all tools."),
         Tile("Trained (12 months)", percent(now["training_reach"]), _delta(now, before, "training_reach"),
              "People trained in the trailing 12 months, as a share of headcount.")),
    )
    trend_rows = [r for r in metrics.org_months(conn, scope.trailing(12), scope.month, scope.filters,
                                                scope.min_group) if r["adoption_rate"] is not None]
    trend = (Chart(charts.rate_lines, (trend_rows, {"adoption_rate": "Adoption", "contribution_rate": "Contribution"},
                                       "Adoption and contribution, last 12 months"),
                   {"references": benchmarks.lines(references, "adoption_rate", "contribution_rate")})
             if trend_rows else None)
    shown = [d for d in by_department if d["adoption_rate"] is not None]
    departments = (Chart(charts.bars, (shown, "group", "adoption_rate", f"Adoption by department, {scope.month:%B %Y}",
                                       scope.min_group), {"category_title": "Department"}) if shown else None)
    moved = adoption.movers(conn, scope.month, scope.compare_to, scope.filters, scope.min_group)
    movers = movers_note = None
    if moved:
        movers = Table(pd.DataFrame([{"Department": m["department"], "Adoption": percent(m["adoption_rate"]),
                                      f"Change vs {scope.compare_to:%b %Y}": points(m["change"])} for m in moved]),
                       "departments-that-moved-most")
    else:
        movers_note = (f"Needs adoption for {scope.month:%B %Y} and {scope.compare_to:%B %Y} in departments of at "
                       f"least {scope.min_group} people.")
    return Overview(scope.month, scope.compare_to, None, stage, headline, " ".join(notes), tiles,
                    trend, departments, movers, movers_note)


# --- Adoption ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Adoption:
    month: dt.date
    withheld: str | None
    no_activity: str | None = None
    headline: str | None = None
    trend: Chart | None = None
    funnel: Chart | None = None
    flows: Chart | None = None
    heatmap: Chart | None = None
    heatmap_table: Table | None = None
    breakdowns: tuple[Chart, ...] = ()
    by_tool: Chart | None = None
    by_tool_note: str | None = None
    leadership: Chart | None = None
    leadership_note: str | None = None
    notes: tuple[str, ...] = ()  # contribution that is no data or counts some tools only
    participation: Participation | None = None


@dataclass(frozen=True)
class Participation:
    """The Adoption page's participation sections (docs/metrics.md#participation), already suppressed."""

    segments: Chart | None = None
    segments_note: str | None = None
    moves: Chart | None = None
    moves_sentence: str | None = None
    habits: Chart | None = None
    habits_sentence: str | None = None
    cohorts: Chart | None = None
    cohorts_table: Table | None = None
    cohorts_note: str | None = None
    references_note: str | None = None  # why the reference benchmarks are not shown


def _segment_shares(row: dict) -> dict:
    return {"month": row["month"], **{name: row[key] / row["headcount"] for key, name in
                                      zip(participation.SEGMENTS, charts.SEGMENT_COLORS)}}


def participation_sections(conn: duckdb.DuckDBPyConnection, scope: Scope, references=(),
                           references_note: str | None = None) -> Participation:
    """Segments over time, last month's moves, habitual share and stickiness, and cohort retention, for the scope."""
    rows = participation.segments_by_month(conn, scope.trailing(24), scope.month, scope.filters, scope.min_group)
    held = [r for r in rows if r["creators"] is not None and r["headcount"]]
    segments = segments_note = None
    if held:
        segments = Chart(charts.segment_shares, ([_segment_shares(r) for r in held],
                                                 "Creators, responders, observers and inactive, share of headcount"),
                         {"references": benchmarks.lines(references, "observer_share")})
    elif rows:
        segments_note = ("The segments need activity with posts or replies: no month shown has it. (The Teams export "
                         "from before March 2022 has neither.)")
    moved = participation.moves(conn, scope.month, scope.month, scope.filters, scope.min_group)
    moves = moves_sentence = None
    if moved:
        names = participation.SEGMENT_NAMES
        moves = Chart(charts.segment_moves, ([{"from": names[r["from_segment"]], "to": names[r["to_segment"]],
                                               "people": r["people"]} for r in moved],
                                             f"Segment moves, {metrics.previous_month(scope.month):%B} to "
                                             f"{scope.month:%B %Y}"))
        up, down = participation.moved_up_and_down(moved)
        moves_sentence = (f"{count(up)} {'observer' if up == 1 else 'observers'} became responders or creators in "
                          f"{scope.month:%B %Y}, and {count(down)} went the other way (people on both months' "
                          "rosters).")
    habit_rows = [{"month": r["month"],
                   "habitual": r["habitual"] / r["headcount"] if r["habitual"] is not None else None,
                   "stickiness": r["stickiness"]}
                  for r in rows if r["headcount"] and (r["habitual"] is not None or r["stickiness"] is not None)]
    habits = habits_sentence = None
    if habit_rows:
        habits = Chart(charts.rate_lines, (habit_rows, {"habitual": "Habitual", "stickiness": "Stickiness"},
                                           "Habitual share and stickiness"),
                       {"height": 240, "references": benchmarks.lines(references, "habitual_share", "stickiness")})
        latest = next((r for r in rows if r["month"] == scope.month), {})
        parts = []
        if latest.get("habitual") is not None:
            parts.append(f"habitual: {percent(latest['habitual'] / latest['headcount'])} of people were active in "
                         f"each of the three months to {scope.month:%B %Y}")
        if latest.get("stickiness") is not None:
            parts.append(f"stickiness: {percent(latest['stickiness'])} of those active at some point in the last 12 "
                         "months were active this month")
        habits_sentence = ("; ".join(parts) + ".") if parts else None
        if habits_sentence:
            habits_sentence = habits_sentence[0].upper() + habits_sentence[1:]
    found = participation.cohorts(conn, scope.trailing(12), scope.month, scope.filters, scope.min_group)
    cohorts = cohorts_table = None
    cohorts_note = (f"Each cohort is the people first counted active that month. Cohorts of fewer than "
                    f"{scope.min_group} people in this selection are not shown.")
    cells = [{"cohort": f"{c['cohort']:%b %Y} ({c['size']:,})", "size": c["size"], "months_after": k,
              "retention": share} for c in found for k, share in sorted(c["retention"].items())]
    if cells:
        cohorts = Chart(charts.cohort_retention, (cells, "Cohort retention: share of each month's newcomers "
                                                         "active later"))
        cohorts_table = Table(pd.DataFrame([{"Cohort": f"{c['cohort']:%Y-%m}", "Size": c["size"],
                                             **{f"+{k}": round(v, 4) for k, v in sorted(c["retention"].items())}}
                                            for c in found]), "cohort-retention")
    elif found:
        cohorts_note += " No cohort has a later month with activity yet."
    else:
        cohorts_note += " None of the last 12 months' cohorts is large enough to show yet."
    return Participation(segments, segments_note, moves, moves_sentence, habits, habits_sentence, cohorts,
                         cohorts_table, cohorts_note, references_note)


def adoption_view(conn: duckdb.DuckDBPyConnection, scope: Scope) -> Adoption:
    now, before = _compared(conn, scope)
    withheld = _withheld(conn, scope, now)
    if withheld:
        return Adoption(scope.month, withheld)
    if now["adoption_rate"] is None:
        return Adoption(scope.month, None, no_activity=(
            f"No activity for {scope.month:%B %Y}" + (" on this tool" if scope.filters.tool else "")
            + " yet, or no roster to count it against. Upload an activity export and the HR roster on the Data page."))
    departments = adoption.by_dimension(conn, "department", scope.month, scope.month, scope.filters, scope.min_group)
    headline = (narrative.change_sentence("Adoption", now["adoption_rate"], before.get("adoption_rate"), scope.month,
                                          f" (against {scope.compare_label})")
                + narrative.laggard_clause(departments, escape=user) + ".")
    history = [r for r in metrics.org_months(conn, scope.trailing(24), scope.month, scope.filters, scope.min_group)
               if r["headcount"]]
    trend_rows = [{"month": r["month"], "active": r["adoption_rate"], "contributors": r["contribution_rate"],
                   "creators": r["creators"] / r["headcount"] if r["creators"] is not None else None}
                  for r in history if r["adoption_rate"] is not None]
    references, references_note = benchmarks.read()
    trend = Chart(charts.rate_lines, (trend_rows, {"active": "Active", "contributors": "Contributors",
                                                   "creators": "Creators"},
                                      "Active, contributors and creators as a share of headcount"),
                  {"references": benchmarks.lines(references, "adoption_rate", "contribution_rate", "creator_share")})
    funnel = Chart(charts.participation_funnel, ({"Headcount": now["headcount"], "Active": now["active"],
                                                  "Contributors": now["contributors"], "Creators": now["creators"]},
                                                 f"Participation funnel, {scope.month:%B %Y}"))
    flow_rows = [{"month": r["month"], "New": r["new"], "Returning": r["returning"], "Lapsed": r["lapsed"]}
                 for r in history if r["new"] is not None]
    flows = Chart(charts.flows_by_month, (flow_rows, "New, returning and lapsed people per month")) if flow_rows \
        else None
    grid = adoption.by_dimension(conn, "department", scope.trailing(12), scope.month, scope.filters, scope.min_group)
    heatmap = heatmap_table = None
    if grid:
        heatmap = Chart(charts.heatmap, (grid, "Adoption by department and month (grey: suppressed or no data)",
                                         scope.min_group))
        table = pd.DataFrame(grid)
        table["adoption_rate"] = table["adoption_rate"].map(lambda v: None if pd.isna(v) else round(v, 4))
        heatmap_table = Table(table, "adoption-by-department-and-month")
    breakdowns = []
    for dimension, title in (("region", "by region"), ("level", "by level")):
        rows = adoption.by_dimension(conn, dimension, scope.month, scope.month, scope.filters, scope.min_group)
        if rows:
            breakdowns.append(Chart(charts.bars, (rows, "group", "adoption_rate",
                                                  f"Adoption {title}, {scope.month:%b %Y}", scope.min_group),
                                    {"category_title": dimension.title()}))
    tools = adoption.by_tool(conn, scope.month, scope.filters, scope.min_group)
    by_tool = Chart(charts.adoption_by_tool, (tools, f"Adoption by tool, {scope.month:%b %Y}")) if tools else None
    # The rate is withheld for a month with fewer executives in scope than the minimum group size (metrics.sql).
    executives = [r for r in history if r["leadership_participation"] is not None]
    leadership = leadership_note = None
    if executives:
        leadership = Chart(charts.rate_lines, (executives, {"leadership_participation": "Executives active"},
                                               "Leadership participation: active executives / executives"))
    elif any(r["executives"] for r in history):
        leadership_note = (f"Leadership participation is hidden: fewer than {scope.min_group} executives in this "
                           "selection.")
    return Adoption(scope.month, None, None, headline, trend, funnel, flows, heatmap, heatmap_table,
                    tuple(breakdowns), by_tool,
                    "A person active on several tools counts once in the headline and once per tool here."
                    if by_tool else None, leadership, leadership_note,
                    tuple(contribution_notes(conn, scope.trailing(24), scope.month, scope.filters.tool)),
                    participation_sections(conn, scope, references, references_note))


# --- CoE reach --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoeReach:
    month: dt.date
    withheld: str | None
    no_register: bool = False
    headline: str | None = None
    carried: str | None = None
    tiles: tuple[Tile, ...] = ()
    pitfall: str | None = None
    departments: Chart | None = None
    departments_table: Table | None = None
    lift: Chart | None = None
    lift_note: str | None = None
    training: Chart | None = None
    training_note: str | None = None


def coe_reach(conn: duckdb.DuckDBPyConnection, scope: Scope) -> CoeReach:
    now, before = _compared(conn, scope)
    withheld = _withheld(conn, scope, now)
    if withheld:
        return CoeReach(scope.month, withheld)
    if now["champion_coverage"] is None:
        return CoeReach(scope.month, None, no_register=True)
    status = metrics.month_status(conn, scope.month)
    departments = coe.departments(conn, scope.month, scope.filters, scope.min_group)
    with_champion = sum(1 for d in departments if d["has_champion"])
    headline = (f"{with_champion} of {len(departments)} departments have a champion in {scope.month:%B %Y} "
                f"({percent(now['champion_coverage'])}), with {number(now['champions_per_1000'])} champions per "
                "1,000 employees.")
    carried = (f"Champion register carried forward from {status['champions_month']:%B %Y}."
               if status and status["champions_month"] and status["champions_month"] != scope.month else None)
    lift = coe.lift(conn, scope.month, scope.filters, scope.min_group)
    share = coe.champion_content_share(conn, scope.month, scope.filters, scope.min_group)
    threshold = scope.pitfall_share
    tiles = (
        Tile("Depts with a champion", percent(now["champion_coverage"]), _delta(now, before, "champion_coverage")),
        Tile("Champions / 1,000", number(now["champions_per_1000"])),
        Tile("Headcount covered", percent(lift["headcount_covered"] if lift else None),
             help="People in departments that have at least one champion, as a share of headcount."),
        Tile("Trained (12 months)", percent(now["training_reach"]), _delta(now, before, "training_reach")),
        Tile("Champion-written", percent(share),
             help=f"Share of all posts and replies written by champions. Above {threshold:.0%} the network depends "
                  "on its champions rather than growing by itself."),
    )
    pitfall = None
    if share is not None and share > threshold:
        pitfall = (f"CoE pitfall: champions wrote {share:.0%} of all posts and replies this month (above "
                   f"{threshold:.0%}). The conversation depends on the champions; coach them to draw others in "
                   "rather than post for them.")
    department_chart = department_table = None
    if departments:
        department_chart = Chart(charts.champions_by_department, (departments, "Champions per 1,000 employees by "
                                                                               "department", scope.min_group))
        department_table = Table(pd.DataFrame(departments)[["department", "has_champion", "headcount", "champions",
                                                            "champions_per_1000", "adoption_rate"]],
                                 "champions-by-department")
    lift_chart = lift_note = None
    if lift and lift["adoption_with_champion"] is not None and lift["adoption_without_champion"] is not None:
        gap = lift["adoption_with_champion"] - lift["adoption_without_champion"]
        lift_chart = Chart(charts.champion_lift, (
            [{"side": f"With ({lift['departments_with']} depts)", "adoption": lift["adoption_with_champion"]},
             {"side": f"Without ({lift['departments_without']} depts)", "adoption": lift["adoption_without_champion"]}],
            f"Champion lift: {gap * 100:+.0f} pts adoption with a champion"))
    elif lift:
        lift_note = (f"The champion lift needs at least {scope.min_group} people in departments with and without a "
                     "champion.")
    history = [r for r in metrics.org_months(conn, scope.trailing(12), scope.month, scope.filters, scope.min_group)
               if r["training_reach"] is not None]
    training = training_note = None
    if history:
        training = Chart(charts.rate_lines, (history, {"training_reach": "Training reach"},
                                             "Trained in the trailing 12 months / headcount"), {"height": 220})
    else:
        training_note = "No training attendance yet: upload training.csv (date, program, email) on the Data page."
    return CoeReach(scope.month, None, False, headline, carried, tiles, pitfall, department_chart, department_table,
                    lift_chart, lift_note, training, training_note)


# --- Business alignment -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Alignment:
    """Whole-organisation KPIs and departments of at least the minimum size: organisation-wide, whatever the
    filters."""

    month: dt.date
    has_kpis: bool
    headline: str | None = None
    scorecard: Table | None = None
    department_kpis: dict = field(default_factory=dict)  # KPI -> (Chart, sentence)
    department_note: str | None = None
    trends: dict = field(default_factory=dict)  # KPI -> Chart


def alignment_view(conn: duckdb.DuckDBPyConnection, scope: Scope) -> Alignment:
    scorecard = alignment.scorecard(conn, scope.month)
    if not scorecard:
        return Alignment(scope.month, False)
    with_target = [k for k in scorecard if k["on_target"] is not None]
    on_target = [k for k in with_target if k["on_target"]]
    missed = [user(k["kpi"]) for k in with_target if not k["on_target"]][:2]
    headline = (f"{len(on_target)} of {len(with_target)} KPIs with a target are on target in {scope.month:%B %Y}"
                + (f"; {', '.join(missed)} {'is' if len(missed) == 1 else 'are'} behind." if missed else "."))
    table = Table(pd.DataFrame([{
        "KPI": k["kpi"], "Value": k["value"], "Target": k["target"], "Unit": k["unit"] or "",
        "Direction": "higher is better" if k["higher_is_better"] else "lower is better",
        "On target": "—" if k["on_target"] is None else ("yes" if k["on_target"] else "no"),
        "Change vs last month": k["change"], "Last 12 months": list(k["history"] or []),
        "Objective": k["objective"] or "",
    } for k in scorecard]), "kpi-scorecard")
    points_ = alignment.department_points(conn, scope.month, scope.min_group)
    correlations = {c["kpi"]: c for c in alignment.correlations(conn, scope.month, scope.min_group)}
    department_kpis = {}
    for kpi in sorted({p["kpi"] for p in points_}):
        chosen = [p for p in points_ if p["kpi"] == kpi]
        result = correlations.get(kpi, {})
        department_kpis[kpi] = (
            Chart(charts.kpi_against_adoption, (chosen, kpi, f"{kpi} against adoption, by department "
                                                             f"({scope.month:%B %Y})")),
            f"Across {result.get('departments', len(chosen))} departments there is "
            + alignment.describe_correlation(result.get("correlation")) + ".")
    trend = alignment.kpi_trend(conn, scope.trailing(12), scope.month)
    trends = {kpi: Chart(charts.kpi_and_adoption_by_month, ([r for r in trend if r["kpi"] == kpi], kpi,
                                                           f"{kpi} and adoption by month"))
              for kpi in sorted({r["kpi"] for r in trend})}
    note = (f"Departments of fewer than {scope.min_group} people are left out. A correlation is not a cause."
            if department_kpis else
            "No department-level KPI rows this month: add rows with a department to kpis.csv to compare each "
            "department's results with its adoption.")
    return Alignment(scope.month, True, headline, table, department_kpis, note, trends)


# --- Where we stand ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    title: str
    status: str
    action: str | None
    projection: str | None


@dataclass(frozen=True)
class Standing:
    """The stage placement and its evidence: organisation-wide, whatever the filters."""

    month: dt.date
    headline: str
    rule: str
    ladder: Chart
    complete: bool
    next_title: str | None
    progress: float | None
    progress_text: str | None
    gaps: tuple[Gap, ...]
    evidence: tuple[tuple[str, pd.DataFrame, bool], ...]  # (expander label, rows, expanded)
    evidence_table: Table
    by_month: Chart
    first_reached: Table
    checklist: pd.DataFrame
    questions: dict  # criterion id -> "id · question"
    notes: tuple[str, ...] = ()  # contribution, placed on all tools, that counts some tools only or is no data


def standing(conn: duckdb.DuckDBPyConnection, scope: Scope, rubric: stages.Rubric | None = None) -> Standing:
    rubric = rubric or stages.load()
    placement, history = stages.standing(conn, scope.months[0], scope.month, rubric)
    if placement.stage:
        headline = (f"As of {scope.month:%B %Y}, we are at stage {placement.stage} of {placement.top}: "
                    f"{user(placement.stage_name)}, “{user(placement.motto)}”.")
    else:
        headline = (f"As of {scope.month:%B %Y}, we have not started: stage 1, {user(rubric.stages[0].name)}, does not "
                    "pass yet.")
    rule = ("all of its criteria are met" if placement.pass_share >= 1
            else f"at least {placement.pass_share:.0%} of its criteria are met")
    rule = (f"Placed for the whole organisation: the sidebar's business unit, region, department and tool filters do "
            f"not change it. A stage passes when {rule}; we are at the highest stage N for which stages 1 to N all "
            "pass. Missing data counts as not met.")
    ladder = Chart(charts.stage_ladder, ([(s.number, s.name, s.motto) for s in rubric.stages], placement.stage,
                                         rubric.top, {r.number: (r.met, r.total) for r in placement.stages}))
    following = placement.next_stage
    gaps = []
    for gap in placement.gaps:
        if gap.status == stages.NO_DATA:
            status = f"No data yet. {user(gap.needs)}."
        elif gap.is_checklist:
            status = "Answered no on the checklist below."
        else:
            status = f"Now {stages.shown(gap.unit, gap.value)}, needs {stages.shown_threshold(gap)}."
        projection = placement.projections.get(gap.id)
        gaps.append(Gap(f"{gap.id} · {user(gap.label)}", status, user(gap.hint) if gap.hint else None,
                        f"Projection, from the trend of the last {stages.TREND_MONTHS} months (not a forecast): met "
                        f"{projection.text}." if projection else None))
    evidence, all_rows = [], []
    for result in placement.stages:
        rows = [{"Stage": result.number, "Criterion": c.id, "What": c.label, "Measured": stages.shown(c.unit, c.value),
                 "Needs": stages.shown_threshold(c), "Status": stages.STATUS_LABELS[c.status],
                 "How to improve": c.needs + "." if c.needs else c.hint} for c in placement.of_stage(result.number)]
        all_rows.extend(rows)
        verdict = "passes" if result.passes else "does not pass"
        evidence.append((f"Stage {result.number} · {user(result.name)}: {verdict} ({result.met} of {result.total} met)",
                         pd.DataFrame(rows).drop(columns=["Stage"]), result.number == placement.stage + 1))
    reached = pd.DataFrame([{"Stage": r["stage"], "Name": r["stage_name"],
                             "First reached": r["first_reached"].strftime("%B %Y") if r["first_reached"] else "not yet"}
                            for r in stages.first_reached(history, rubric)])
    questions = [c for c in rubric.criteria if c.is_checklist]
    answers = checklist.answers_as_of(conn, scope.month)
    current = pd.DataFrame([{
        "Criterion": c.id, "Question": c.label,
        "Answer": ("yes" if answers[c.id]["answer"] else "no") if c.id in answers else "not answered",
        "Note": answers.get(c.id, {}).get("note"), "Given for": answers.get(c.id, {}).get("answered_for"),
        "By": answers.get(c.id, {}).get("who"), "When (UTC)": answers.get(c.id, {}).get("answered_at"),
    } for c in questions])
    return Standing(
        scope.month, headline, rule, ladder, following is None,
        None if following is None else f"What it takes to reach stage {following.number}, {user(following.name)}",
        None if following is None else following.met / following.total,
        None if following is None else (f"{following.met} of {following.total} criteria of stage {following.number} "
                                        "met"),
        tuple(gaps), tuple(evidence), Table(pd.DataFrame(all_rows), f"stage-evidence-{scope.month:%Y-%m}"),
        Chart(charts.stage_by_month, (history, rubric.top, "Stage reached each month")),
        Table(reached, "stages-first-reached"), current, {c.id: f"{c.id} · {c.label}" for c in questions},
        tuple(contribution_notes(conn, scope.month, scope.month)))


def not_started_ladder(rubric: stages.Rubric) -> Chart:
    return Chart(charts.stage_ladder, ([(s.number, s.name, s.motto) for s in rubric.stages], 0, rubric.top))


# --- Communities ------------------------------------------------------------------------------------------------

COMMUNITY_SCOPE_NOTE = ("Communities belong to no department, so the business unit, region and department filters do "
                        "not apply here: the figures are for the whole organisation. The tool filter applies.")
COMMUNITY_STATUS_LABELS = {"active": "Active", "quiet": "Quiet", "dormant": "Dormant"}
RANKED = 5  # communities in each of the healthiest and most-at-risk charts


@dataclass(frozen=True)
class CommunityHealth:
    """Community health: organisation-wide with respect to departments (communities have none); the tool filter
    applies. Communities under the minimum group size count in every total and are never a row."""

    month: dt.date
    scope_note: str
    no_data: str | None = None
    headline: str | None = None
    notes: tuple[str, ...] = ()
    tiles: tuple[Tile, ...] = ()
    trend: Chart | None = None
    healthiest: Chart | None = None
    healthiest_note: str | None = None
    at_risk: Chart | None = None
    at_risk_note: str | None = None
    table: Table | None = None


def _community_rows(rows: list[dict]) -> list[dict]:
    """Listed communities with their tool's name and a label that tells apart two tools' communities of one name."""
    shown = communities.listed(rows)
    tools_of = {}
    for r in shown:
        tools_of.setdefault(r["community"], set()).add(r["tool"])
    return [{**r, "tool": TOOL_NAMES.get(r["tool"]) or r["tool"],
             "status": COMMUNITY_STATUS_LABELS[r["status"]],
             "label": (f"{r['community']} · {TOOL_NAMES.get(r['tool']) or r['tool']}"
                       if len(tools_of[r["community"]]) > 1 else r["community"])}
            for r in shown]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _communities_phrase(number_: int) -> str:
    return f"{number_} {'community' if number_ == 1 else 'communities'}"


def communities_view(conn: duckdb.DuckDBPyConnection, scope: Scope) -> CommunityHealth:
    tool = scope.filters.tool
    on_tool = f" on {TOOL_NAMES.get(tool) or user(tool)}" if tool else ""
    start = scope.trailing(12)
    first = min(start, scope.compare_to)
    held = communities.held_months(conn, first, scope.month, tool)
    if scope.month not in held:
        return CommunityHealth(scope.month, COMMUNITY_SCOPE_NOTE, no_data=(
            f"No communities data for {scope.month:%B %Y}{on_tool} yet. Upload the Viva Engage groups activity "
            "report, the Slack channels export or communities.csv for that month on the Data page."))
    rows = communities.by_month(conn, first, scope.month, tool, scope.min_group, detail_from=scope.month)
    by_month = {month: [] for month in held}
    for row in rows:
        by_month[row["month"]].append(row)
    now = communities.status_counts(by_month[scope.month])
    total = sum(now.values())
    before = communities.status_counts(by_month[scope.compare_to]) if scope.compare_to in by_month else None

    def change(key: str | None) -> int | None:
        if before is None:
            return None
        return total - sum(before.values()) if key is None else now[key] - before[key]

    def delta(key: str | None) -> str | None:
        return signed(change(key), 0)

    def colour(key: str, worse_when_more: bool = False) -> str:
        # no change is not news: a red or green arrow on "+0" would say otherwise
        if not change(key):
            return "off"
        return "inverse" if worse_when_more else "normal"

    if not total:
        headline = f"The {scope.month:%B %Y} communities data{on_tool} holds no community."
    elif now["active"] == total:
        headline = (f"All {_communities_phrase(total)}{on_tool} had posts in {scope.month:%B %Y}." if total > 1 else
                    f"The one community{on_tool} had posts in {scope.month:%B %Y}.")
    else:
        headline = f"{now['active']} of {_communities_phrase(total)}{on_tool} had posts in {scope.month:%B %Y}"
        if now["dormant"]:
            headline += (f"; {now['dormant']} {'is' if now['dormant'] == 1 else 'are'} dormant, with no posts for "
                         "two months or more.")
        else:
            headline += f"; {now['quiet']} {'was' if now['quiet'] == 1 else 'were'} quiet and none is dormant."
    tiles = (
        Tile("Communities", count(total), delta(None), "Communities in the month's communities uploads, "
             "listed or not.", delta_color="off"),
        Tile("Active", count(now["active"]), delta("active"), "At least one post this month.",
             delta_color=colour("active")),
        Tile("Quiet", count(now["quiet"]), delta("quiet"),
             "No posts this month, but posts last month (or no data to tell for last month).",
             delta_color=colour("quiet", worse_when_more=True)),
        Tile("Dormant", count(now["dormant"]), delta("dormant"),
             "No posts this month nor last month, both months holding the tool's communities data.",
             delta_color=colour("dormant", worse_when_more=True)),
    )
    notes = []
    if before is None:
        notes.append(f"No communities data{on_tool} for {scope.compare_to:%B %Y}, so no deltas.")
    hidden = sum(1 for r in by_month[scope.month] if not r["listed"])
    if hidden:
        notes.append(f"{_communities_phrase(hidden)} with fewer than {scope.min_group} members, or without a member "
                     f"count, {'is' if hidden == 1 else 'are'} counted above but not listed.")
    trend_rows = [{"month": month,
                   **{COMMUNITY_STATUS_LABELS[k]: v for k, v in communities.status_counts(found).items()}}
                  for month, found in by_month.items() if month >= start]
    trend = Chart(charts.community_status_by_month, (trend_rows, "Active, quiet and dormant communities by month"))
    shown = _community_rows(by_month[scope.month])
    ranked_active = sorted((r for r in shown if r["status"] == "Active" and r["posts_per_member"] is not None),
                           key=lambda r: (-r["posts_per_member"], -r["members"], r["label"]))[:RANKED]
    healthiest = healthiest_note = None
    if ranked_active:
        healthiest = Chart(charts.community_ranking, (
            ranked_active, "posts_per_member", "Posts per member",
            f"Healthiest: posts per member, {scope.month:%b %Y}", "#009E73"))
    else:
        healthiest_note = f"No listed community had posts in {scope.month:%B %Y}."
    ranked_silent = sorted((r for r in shown if r["status"] != "Active"),
                           key=lambda r: (-r["silent_months"], -r["members"], r["label"]))[:RANKED]
    at_risk = at_risk_note = None
    if ranked_silent:
        at_risk = Chart(charts.community_ranking, (
            ranked_silent, "silent_months", "Months without posts",
            f"Most at risk: months without posts, {scope.month:%b %Y}", "#D55E00", "d"))
    else:
        at_risk_note = f"No listed community was quiet or dormant in {scope.month:%B %Y}."
    frame = pd.DataFrame([{
        "Community": r["community"], "Tool": r["tool"], "Status": r["status"], "Members": r["members"],
        "Posts": r["posts"], "Posts per member": _rounded(r["posts_per_member"]),
        "Reads": r["reads"], "Reads per member": _rounded(r["reads_per_member"]),
        "Reactions": r["reactions"], "Months without posts": r["silent_months"],
    } for r in sorted(shown, key=lambda r: (-r["members"], r["label"]))],
        columns=["Community", "Tool", "Status", "Members", "Posts", "Posts per member", "Reads", "Reads per member",
                 "Reactions", "Months without posts"])
    return CommunityHealth(scope.month, COMMUNITY_SCOPE_NOTE, None, headline, tuple(notes), tiles, trend, healthiest,
                           healthiest_note, at_risk, at_risk_note,
                           Table(frame, f"communities-{scope.month:%Y-%m}") if len(frame) else None)


# --- Shared by every page: the sidebar's choices and the demo notice -----------------------------------------

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
    active = [r for r in uploads.ledger(conn) if r["status"] != "undone"]
    return Frame(tuple(metrics.months(conn)), metrics.filter_options(conn, as_then), uploads.latest_refresh(conn),
                 bool(active) and all(r["uploaded_by"] == "demo" for r in active))


# The model behind each page of the menu, by its URL path: the benchmark and the privacy tests walk them all.
PAGES = {"overview": lambda conn, scope: overview(conn, scope, stages.load()), "stages": standing, "adoption": adoption_view, "coe": coe_reach,
         "communities": communities_view, "alignment": alignment_view}
