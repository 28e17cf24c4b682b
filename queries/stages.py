"""Stage placement: the rubric evaluated for a month over the existing metric queries, with its evidence, the gaps
to the next stage, a projection for each gap, and the stage month by month."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Callable

import duckdb

from . import adoption, alignment, checklist, metrics, named, participation
from .rubric import CHECKLIST_NEEDS, MEASURES, Criterion, Rubric, RubricError, Stage, load  # noqa: F401

MET, NOT_MET, NO_DATA = "met", "not_met", "no_data"
STATUS_LABELS = {MET: "met", NOT_MET: "not met", NO_DATA: "no data"}
NOT_STARTED = Stage(0, "Not started", "Set up listening")
TREND_MONTHS = 6  # projections follow the least-squares trend of the last six months
MIN_TREND_POINTS = 3  # fewer months than this with a value make no trend worth projecting
_TOLERANCE = 1e-9  # a value computed as exactly the threshold (e.g. 3 / 10 against 0.30) counts as reaching it

# Measures read straight from the headline metrics (metrics.sql); the others are assembled in measure_values().
_HEADLINE = ("adoption_rate", "contribution_rate", "active_communities", "responses_per_post", "champion_coverage",
             "champions_per_1000", "training_reach", "leadership_participation", "kpis_on_target_share")


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's evidence for the month."""

    id: str
    stage: int
    label: str
    measure: str
    status: str  # met, not_met, no_data
    value: float | bool | None  # a checklist criterion's value is its answer (True = yes)
    threshold: float | bool | None  # a checklist criterion's threshold is True (yes)
    comparison: str | None
    hint: str
    needs: str | None  # the upload or answer that would provide a value, when there is none
    unit: str  # presence, count, share, ratio, per_1000, correlation, or checklist

    @property
    def met(self) -> bool:
        return self.status == MET

    @property
    def is_checklist(self) -> bool:
        return self.measure == "checklist"


@dataclass(frozen=True)
class Projection:
    """When an unmet metric criterion would be met if the last six months' trend went on. A projection, not a plan."""

    criterion: str
    months: int | None  # None: not at the current pace, or no data to project from
    slope: float | None  # change per month
    points: int  # months with a value in the trend window
    reason: str = ""
    forecast: str = ""  # for adoption and contribution: when the forecast reaches the threshold (forecasts.Reach)

    @property
    def text(self) -> str:
        if self.months is not None:
            return f"in about {self.months} month{'s' if self.months != 1 else ''}"
        return self.reason or "not at the current pace"


@dataclass(frozen=True)
class StageResult:
    number: int
    name: str
    motto: str
    met: int
    total: int
    passes: bool


@dataclass(frozen=True)
class StagePlacement:
    """Where the organisation stands in a month, and why."""

    month: dt.date
    stage: int
    stage_name: str
    motto: str
    top: int  # the last stage of the rubric (6)
    pass_share: float
    stages: tuple[StageResult, ...]
    criteria: tuple[CriterionResult, ...]
    next_stage_gaps: tuple[str, ...]
    projections: dict[str, Projection] = field(default_factory=dict)

    @property
    def next_stage(self) -> StageResult | None:
        return next((s for s in self.stages if s.number == self.stage + 1), None)

    @property
    def gaps(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.id in self.next_stage_gaps]

    def criterion(self, criterion_id: str) -> CriterionResult:
        return next(c for c in self.criteria if c.id == criterion_id)

    def of_stage(self, number: int) -> list[CriterionResult]:
        return [c for c in self.criteria if c.stage == number]

    def as_json(self) -> dict:
        """The CLI's JSON: month, stage, stage_name, criteria (with projection_months) and next_stage_gaps."""
        def plain(value, unit):
            if isinstance(value, bool) or value is None:
                return value
            whole = unit in ("count", "presence") and float(value).is_integer()
            return int(value) if whole else float(value)

        criteria = []
        for c in self.criteria:
            projection = self.projections.get(c.id)
            criteria.append({"id": c.id, "stage": c.stage, "label": c.label, "status": c.status,
                             "value": plain(c.value, c.unit), "threshold": plain(c.threshold, c.unit),
                             "projection_months": projection.months if projection else None})
        return {"month": self.month.strftime("%Y-%m"), "stage": self.stage, "stage_name": self.stage_name,
                "criteria": criteria, "next_stage_gaps": list(self.next_stage_gaps)}


