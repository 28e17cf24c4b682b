"""The Overview's model: the stage in brief, headline tiles with deltas, the adoption trend and who moved most."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from .. import adoption, alerts, benchmarks, charts, forecasts, initiatives, metrics, narrative, stages, targets
from ..formats import count, difference, number, percent, points, signed, user
from .common import (Chart, Scope, Table, Tile, compared_in, contribution_notes, count_delta, held_initiatives,
                     initiative_marks, rate_delta, whole_organisation, withheld_for)


@dataclass(frozen=True)
class StageSummary:
    """Where the whole organisation stands: organisation-wide, whatever the filters."""

    title: str
    caption: str
    progress: float | None
    progress_text: str | None
    ladder: Chart
    next_steps: str | None
    placement: stages.StagePlacement  # the evidence behind it: the brief draws the ladder and the gaps from it


@dataclass(frozen=True)
class Mover:
    """A department whose adoption moved most, as shown."""

    department: str
    adoption: str
    change: str


@dataclass(frozen=True)
class Overview:
    """The Overview page's model, which the brief and the digest render too (they read nothing else about the
    figures)."""

    month: dt.date
    compare_to: dt.date
    withheld: str | None
    stage: StageSummary | None
    headline: str | None
    notes: str | None
    rates: tuple[Tile, ...] = ()  # adoption, contribution, leaders active, CoE reach, KPIs on target
    counts: tuple[Tile, ...] = ()  # headcount, active people, new this month, responses per post, trained
    trend: Chart | None = None
    departments: Chart | None = None
    moved: tuple[Mover, ...] = ()
    movers: Table | None = None  # the moved departments as the page's table (built once: warm runs reuse its Arrow)
    movers_note: str | None = None
    goals: tuple[Tile, ...] = ()  # the targets set for this scope (docs/metrics.md#targets)
    forecast_note: str | None = None  # why the trend has no forecast band, when it has none
    effects: tuple[str, ...] = ()  # each initiative's measured effect on adoption, in one sentence
    needs_attention: tuple[alerts.Alert, ...] = ()  # the month's alerts the viewer may see (docs/metrics.md#alerts)
    alerts_note: str | None = None  # why there are no alerts to show, when the settings file's [[alerts]] are wrong
    # A scoped viewer's one labelled line of whole-organisation figures (docs/deploy.md#department-scoped-viewers)
    whole_organisation: str | None = None

    @property
    def tiles(self) -> tuple[tuple[Tile, ...], ...]:
        """The page's rows of tiles: rates, counts, and the targets when there are any."""
        return ((self.rates, self.counts) + ((self.goals,) if self.goals else ())) if self.rates else ()

    @property
    def headcount(self) -> Tile | None:
        return self.counts[0] if self.counts else None


def _stage_summary(conn, scope: Scope, rubric: stages.Rubric) -> StageSummary:
    """The stage box. A scoped viewer sees where the whole organisation stands but none of its measured values, so
    the next steps name the criteria without them."""
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
    elif gaps and scope.limited_to is not None:
        next_steps = "What it takes next: " + "; ".join(f"{user(g.label)} ({g.id})" for g in gaps) + (
            "; …" if len(placement.gaps) > 3 else ".")
    elif gaps:
        next_steps = "What it takes next: " + "; ".join(
            f"{user(g.label)} ({g.id}: {stages.gap_words(g).measured})" for g in gaps
        ) + ("; …" if len(placement.gaps) > 3 else ".")
    ladder = Chart(charts.stage_strip, ([(s.number, s.name, s.motto) for s in rubric.stages], placement.stage))
    return StageSummary(title, caption, progress, progress_text, ladder, next_steps, placement)


