"""The stage rubric file: loading and validating it, the measures a criterion may use, and its settings."""
from __future__ import annotations

import copy
import math
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUBRIC = PROJECT_ROOT / "data" / "stages.toml"

CHECKLIST = "checklist"
COMPARISONS = (">=", "<=")


@dataclass(frozen=True)
class Setting:
    """A threshold of the rubric's [settings] table: its default, its allowed range, and the environment variable
    that overrides it, if any (README#configuration, docs/metrics.md#settings)."""

    name: str
    default: float
    low: float
    high: float
    whole: bool = False
    environment: str | None = None

    def kind(self) -> str:
        return "a whole number" if self.whole else "a number"


# Each threshold is defined here once; everything else reads it through load(), min_group_size() or pitfall_share().
PASS_SHARE = Setting("pass_share", 1.0, 0.01, 1.0)
MIN_GROUP_SIZE = Setting("min_group_size", 5, 1, 1_000_000, whole=True, environment="DASHBOARD_MIN_GROUP_SIZE")
ADOPTION_BAR = Setting("adoption_bar", 0.30, 0.0, 1.0)
COE_PITFALL_SHARE = Setting("coe_pitfall_share", 0.30, 0.0, 1.0, environment="DASHBOARD_PITFALL_SHARE")
SETTINGS = (PASS_SHARE, MIN_GROUP_SIZE, ADOPTION_BAR, COE_PITFALL_SHARE)


@dataclass(frozen=True)
class Measure:
    """What a criterion can measure: how its values read (`unit`), and which upload provides it when it has no data."""

    name: str
    unit: str  # presence, count, share, ratio, per_1000, correlation
    needs: str
    projectable: bool = True  # presence measures are there or not: no trend to project


_MEASURES = (
    Measure("activity_uploaded", "presence",
            "Upload this month's activity export (Viva Engage, Teams or Slack)", projectable=False),
    Measure("roster_applies", "presence", "Upload the HR roster (roster.csv)", projectable=False),
    Measure("kpis_with_target", "count", "Upload kpis.csv with targets for this month"),
    Measure("kpis_with_objective", "count", "Upload kpis.csv with targets and objectives for this month"),
    Measure("adoption_rate", "share", "Upload the HR roster and this month's activity export"),
    Measure("contribution_rate", "share", "Upload the HR roster and this month's activity export with posts and "
            "replies (the Teams export from before March 2022 has none)"),
    Measure("active_communities", "count", "Upload this month's communities export (communities.csv)"),
    Measure("responses_per_post", "ratio", "Upload this month's activity export with posts, replies and reactions"),
    Measure("champion_coverage", "share", "Upload the champion register (champions.csv) and the HR roster"),
    Measure("champions_per_1000", "per_1000", "Upload the champion register (champions.csv) and the HR roster"),
    Measure("training_reach", "share", "Upload training attendance (training.csv) for the last 12 months"),
    Measure("leadership_participation", "share",
            "Upload a roster that marks executives (level = executive) and this month's activity export"),
    Measure("breadth", "share",
            "Upload the HR roster and this month's activity export (departments of at least the minimum group size)"),
    Measure("kpis_on_target_share", "share", "Upload kpis.csv with targets for this month"),
    Measure("best_kpi_correlation", "correlation",
            "Upload department-level KPI values in kpis.csv for at least 5 departments of at least the minimum "
            "group size"),
    Measure("min_adoption_6_months", "share",
            "Upload the HR roster and activity for each of the 6 months ending in this month"),
    Measure("lowest_department_adoption", "share",
            "Upload the HR roster and this month's activity export (departments of at least the minimum group size)"),
    # Not in the default rubric: an optional criterion of the example in docs/rubric-example.toml.
    Measure("habitual_share", "share",
            "Upload the HR roster and activity for this month and the two before it"),
)
MEASURES: dict[str, Measure] = {m.name: m for m in _MEASURES}
CHECKLIST_NEEDS = "Answer it on the checklist (Where we stand page) or upload checklist.csv"


class RubricError(ValueError):
    """The rubric file cannot be used; the message names the file and the entry at fault."""


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    motto: str


@dataclass(frozen=True)
class Criterion:
    id: str
    stage: int
    label: str
    measure: str
    comparison: str | None  # None for checklist criteria
    threshold: float | None  # None for checklist criteria
    hint: str

    @property
    def is_checklist(self) -> bool:
        return self.measure == CHECKLIST