# --- Measured values ----------------------------------------------------------------------------------------------
def _shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    count = (last.year - first.year) * 12 + last.month - first.month
    return [_shift(first, i) for i in range(count + 1)]


def reaches(value: float, threshold: float, comparison: str = ">=") -> bool:
    if comparison == "<=":
        return value <= threshold + _TOLERANCE
    return value >= threshold - _TOLERANCE


def measure_values(conn: duckdb.DuckDBPyConnection, from_month, to_month,
                   rubric: Rubric | None = None) -> dict[dt.date, dict[str, float | None]]:
    """Every rubric measure for each calendar month from `from_month` to `to_month`, over the whole organisation.

    A measure without data is None. Values come from the shared metric queries; nothing here is a second
    definition of a metric, only which of their values each measure takes. A handful of queries whatever the
    range (each for every month at once): planning a query costs more than the little it reads.
    """
    rubric = rubric or load()
    first, last = metrics.as_month(from_month), metrics.as_month(to_month)
    if first > last:
        return {}
    months = _months_between(first, last)
    params = {"from_month": first, "to_month": last}
    # The placement is organisation-wide, never about a group a filter chose, so the whole organisation counts
    # whatever its size (docs/metrics.md#minimum-group-size).
    headline = {r["month"]: r for r in metrics.org_months(conn, _shift(first, -(TREND_MONTHS - 1)), last,
                                                          min_group=1)}
    inputs = {r["month"]: r for r in named.rows(conn, "stages.month_inputs", params)}
    department_rates: dict[dt.date, list[float]] = {}
    for row in adoption.by_dimension(conn, "department", first, last, metrics.ALL, rubric.min_group_size):
        if not row["suppressed"] and row["adoption_rate"] is not None:
            department_rates.setdefault(row["month"], []).append(float(row["adoption_rate"]))
    wants_correlation = any(c.measure == "best_kpi_correlation" for c in rubric.criteria)
    correlations: dict[dt.date, list[float]] = {}
    if wants_correlation:
        for kpi in alignment.correlations_by_month(conn, first, last, rubric.min_group_size):
            if kpi["correlation"] is not None:
                correlations.setdefault(kpi["month"], []).append(kpi["correlation"])

    # Read only when a criterion uses it (the default rubric does not): docs/rubric-example.toml.
    habitual: dict[dt.date, float | None] = {}
    if any(c.measure == "habitual_share" for c in rubric.criteria):
        for row in participation.segments_by_month(conn, first, last, min_group=1):
            habitual[row["month"]] = (row["habitual"] / row["headcount"]
                                      if row["habitual"] is not None and row["headcount"] else None)

    values = {}
    for month in months:
        row = {key: headline.get(month, {}).get(key) for key in _HEADLINE}
        found = inputs.get(month) or {}
        row["activity_uploaded"] = 1 if found.get("activity_uploaded") else None
        row["roster_applies"] = 1 if found.get("roster_applies") else None
        row["kpis_with_target"] = found.get("kpis_with_target")
        row["kpis_with_objective"] = found.get("kpis_with_objective")
        rates = department_rates.get(month, [])
        row["breadth"] = (sum(reaches(r, rubric.adoption_bar) for r in rates) / len(rates)) if rates else None
        row["lowest_department_adoption"] = min(rates) if rates else None
        window = [headline.get(_shift(month, -i), {}).get("adoption_rate") for i in range(TREND_MONTHS)]
        row["min_adoption_6_months"] = min(window) if all(v is not None for v in window) else None
        best = correlations.get(month) if month in headline else None
        row["best_kpi_correlation"] = max(best) if best else None
        row["habitual_share"] = habitual.get(month)
        values[month] = row
    return values