def overview(conn: duckdb.DuckDBPyConnection, scope: Scope, rubric: stages.Rubric | None,
             today: dt.date | None = None) -> Overview:
    """The Overview; `rubric` None when the rubric file cannot be used (the page says why), so no stage. A scoped
    viewer (scope.limited_to) gets the alerts of their departments, no organisation-wide tile or initiative effect,
    and the whole organisation's figures in one labelled line. `today` decides which exports are late."""
    stage = None if rubric is None else _stage_summary(conn, scope, rubric)
    needs_attention, alerts_note = _needs_attention(conn, scope, rubric, stage, today)
    whole = whole_organisation(conn, scope)
    # every month held up to the as-of month, read once: the tiles, the trend and both forecasts come from it
    history = metrics.org_months(conn, scope.months[0], scope.month, scope.filters, scope.min_group)
    now, before = compared_in(history, scope)
    withheld = withheld_for(conn, scope, now)
    if withheld:
        return Overview(scope.month, scope.compare_to, withheld, stage, None, None, needs_attention=needs_attention,
                        alerts_note=alerts_note, whole_organisation=whole)
    by_department = adoption.by_dimension(conn, "department", scope.month, scope.month, scope.filters,
                                          scope.min_group)
    status = metrics.month_status(conn, scope.month)
    roster_month = status["roster_month"] if status else None
    headline = (narrative.change_sentence("Adoption", now["adoption_rate"], before.get("adoption_rate"),
                                          scope.month, f" (against {scope.compare_label})")
                + narrative.laggard_clause(by_department, escape=user) + ".")
    notes = [f"As of {scope.month:%B %Y}, compared with {scope.compare_to:%B %Y}."]
    if roster_month and roster_month != scope.month:
        notes.append(f"Headcount carried forward from the {roster_month:%B %Y} roster.")
    if not before:
        notes.append(f"No data held for {scope.compare_to:%B %Y}, so no deltas.")
    notes.extend(contribution_notes(conn, scope.trailing(12), scope.month, scope.filters.tool))
    references, problem = benchmarks.read()
    if problem:
        notes.append(problem)
    rates, counts = (
        (Tile("Adoption", percent(now["adoption_rate"]), rate_delta(now, before, "adoption_rate"),
              "People active on any tool this month, as a share of headcount.",
              reference=benchmarks.versus(references, "adoption_rate", now["adoption_rate"]),
              reference_help=benchmarks.versus_detail(references, "adoption_rate")),
         Tile("Contribution", percent(now["contribution_rate"]), rate_delta(now, before, "contribution_rate"),
              "People who posted or replied at least once, as a share of headcount.",
              reference=benchmarks.versus(references, "contribution_rate", now["contribution_rate"]),
              reference_help=benchmarks.versus_detail(references, "contribution_rate")),
         Tile("Leaders active", percent(now["leadership_participation"]),
              rate_delta(now, before, "leadership_participation"), "Active executives as a share of executives."),
         Tile("CoE reach", percent(now["champion_coverage"]), rate_delta(now, before, "champion_coverage"),
              "Share of departments with at least one champion."),
         Tile("KPIs on target", percent(now["kpis_on_target_share"]), rate_delta(now, before, "kpis_on_target_share"),
              "Share of whole-organisation KPIs with a target that meet it (organisation-wide).")),
        (Tile("Headcount", count(now["headcount"]), count_delta(now, before, "headcount"), delta_color="off"),
         Tile("Active people", count(now["active"]), count_delta(now, before, "active")),
         Tile("New this month", count(now["new"]), count_delta(now, before, "new"),
              "Active this month for the first time in the data held.", delta_color="off"),
         Tile("Responses per post", number(now["responses_per_post"]),
              signed(difference(now["responses_per_post"], before.get("responses_per_post"))),
              "(Replies + reactions) / posts, over all tools."),
         Tile("Trained (12 months)", percent(now["training_reach"]), rate_delta(now, before, "training_reach"),
              "People trained in the trailing 12 months, as a share of headcount.")),
    )
    trailing = scope.trailing(12)
    trend_rows = [r for r in history if r["month"] >= trailing and r["adoption_rate"] is not None]
    started = held_initiatives(conn, scope)
    band, forecast_note = _forecast_band(history, scope, trend_rows)
    goals = _goals(conn, scope)
    trend = (Chart(charts.rate_lines, (trend_rows, {"adoption_rate": "Adoption", "contribution_rate": "Contribution"},
                                       "Adoption and contribution, last 12 months, and the next 6"
                                       if band else "Adoption and contribution, last 12 months"),
                   {"references": benchmarks.lines(references, "adoption_rate", "contribution_rate"),
                    "initiatives": initiative_marks(started, [r["month"] for r in trend_rows]), "forecasts": band,
                    "targets": tuple({"month": p.target.by, "target": p.target.value,
                                      "goal": f"{p.target.metric.capitalize()} target {p.target.value:.0%}"}
                                     for p in goals if not p.passed)})
             if trend_rows else None)
    effects = () if scope.limited_to is not None else tuple(  # each compares departments of the whole organisation
        f"{i.name}: " + initiatives.effect(conn, i, "adoption", until=scope.month, min_group=scope.min_group).sentence
        for i in started if i.start <= scope.month)
    if scope.limited_to is not None:  # the KPIs are the organisation's: not a figure of the viewer's departments
        rates = rates[:4]
    shown = [d for d in by_department if d["adoption_rate"] is not None]
    by_department_chart = (Chart(charts.bars, (shown, "group", "adoption_rate",
                                               f"Adoption by department, {scope.month:%B %Y}", scope.min_group),
                                 {"category_title": "Department"}) if shown else None)
    moved = tuple(Mover(m["department"], percent(m["adoption_rate"]), points(m["change"]))
                  for m in adoption.movers(conn, scope.month, scope.compare_to, scope.filters, scope.min_group))
    movers = movers_note = None
    if moved:
        movers = Table(pd.DataFrame([{"Department": m.department, "Adoption": m.adoption,
                                      f"Change vs {scope.compare_to:%b %Y}": m.change} for m in moved]),
                       "departments-that-moved-most")
    else:
        movers_note = (f"Needs adoption for {scope.month:%B %Y} and {scope.compare_to:%B %Y} in departments of at "
                       f"least {scope.min_group} people.")
    goal_tiles = tuple(Tile(p.target.label, percent(p.current), _course(p), p.sentence, delta_color="off")
                       for p in goals)
    return Overview(scope.month, scope.compare_to, None, stage, headline, " ".join(notes), rates, counts, trend,
                    by_department_chart, moved, movers, movers_note, goal_tiles, forecast_note, effects,
                    needs_attention, alerts_note, whole)