@dataclass(frozen=True)
class Rubric:
    path: str
    stages: tuple[Stage, ...]
    criteria: tuple[Criterion, ...]
    pass_share: float = PASS_SHARE.default
    min_group_size: int = MIN_GROUP_SIZE.default
    adoption_bar: float = ADOPTION_BAR.default
    coe_pitfall_share: float = COE_PITFALL_SHARE.default

    def stage(self, number: int) -> Stage | None:
        return next((s for s in self.stages if s.number == number), None)

    def of_stage(self, number: int) -> list[Criterion]:
        return [c for c in self.criteria if c.stage == number]

    @property
    def top(self) -> int:
        return max(s.number for s in self.stages)


def rubric_path() -> Path:
    return Path(os.environ.get("DASHBOARD_RUBRIC") or DEFAULT_RUBRIC)


def _shown_path(path: Path) -> str:
    """The file as people know it: relative to the project when it lives there."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


_parsed: dict[str, tuple[tuple, dict]] = {}
_validated: dict[str, tuple[tuple, Rubric]] = {}
_validated_settings: dict[str, tuple[tuple, dict]] = {}


def _kept(path: Path) -> tuple[tuple, dict]:
    """(the file's stamp, its TOML), parsed again only when the file changed on disk. Every page run asks for the
    rubric and its settings, so they are read from here; the TOML is shared, so callers only read it."""
    try:
        found = os.stat(path)
        stamp = (found.st_ino, found.st_size, found.st_mtime_ns)
        kept = _parsed.get(str(path))
        if kept is None or kept[0] != stamp:
            with open(path, "rb") as handle:
                kept = _parsed[str(path)] = (stamp, tomllib.load(handle))
        return kept
    except FileNotFoundError:
        raise RubricError(f"{_shown_path(path)}: the rubric file does not exist (check DASHBOARD_RUBRIC).") from None
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{_shown_path(path)}: not valid TOML: {error}.") from None


def _toml(path: Path | str | None = None) -> dict:
    """The rubric file as TOML, shared: to read a setting without copying the whole file."""
    return _kept(Path(path or rubric_path()))[1]


def load_raw(path: Path | None = None) -> dict:
    """The rubric file as TOML, a copy the caller may change."""
    return copy.deepcopy(_toml(path))


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _check_threshold(where: str, measure: Measure, raw) -> float:
    if raw is None:
        raise RubricError(f"{where}: threshold is missing; give a number (rates as fractions, 30% = 0.30).")
    value = _number(raw)
    if value is None:
        raise RubricError(f"{where}: threshold {raw!r} is not a number (rates as fractions, 30% = 0.30).")
    if measure.unit in ("share", "presence") and not 0 <= value <= 1:
        raise RubricError(f"{where}: threshold {raw!r} for {measure.name} must be between 0 and 1 "
                          f"(a share: write 30% as 0.30).")
    if measure.unit == "correlation" and not -1 <= value <= 1:
        raise RubricError(f"{where}: threshold {raw!r} for {measure.name} must be between -1 and 1.")
    if value < 0 and measure.unit != "correlation":
        raise RubricError(f"{where}: threshold {raw!r} for {measure.name} cannot be negative.")
    return value


def _text(where: str, entry: dict, key: str, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RubricError(f"{where}: {key} is missing or not text.")
    return value.strip()


def _in_range(setting: Setting, value):
    """The value as the setting holds it, or None when it is not a number in the setting's range."""
    value = _number(value)
    if value is None or not setting.low <= value <= setting.high or (setting.whole and value != int(value)):
        return None
    return int(value) if setting.whole else value


def _setting(setting: Setting, settings: dict, where: str):
    raw = settings.get(setting.name, setting.default)
    value = _in_range(setting, raw)
    if value is None:
        raise RubricError(f"{where}: settings.{setting.name} = {raw!r} must be {setting.kind()} from {setting.low} "
                          f"to {setting.high}.")
    return value


def _settings(raw: dict, where: str) -> dict:
    """The [settings] table validated: every setting by name, its default where the file leaves it out."""
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise RubricError(f"{where}: [settings] must be a table.")
    return {s.name: _setting(s, settings, where) for s in SETTINGS}


def overridden(setting: Setting):
    """The setting's environment override, range-checked, or None when the variable is unset or empty."""
    raw = os.environ.get(setting.environment) if setting.environment else None
    if not raw:
        return None
    try:
        value = _in_range(setting, float(raw))
    except ValueError:
        value = None
    if value is None:
        raise RubricError(f"{setting.environment} = {raw!r} must be {setting.kind()} from {setting.low} to "
                          f"{setting.high} (it overrides settings.{setting.name} of the rubric).")
    return value


def parse(raw: dict, path: Path | str = "rubric") -> Rubric:
    """Validate a rubric read from TOML. Raises RubricError naming the file and the entry at fault."""
    where = _shown_path(Path(path))
    settings = _settings(raw, where)

    stages = []
    for index, entry in enumerate(raw.get("stages", []), start=1):
        number = entry.get("number") if isinstance(entry, dict) else None
        here = f"{where}: stage {number if number is not None else f'#{index}'}"
        if not isinstance(entry, dict) or isinstance(number, bool) or not isinstance(number, int):
            raise RubricError(f"{here}: number is missing or not a whole number.")
        stages.append(Stage(number, _text(here, entry, "name"), _text(here, entry, "motto", required=False)))
    if not stages:
        raise RubricError(f"{where}: no [[stages]] entries; list stages 1 to 6 with a name and a motto.")
    numbers = [s.number for s in stages]
    if sorted(numbers) != list(range(1, len(stages) + 1)):
        raise RubricError(f"{where}: stage numbers {numbers} must run 1, 2, 3 … without gaps or repeats.")
    stages.sort(key=lambda s: s.number)

    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw.get("criteria", []), start=1):
        if not isinstance(entry, dict):
            raise RubricError(f"{where}: criterion #{index} must be a [[criteria]] table.")
        raw_id = entry.get("id")
        if not isinstance(raw_id, str) or not raw_id.strip():
            raise RubricError(f"{where}: criterion #{index}: id is missing or not text.")
        criterion_id = raw_id.strip().lower()
        here = f"{where}: criterion {criterion_id}"
        if criterion_id in seen:
            raise RubricError(f"{here}: duplicate id; every criterion needs its own id.")
        seen.add(criterion_id)
        stage = entry.get("stage")
        if isinstance(stage, bool) or stage not in numbers:
            raise RubricError(f"{here}: stage {stage!r} is not one of the stages ({numbers[0]} to {numbers[-1]}).")
        measure = entry.get("measure")
        if measure == CHECKLIST:
            comparison = threshold = None  # a checklist criterion is met by a yes; any threshold is ignored
        elif measure in MEASURES:
            comparison = entry.get("comparison", ">=")
            if comparison not in COMPARISONS:
                raise RubricError(f"{here}: unknown comparison {comparison!r}; use \">=\" or \"<=\".")
            threshold = _check_threshold(here, MEASURES[measure], entry.get("threshold"))
        else:
            raise RubricError(f"{here}: unknown measure {measure!r}; use \"checklist\" or one of: "
                              f"{', '.join(MEASURES)}.")
        criteria.append(Criterion(criterion_id, stage, _text(here, entry, "label"), measure, comparison, threshold,
                                  _text(here, entry, "hint", required=False)))
    for stage in stages:
        if not any(c.stage == stage.number for c in criteria):
            raise RubricError(f"{where}: stage {stage.number} ({stage.name}) has no criteria.")
    return Rubric(where, tuple(stages), tuple(criteria), **settings)