def checklist_answers(conn: duckdb.DuckDBPyConnection, month) -> dict[str, bool]:
    """{criterion id: answered yes} holding in the month (the latest answer given for it or an earlier month)."""
    return _answered_yes(checklist.answers_as_of(conn, month))


def _answered_yes(answers: dict[str, dict]) -> dict[str, bool]:
    return {key: bool(row["answer"]) for key, row in answers.items()}


# --- Evaluation (pure: values in, placement out) -----------------------------------------------------------------
def judge(criterion: Criterion, value, answer: bool | None = None) -> CriterionResult:
    """One criterion against its threshold. No value is no data, which counts as not met."""
    if criterion.is_checklist:
        status = NO_DATA if answer is None else (MET if answer else NOT_MET)
        return CriterionResult(criterion.id, criterion.stage, criterion.label, criterion.measure, status, answer,
                               True, None, criterion.hint, CHECKLIST_NEEDS if answer is None else None, "checklist")
    measure = MEASURES[criterion.measure]
    if value is None:
        status = NO_DATA
    else:
        status = MET if reaches(float(value), criterion.threshold, criterion.comparison) else NOT_MET
    return CriterionResult(criterion.id, criterion.stage, criterion.label, criterion.measure, status, value,
                           criterion.threshold, criterion.comparison, criterion.hint,
                           measure.needs if value is None else None, measure.unit)


def project(criterion: Criterion, series: list[tuple[dt.date, float | None]]) -> Projection:
    """Months until the criterion's threshold at the least-squares pace of the series (the last six months).

    Counted from the latest month's value and rounded up. None when the latest month has no value, when fewer
    than three months have one, or when the trend is flat or moving away from the threshold.
    """
    points = [(m.year * 12 + m.month, float(v)) for m, v in series if v is not None]
    current = series[-1][1] if series else None
    if current is None:
        return Projection(criterion.id, None, None, len(points), "no data to project from")
    if len(points) < MIN_TREND_POINTS:
        return Projection(criterion.id, None, None, len(points), "not enough months of data to project")
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in points)
             / sum((x - mean_x) ** 2 for x, _ in points))
    direction = -1 if criterion.comparison == "<=" else 1
    pace = slope * direction
    remaining = (criterion.threshold - float(current)) * direction
    if pace <= _TOLERANCE:
        return Projection(criterion.id, None, slope, len(points), "not at the current pace")
    # rounded before ceil so that floating-point noise (5.0000000001 months) does not add a month
    return Projection(criterion.id, max(1, math.ceil(round(remaining / pace, 6))), slope, len(points))


