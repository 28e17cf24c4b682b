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
    pass_share: float = 1.0
    min_group_size: int = 5
    adoption_bar: float = 0.30
    coe_pitfall_share: float = 0.30

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


def _setting(name: str, settings: dict, default, low, high, where: str, whole: bool = False):
    raw = settings.get(name, default)
    value = _number(raw)
    if value is None or not low <= value <= high or (whole and value != int(value)):
        kind = "a whole number" if whole else "a number"
        raise RubricError(f"{where}: settings.{name} = {raw!r} must be {kind} from {low} to {high}.")
    return int(value) if whole else value


def parse(raw: dict, path: Path | str = "rubric") -> Rubric:
    """Validate a rubric read from TOML. Raises RubricError naming the file and the entry at fault."""
    where = _shown_path(Path(path))
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise RubricError(f"{where}: [settings] must be a table.")
    pass_share = _setting("pass_share", settings, 1.0, 0.01, 1.0, where)
    group = _setting("min_group_size", settings, 5, 1, 1_000_000, where, whole=True)
    bar = _setting("adoption_bar", settings, 0.30, 0.0, 1.0, where)
    pitfall = _setting("coe_pitfall_share", settings, 0.30, 0.0, 1.0, where)

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
    return Rubric(where, tuple(stages), tuple(criteria), pass_share, group, bar, pitfall)


def load(path: Path | str | None = None) -> Rubric:
    """The rubric in force (DASHBOARD_RUBRIC, else data/stages.toml), validated.

    The minimum group size honours DASHBOARD_MIN_GROUP_SIZE, as every page does.
    """
    path = Path(path or rubric_path())
    stamp, raw = _kept(path)
    validated = _validated.get(str(path))
    if validated is None or validated[0] != stamp:  # a Rubric is immutable: validated once per version of the file
        validated = _validated[str(path)] = (stamp, parse(raw, path))
    rubric = validated[1]
    if os.environ.get("DASHBOARD_MIN_GROUP_SIZE"):
        rubric = replace(rubric, min_group_size=min_group_size(path))
    return rubric


def checklist_ids(path: Path | None = None) -> list[str]:
    """Ids of the criteria answered yes/no on the checklist."""
    return [c["id"].lower() for c in _toml(path).get("criteria", [])
            if c.get("measure") == CHECKLIST]


def min_group_size(path: Path | None = None) -> int:
    """Smallest group any view may show: DASHBOARD_MIN_GROUP_SIZE, else the rubric's setting, else 5."""
    if os.environ.get("DASHBOARD_MIN_GROUP_SIZE"):
        return max(1, int(os.environ["DASHBOARD_MIN_GROUP_SIZE"]))
    return int(_toml(path).get("settings", {}).get("min_group_size", 5))


def pitfall_share(path: Path | None = None) -> float:
    """Above this share of posts and replies written by champions, the CoE page flags the CoE pitfall."""
    if os.environ.get("DASHBOARD_PITFALL_SHARE"):
        return float(os.environ["DASHBOARD_PITFALL_SHARE"])
    return float(_toml(path).get("settings", {}).get("coe_pitfall_share", 0.30))
