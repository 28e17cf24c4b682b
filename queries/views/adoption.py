"""The Adoption page's model: trend, funnel, flows, the department heatmap, breakdowns and participation."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from .. import adoption, benchmarks, charts, metrics, narrative, participation
from ..formats import count, percent, user
from .common import (Chart, Scope, Table, compared, contribution_notes, held_initiatives, initiative_marks,
                     whole_organisation, withheld_for)


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
    whole_organisation: str | None = None  # a scoped viewer's comparison line (common.whole_organisation)


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
    started = held_initiatives(conn, scope)
    segments = segments_note = None
    if held:
        segments = Chart(charts.segment_shares, ([_segment_shares(r) for r in held],
                                                 "Creators, responders, observers and inactive, share of headcount"),
                         {"references": benchmarks.lines(references, "observer_share"),
                          "initiatives": initiative_marks(started, [r["month"] for r in held])})
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
                       {"height": 240, "references": benchmarks.lines(references, "habitual_share", "stickiness"),
                        "initiatives": initiative_marks(started, [r["month"] for r in habit_rows])})
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
    now, before = compared(conn, scope)
    withheld = withheld_for(conn, scope, now)
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
    started = held_initiatives(conn, scope)
    history = [r for r in metrics.org_months(conn, scope.trailing(24), scope.month, scope.filters, scope.min_group)
               if r["headcount"]]
    trend_rows = [{"month": r["month"], "active": r["adoption_rate"], "contributors": r["contribution_rate"],
                   "creators": r["creators"] / r["headcount"] if r["creators"] is not None else None}
                  for r in history if r["adoption_rate"] is not None]
    references, references_note = benchmarks.read()
    trend = Chart(charts.rate_lines, (trend_rows, {"active": "Active", "contributors": "Contributors",
                                                   "creators": "Creators"},
                                      "Active, contributors and creators as a share of headcount"),
                  {"references": benchmarks.lines(references, "adoption_rate", "contribution_rate", "creator_share"),
                   "initiatives": initiative_marks(started, [r["month"] for r in trend_rows])})
    funnel = Chart(charts.participation_funnel, ({"Headcount": now["headcount"], "Active": now["active"],
                                                  "Contributors": now["contributors"], "Creators": now["creators"]},
                                                 f"Participation funnel, {scope.month:%B %Y}"))
    flow_rows = [{"month": r["month"], "New": r["new"], "Returning": r["returning"], "Lapsed": r["lapsed"]}
                 for r in history if r["new"] is not None]
    flows = Chart(charts.flows_by_month, (flow_rows, "New, returning and lapsed people per month"),
                  {"initiatives": initiative_marks(started, [r["month"] for r in flow_rows])}) if flow_rows else None
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
                                               "Leadership participation: active executives / executives"),
                           {"initiatives": initiative_marks(started, [r["month"] for r in executives])})
    elif any(r["executives"] for r in history):
        leadership_note = (f"Leadership participation is hidden: fewer than {scope.min_group} executives in this "
                           "selection.")
    return Adoption(scope.month, None, None, headline, trend, funnel, flows, heatmap, heatmap_table,
                    tuple(breakdowns), by_tool,
                    "A person active on several tools counts once in the headline and once per tool here."
                    if by_tool else None, leadership, leadership_note,
                    tuple(contribution_notes(conn, scope.trailing(24), scope.month, scope.filters.tool)),
                    participation_sections(conn, scope, references, references_note), whole_organisation(conn, scope))