def place(month, rubric: Rubric, values: dict[str, float | None], answers: dict[str, bool],
          trend: dict[dt.date, dict[str, float | None]] | None = None) -> StagePlacement:
    """The placement for one month from its measured values and checklist answers.

    Stage N when stages 1…N all pass; a stage passes when its share of met criteria reaches pass_share.
    With `trend` (values for the months before, as measure_values gives them), each unmet metric criterion
    of the next stage gets a projection.
    """
    month = metrics.as_month(month)
    results = tuple(judge(c, values.get(c.measure), answers.get(c.id)) for c in rubric.criteria)
    stages = []
    for stage in rubric.stages:
        own = [r for r in results if r.stage == stage.number]
        met = sum(r.met for r in own)
        passes = bool(own) and met / len(own) >= rubric.pass_share - _TOLERANCE
        stages.append(StageResult(stage.number, stage.name, stage.motto, met, len(own), passes))
    reached = 0
    for stage in stages:
        if not stage.passes:
            break
        reached = stage.number
    current = rubric.stage(reached) or NOT_STARTED
    gaps = tuple(r.id for r in results if r.stage == reached + 1 and not r.met)
    projections = {}
    if trend is not None:
        window = [_shift(month, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
        for criterion in rubric.criteria:
            if criterion.id in gaps and not criterion.is_checklist and MEASURES[criterion.measure].projectable:
                series = [(m, (trend.get(m) or {}).get(criterion.measure)) for m in window]
                series[-1] = (month, values.get(criterion.measure))
                projections[criterion.id] = project(criterion, series)
    return StagePlacement(month, reached, current.name, current.motto, rubric.top, rubric.pass_share,
                          tuple(stages), results, gaps, projections)


# --- Over the warehouse --------------------------------------------------------------------------------------------
def _inputs(conn: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, rubric: Rubric):
    """Measured values (from the five months before `first` on: a projection looks back over them) and the
    checklist answers of every month from `first` to `last`, each read once for all the months."""
    values = measure_values(conn, _shift(first, -(TREND_MONTHS - 1)), last, rubric)
    answers = {month: _answered_yes(held) for month, held in checklist.answers_by_month(conn, first, last).items()}
    return values, answers


def _stage_rows(held: list[dt.date], rubric: Rubric, values: dict, answers: dict) -> list[dict]:
    rows = []
    for month in held:
        placement = place(month, rubric, values[month], answers.get(month, {}))
        rows.append({"month": month, "stage": placement.stage, "stage_name": placement.stage_name})
    return rows


def _held(conn: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date) -> list[dt.date]:
    return [m for m in metrics.months(conn) if first <= m <= last]


def evaluate(conn: duckdb.DuckDBPyConnection, month, rubric: Rubric | None = None) -> StagePlacement:
    """Where the organisation stands in `month`: stage, evidence, gaps to the next stage and projections."""
    rubric = rubric or load()
    month = metrics.as_month(month)
    values, answers = _inputs(conn, month, month, rubric)
    return with_forecasts(conn, place(month, rubric, values[month], answers.get(month, {}), trend=values), rubric)


def measured(conn: duckdb.DuckDBPyConnection, month, rubric: Rubric | None = None) -> StagePlacement:
    """Where the organisation stood in `month` from its measures and answers alone, without projections or
    forecasts: what the alerts compare a month's placement with (docs/metrics.md#alerts)."""
    rubric = rubric or load()
    month = metrics.as_month(month)
    values = measure_values(conn, month, month, rubric)
    return place(month, rubric, values[month], checklist_answers(conn, month))


# How far ahead a projection looks for the threshold in the forecast (docs/metrics.md#forecasts).
PROJECTION_MONTHS = 24


def with_forecasts(conn: duckdb.DuckDBPyConnection, placement: StagePlacement, rubric: Rubric) -> StagePlacement:
    """The placement with each adoption or contribution projection given the forecast's month and 80% range; a
    history too short for a forecast keeps the straight-line projection alone."""
    from . import forecasts

    measured = {key: metric for metric, key in forecasts.METRICS.items()}
    projections = dict(placement.projections)
    for criterion in rubric.criteria:
        metric = measured.get(criterion.measure)
        if metric is None or criterion.id not in projections:
            continue
        prediction = forecasts.of_metric(conn, metric, PROJECTION_MONTHS, until=placement.month)
        if prediction.points:
            reached = forecasts.reach(prediction, float(criterion.threshold), criterion.comparison != "<=")
            projections[criterion.id] = dataclasses.replace(projections[criterion.id], forecast=reached.text)
    return dataclasses.replace(placement, projections=projections)


def history(conn: duckdb.DuckDBPyConnection, from_month, to_month, rubric: Rubric | None = None) -> list[dict]:
    """The stage of every month held from `from_month` to `to_month`: [{month, stage, stage_name}]."""
    rubric = rubric or load()
    held = _held(conn, metrics.as_month(from_month), metrics.as_month(to_month))
    if not held:
        return []
    values, answers = _inputs(conn, held[0], held[-1], rubric)
    return _stage_rows(held, rubric, values, answers)


def standing(conn: duckdb.DuckDBPyConnection, from_month, month,
             rubric: Rubric | None = None) -> tuple[StagePlacement, list[dict]]:
    """evaluate(month) and history(from_month, month) together, from one read of the measures and answers.

    The Where we stand page shows both; apart they would read the same months' metrics twice.
    """
    rubric = rubric or load()
    first, month = metrics.as_month(from_month), metrics.as_month(month)
    held = _held(conn, first, month)
    values, answers = _inputs(conn, held[0] if held else month, month, rubric)
    placement = with_forecasts(conn, place(month, rubric, values[month], answers.get(month, {}), trend=values), rubric)
    return placement, _stage_rows(held, rubric, values, answers)


def first_reached(rows: list[dict], rubric: Rubric | None = None) -> list[dict]:
    """For each stage, the first month of the history at that stage or higher (None if never reached)."""
    rubric = rubric or load()
    found = []
    for stage in rubric.stages:
        month = next((r["month"] for r in rows if r["stage"] >= stage.number), None)
        found.append({"stage": stage.number, "stage_name": stage.name, "first_reached": month})
    return found


# --- Values in words (shared by the pages and the CLI) ------------------------------------------------------------
def shown(unit: str, value) -> str:
    """A measured value or threshold as people read it: 30%, 3, 1.5, +0.30, yes."""
    if value is None:
        return "no data"
    if unit in ("checklist", "presence"):
        return "yes" if value else "no"
    value = float(value)
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "count":
        return f"{value:.0f}"
    if unit == "correlation":
        return f"{value:+.2f}"
    return f"{value:.1f}"


def shown_threshold(result: CriterionResult) -> str:
    if result.is_checklist or result.unit == "presence":
        return "yes"
    sign = "≤" if result.comparison == "<=" else "≥"
    return f"{sign} {shown(result.unit, result.threshold)}"


@dataclass(frozen=True)
class GapWords:
    """An unmet criterion of the next stage in words: the Where we stand page, the Overview, the brief, the digest and
    the CLI all take them from here, so an edge never words a gap a second way."""

    title: str  # "5e · Executive sponsor"
    measured: str  # the short form, in a list: "12%, needs ≥ 15%", "no, needs yes" or "no data"
    status: str  # "Now 12%, needs ≥ 15%.", "No data yet. Upload ….", "Answered no on the checklist."
    action: str | None  # the criterion's hint: what would improve it
    projection: str | None  # "Projection, from the trend of the last 6 months (not a forecast): met in about 4 months."

    @property
    def line(self) -> str:
        """The whole gap on one line of plain text (the brief, the digest, the CLI)."""
        action = self.action.rstrip(".") + "." if self.action else None
        return " ".join(part for part in (f"{self.title}:", self.status, action, self.projection) if part)


def gap_words(gap: CriterionResult, projection: Projection | None = None,
              escape: Callable[[str], str] = str) -> GapWords:
    """The gap and its projection in words; `escape` applies to the rubric's own text (labels, hints, needs), e.g.
    for Markdown on a page."""
    if gap.status == NO_DATA:
        measured = "no data"
        status = f"No data yet. {escape(gap.needs)}." if gap.needs else "No data yet."
    else:
        measured = f"{shown(gap.unit, gap.value)}, needs {shown_threshold(gap)}"
        status = ("Answered no on the checklist." if gap.is_checklist
                  else f"Now {shown(gap.unit, gap.value)}, needs {shown_threshold(gap)}.")
    if projection and projection.forecast:
        outlook = f"Forecast: {projection.forecast}."
    else:
        outlook = None
        if projection and projection.months is not None:
            outlook = (f"Projection, from the trend of the last {TREND_MONTHS} months (not a forecast): met "
                       f"{projection.text}.")
        elif projection:
            outlook = f"Projection: {projection.text}."
    return GapWords(f"{gap.id} · {escape(gap.label)}", measured, status, escape(gap.hint) if gap.hint else None,
                    outlook)