def _needs_attention(conn, scope: Scope, rubric: stages.Rubric | None, stage: StageSummary | None,
                     today: dt.date | None) -> tuple[tuple[alerts.Alert, ...], str | None]:
    """The month's alerts, whatever the filters (like the stage): limited only by the departments the viewer may
    see (scope.limited_to). The stage's placement is passed in, so the month is placed once."""
    try:
        rules = alerts.rules()
    except stages.RubricError as error:
        return (), f"No alerts: {error}"
    if rubric is None:  # no rubric, no stage to compare
        rules = {name: chosen for name, chosen in rules.items()
                 if name not in (alerts.STAGE_FELL, alerts.CRITERION_LOST)}
    found = alerts.alerts(conn, scope.month, rules, scope.limited_to, today=today,
                          placement=stage.placement if stage else None, rubric_in_force=rubric,
                          min_group=scope.min_group)
    return tuple(found), None


BAND_MONTHS = 6  # how far the Overview's trend draws the forecast


def _forecast_band(history: list[dict], scope: Scope, trend_rows: list[dict]) -> tuple[tuple[dict, ...], str | None]:
    """The adoption and contribution forecasts for the scope as charts.forecast_band draws them, each starting
    from its last actual month so the band joins the line; or why there is none (docs/metrics.md#forecasts)."""
    if not trend_rows or trend_rows[-1]["month"] != scope.month:
        return (), f"No forecast: {scope.month:%B %Y} has no adoption figure to forecast from."
    band, reasons = [], []
    for metric, column in forecasts.METRICS.items():
        prediction = forecasts.of_rows(history, metric, BAND_MONTHS)
        last = trend_rows[-1][column]
        if not prediction.points or last is None:
            reasons.append(f"{metric.capitalize()} has {prediction.reason or 'no forecast'}.")
            continue
        label = f"{metric.capitalize()} forecast"
        band.append({"month": scope.month, "measure": label, "forecast": last, "lo80": last, "hi80": last})
        band += [{"month": p.month, "measure": label, "forecast": p.value, "lo80": p.lo80, "hi80": p.hi80}
                 for p in prediction.points]
    note = " ".join(reasons) if reasons else None
    if band:
        note = ((note + " ") if note else "") + ("The shaded band is the forecast's 80% range "
                                                 "(docs/metrics.md#forecasts).")
    return tuple(band), note


def _goals(conn, scope: Scope) -> list[targets.Progress]:
    """The targets of this scope: the organisation's when nothing is filtered, a department's when exactly that
    department is."""
    filters = scope.filters
    if filters.regions or filters.units or filters.tool or filters.as_then or len(filters.departments) > 1:
        return []
    wanted = filters.departments[0] if filters.departments else None
    return [targets.progress(conn, t, scope.min_group, until=scope.month) for t in targets.held(conn)
            if t.department == wanted]


def _course(progress: targets.Progress) -> str | None:
    if progress.passed:
        return None if progress.at_target_month is None else "met" if progress.met else "missed"
    if progress.met:
        return "met"
    if progress.on_course is None:
        return None
    return f"{'on' if progress.on_course else 'off'} course, {progress.chance:.0%} likely"
