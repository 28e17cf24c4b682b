"""The Where we stand page's model: the stage placement with its evidence, gaps, history and checklist."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from .. import charts, checklist, stages
from ..formats import user
from .common import Chart, Scope, Table, contribution_notes, held_initiatives, initiative_marks


@dataclass(frozen=True)
class Gap:
    title: str
    status: str
    action: str | None
    projection: str | None


# What a scoped viewer reads instead of the evidence (docs/deploy.md#department-scoped-viewers)
SCOPED_NOTE = ("The stage is placed for the whole organisation, and its evidence is the whole organisation's figures, "
               "so your view shows where it stands but not the evidence; ask your dashboard admin for it.")


@dataclass(frozen=True)
class Standing:
    """The stage placement and its evidence: organisation-wide, whatever the filters. A scoped viewer's model holds
    the stage and the ladder only, `scoped` set, and none of the evidence."""

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
    scoped: bool = False


def standing(conn: duckdb.DuckDBPyConnection, scope: Scope, rubric: stages.Rubric | None = None) -> Standing:
    rubric = rubric or stages.load()
    if scope.limited_to is not None:  # the month's placement only: a scoped viewer gets no history or evidence
        placement, history = stages.evaluate(conn, scope.month, rubric), []
    else:
        placement, history = stages.standing(conn, scope.months[0], scope.month, rubric)
    if placement.stage:
        headline = (f"As of {scope.month:%B %Y}, we are at stage {placement.stage} of {placement.top}: "
                    f"{user(placement.stage_name)}, “{user(placement.motto)}”.")
    else:
        headline = (f"As of {scope.month:%B %Y}, we have not started: stage 1, {user(rubric.stages[0].name)}, does not "
                    "pass yet.")
    if scope.limited_to is not None:
        return _scoped(scope, rubric, placement, headline)
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
        words = stages.gap_words(gap, placement.projections.get(gap.id), escape=user)
        gaps.append(Gap(words.title, words.status, words.action, words.projection))
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
        Chart(charts.stage_by_month, (history, rubric.top, "Stage reached each month"),
              {"initiatives": initiative_marks(held_initiatives(conn, scope), [r["month"] for r in history])}),
        Table(reached, "stages-first-reached"), current, {c.id: f"{c.id} · {c.label}" for c in questions},
        tuple(contribution_notes(conn, scope.month, scope.month)))


def _scoped(scope: Scope, rubric: stages.Rubric, placement: stages.StagePlacement, headline: str) -> Standing:
    """Where the whole organisation stands, labelled as such, and no measured value."""
    ladder = Chart(charts.stage_ladder, ([(s.number, s.name, s.motto) for s in rubric.stages], placement.stage,
                                         rubric.top))
    empty = Table(pd.DataFrame(), "")
    return Standing(scope.month, "Whole organisation: " + headline[0].lower() + headline[1:], SCOPED_NOTE, ladder,
                    placement.next_stage is None, None, None, None, (), (), empty, None, empty, pd.DataFrame(), {},
                    scoped=True)


def not_started_ladder(rubric: stages.Rubric) -> Chart:
    return Chart(charts.stage_ladder, ([(s.number, s.name, s.motto) for s in rubric.stages], 0, rubric.top))