def load(path: Path | str | None = None) -> Rubric:
    """The rubric in force (DASHBOARD_RUBRIC, else data/stages.toml), validated.

    A setting with an environment override (DASHBOARD_MIN_GROUP_SIZE, DASHBOARD_PITFALL_SHARE) takes it, as every
    page does.
    """
    path = Path(path or rubric_path())
    stamp, raw = _kept(path)
    validated = _validated.get(str(path))
    if validated is None or validated[0] != stamp:  # a Rubric is immutable: validated once per version of the file
        validated = _validated[str(path)] = (stamp, parse(raw, path))
    return _with_overrides(validated[1])


def _with_overrides(values):
    """A Rubric, or a dict of settings, with the environment's overrides in place of the file's values."""
    changed = {s.name: value for s in SETTINGS if (value := overridden(s)) is not None}
    if not changed:
        return values
    return replace(values, **changed) if isinstance(values, Rubric) else {**values, **changed}


def checklist_ids(path: Path | None = None) -> list[str]:
    """Ids of the criteria answered yes/no on the checklist."""
    return [c["id"].lower() for c in _toml(path).get("criteria", [])
            if c.get("measure") == CHECKLIST]


def settings(path: Path | str | None = None) -> dict:
    """The rubric's settings, validated, with the environment's overrides: every page reads its thresholds here.
    Only the [settings] table is validated, so a mistake in a criterion stops the stage placement, not every page."""
    path = Path(path or rubric_path())
    stamp, raw = _kept(path)
    validated = _validated_settings.get(str(path))
    if validated is None or validated[0] != stamp:
        validated = _validated_settings[str(path)] = (stamp, _settings(raw, _shown_path(path)))
    return _with_overrides(validated[1])


def min_group_size(path: Path | None = None) -> int:
    """Smallest group any view may show (docs/metrics.md#minimum-group-size)."""
    return settings(path)[MIN_GROUP_SIZE.name]


def pitfall_share(path: Path | None = None) -> float:
    """Above this share of posts and replies written by champions, the CoE page flags the CoE pitfall."""
    return settings(path)[COE_PITFALL_SHARE.name]
