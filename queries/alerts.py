"""Alerts: what changed for the worse in a month, each in one sentence with a link to the view that shows it
(docs/metrics.md#alerts), under the rules of the settings file's [[alerts]] tables."""
from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import adoption, communities, metrics, named, rubric, stages, targets
from .formats import percent, points

DEPARTMENT_DROP, COMMUNITY_DORMANT, STAGE_FELL = "department_drop", "community_dormant", "stage_fell"
CRITERION_LOST, EXPORT_LATE, TARGET_OFF_COURSE = "criterion_lost", "export_late", "target_off_course"

# Each rule's settings, defined once: the [[alerts]] table of a rule may change them (docs/metrics.md#alerts).
RULES: dict[str, tuple[rubric.Setting, ...]] = {
    STAGE_FELL: (),
    CRITERION_LOST: (),
    DEPARTMENT_DROP: (rubric.Setting("drop_points", 5, 0.1, 100),),
    TARGET_OFF_COURSE: (),
    COMMUNITY_DORMANT: (),
    EXPORT_LATE: (rubric.Setting("days_late", 10, 0, 366, whole=True),),
}

# Uploads that are no month's export: renames and address changes are recorded once, not sent every month.
_NOT_EXPORTS = ("departments", "identity_changes")
# Kinds that carry forward (docs/metrics.md#carry-forward): a month not held yet still has them.
_CARRIED = ("roster", "champions", "training")
_LOOK_AHEAD = 1  # months after the latest month held that export_late checks: the next one's uploads never came

# The dashboard's pages by URL path, and the sidebar's URL parameters (app/filters.py reads them on arrival).
OVERVIEW, STAGES, ADOPTION, COMMUNITIES, DATA = "", "stages", "adoption", "communities", "data"


class AlertSettingsError(rubric.RubricError):
    """The settings file's [[alerts]] tables cannot be used; the message names the file, the entry and the setting."""


@dataclass(frozen=True)
class Alert:
    """One thing that needs attention. `value` and `previous` are shares (0 to 1) for a rate; `link` is the page and
    filters that show it, relative to the dashboard's address (e.g. "adoption?dept=Legal&month=2026-06")."""

    rule: str
    department: str | None
    community: str | None
    value: float | int | bool | None
    previous: float | int | bool | None
    message: str
    link: str

    def as_json(self) -> dict:
        """What `python -m queries alerts --json` prints for it."""
        return {"rule": self.rule, "department": self.department, "community": self.community,
                "value": self.value, "previous": self.previous, "message": self.message}

    def url(self, base: str) -> str:
        """The link as an absolute address under the dashboard's address `base`."""
        return urllib.parse.urljoin(base if base.endswith("/") else base + "/", self.link)


def utc_today() -> dt.date:
    """Today's date in UTC: the day late exports are judged on, unless a caller gives its own."""
    return dt.datetime.now(dt.timezone.utc).date()


def _link(page: str, month: dt.date | None = None, **filters) -> str:
    params = ([("month", f"{month:%Y-%m}")] if month else []) + [(k, v) for k, v in filters.items() if v]
    return page + ("?" + urllib.parse.urlencode(params) if params else "")


# --- The rules in force ---------------------------------------------------------------------------------------------

def parse_rules(raw: dict, where: str = "settings") -> dict[str, dict[str, float | int]]:
    """The rules switched on, each with its settings, from a settings file read as TOML. Every rule is on with its
    defaults; an [[alerts]] table names a rule to change its settings or switch it off (`enabled = false`)."""
    entries = raw.get("alerts", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise AlertSettingsError(f"{where}: alerts must be a list of [[alerts]] tables, each with a rule.")
    chosen = {name: {s.name: s.default for s in settings} for name, settings in RULES.items()}
    seen = set()
    for index, entry in enumerate(entries, start=1):
        name = entry.get("rule")
        if name not in RULES:
            raise AlertSettingsError(f"{where}: alerts #{index}: rule = {name!r} is not a rule; use one of "
                                     f"{', '.join(RULES)}.")
        here = f"{where}: alerts #{index} ({name})"
        if name in seen:
            raise AlertSettingsError(f"{here}: the rule is listed twice; keep one [[alerts]] table per rule.")
        seen.add(name)
        known = {s.name: s for s in RULES[name]}
        for key, value in entry.items():
            if key in ("rule",):
                continue
            if key == "enabled":
                if not isinstance(value, bool):
                    raise AlertSettingsError(f"{here}: enabled = {value!r} must be true or false.")
                if not value:
                    chosen.pop(name)
                continue
            setting = known.get(key)
            if setting is None:
                allowed = ", ".join(["enabled", *known])
                raise AlertSettingsError(f"{here}: unknown setting {key!r}; {name} takes {allowed}.")
            checked = rubric._in_range(setting, value)
            if checked is None:
                raise AlertSettingsError(f"{here}: {key} = {value!r} must be {setting.kind()} from {setting.low:g} "
                                         f"to {setting.high:g}.")
            if name in chosen:
                chosen[name][key] = checked
    return chosen


def rules(path: Path | str | None = None) -> dict[str, dict[str, float | int]]:
    """The rules in force, from the settings file (DASHBOARD_RUBRIC, else data/stages.toml)."""
    path = Path(path or rubric.rubric_path())
    return parse_rules(rubric.load_raw(path), rubric._shown_path(path))


def _chosen(given) -> dict[str, dict[str, float | int]]:
    if given is None:
        return rules()
    if isinstance(given, dict):
        return {name: {**parse_rules({})[name], **settings} for name, settings in given.items()}
    return {name: parse_rules({})[name] for name in given}


# --- The rules ---------------------------------------------------------------------------------------------------

def alerts(conn: duckdb.DuckDBPyConnection, month, rules=None, departments=None, *, today: dt.date | None = None,
           placement: stages.StagePlacement | None = None, rubric_in_force: stages.Rubric | None = None,
           min_group: int | None = None) -> list[Alert]:
    """The alerts of `month`, most serious rule first.

    `rules`: the rules to apply, as names or {name: settings} (default: the settings file's). `departments`: the
    departments (as named today) the viewer may see, None for the whole organisation; a viewer limited to
    departments gets their department and target alerts and the late exports, never another department, a community
    or an organisation-wide figure. `today` decides which exports are late. `placement`: the month's stage placement
    when the caller has it (the Overview and the digest place the stage once)."""
    month = metrics.as_month(month)
    chosen = _chosen(rules)
    min_group = metrics.min_group_or_default(min_group)
    today = today or utc_today()
    visible = None if departments is None else set(departments)
    held = metrics.months(conn)
    previous = metrics.previous_month(month)
    found: list[Alert] = []
    if visible is None and (STAGE_FELL in chosen or CRITERION_LOST in chosen) and month in held and previous in held:
        rubric_in_force = rubric_in_force or stages.load()
        now = placement or stages.evaluate(conn, month, rubric_in_force)
        before = stages.measured(conn, previous, rubric_in_force)
        if STAGE_FELL in chosen:
            found += _stage_fell(now, before)
        if CRITERION_LOST in chosen:
            found += _criteria_lost(now, before)
    if DEPARTMENT_DROP in chosen:
        found += _department_drops(conn, month, previous, chosen[DEPARTMENT_DROP]["drop_points"], visible, min_group)
    if TARGET_OFF_COURSE in chosen:
        found += _targets_off_course(conn, month, visible, min_group)
    if COMMUNITY_DORMANT in chosen and visible is None:
        found += _communities_gone_dormant(conn, month, min_group)
    if EXPORT_LATE in chosen:
        found += _exports_late(conn, month, held, today, chosen[EXPORT_LATE]["days_late"])
    return found


def _stage_fell(now: stages.StagePlacement, before: stages.StagePlacement) -> list[Alert]:
    if now.stage >= before.stage:
        return []
    message = (f"The organisation fell from stage {before.stage} ({before.stage_name}) in {before.month:%B %Y} to "
               f"stage {now.stage} ({now.stage_name}) in {now.month:%B %Y}.")
    return [Alert(STAGE_FELL, None, None, now.stage, before.stage, message, _link(STAGES, now.month))]


def _criteria_lost(now: stages.StagePlacement, before: stages.StagePlacement) -> list[Alert]:
    was = {c.id: c for c in before.criteria}
    found = []
    for result in now.criteria:
        earlier = was.get(result.id)
        if earlier is None or not earlier.met or result.met:
            continue
        message = (f"Criterion {result.id} · {result.label} is no longer met in {now.month:%B %Y}: "
                   f"{stages.shown(result.unit, result.value)}, needs {stages.shown_threshold(result)} "
                   f"({stages.shown(earlier.unit, earlier.value)} in {before.month:%B %Y}).")
        found.append(Alert(CRITERION_LOST, None, None, _plain(result.value), _plain(earlier.value), message,
                           _link(STAGES, now.month)))
    return found


def _plain(value):
    return value if value is None or isinstance(value, bool) else float(value)


def _department_drops(conn, month: dt.date, previous: dt.date, drop_points: float, visible: set | None,
                      min_group: int) -> list[Alert]:
    """Departments as organised today (a rename is no drop), suppressed below the minimum group size."""
    rates: dict[str, dict[dt.date, float | None]] = {}
    for row in adoption.by_dimension(conn, "department", previous, month, metrics.ALL, min_group):
        rates.setdefault(row["group"], {})[row["month"]] = None if row["suppressed"] else row["adoption_rate"]
    drops = []
    for department, by_month in rates.items():
        now, before = by_month.get(month), by_month.get(previous)
        if now is None or before is None or (visible is not None and department not in visible):
            continue
        if before - now >= drop_points / 100 - 1e-9:
            drops.append((before - now, department, float(now), float(before)))
    drops.sort(key=lambda d: (-d[0], d[1]))
    return [Alert(DEPARTMENT_DROP, department, None, now, before,
                  f"Adoption in {department} fell {points(now - before)[1:]} in {month:%B %Y}, from "
                  f"{percent(before)} in {previous:%B %Y} to {percent(now)}.",
                  _link(ADOPTION, month, dept=department))
            for _, department, now, before in drops]


def _targets_off_course(conn, month: dt.date, visible: set | None, min_group: int) -> list[Alert]:
    found = []
    for target in targets.held(conn):
        if visible is not None and target.department not in visible:
            continue
        progress = targets.progress(conn, target, min_group, until=month)
        if progress.passed or progress.met or progress.on_course is not False:
            continue
        found.append(Alert(TARGET_OFF_COURSE, target.department, None, progress.current, None, progress.sentence,
                           _link(OVERVIEW, month, dept=target.department)))
    return found


def _communities_gone_dormant(conn, month: dt.date, min_group: int) -> list[Alert]:
    """Listed communities (at least the minimum group size of members) active two months before and dormant now:
    dormant takes two months without posts (docs/metrics.md#community-status)."""
    first = metrics.shift_month(month, -2)
    rows = [r for r in communities.by_month(conn, first, month, None, min_group) if r["listed"]]
    active_then = {(r["tool"], r["community"]): r["posts"] for r in rows if r["month"] == first
                   and r["status"] == "active"}
    found = []
    for row in rows:
        key = (row["tool"], row["community"])
        if row["month"] != month or row["status"] != "dormant" or row["silent_months"] != 2 or key not in active_then:
            continue
        message = (f"The community {row['community']} ({row['tool']}) went dormant in {month:%B %Y}: no posts in "
                   f"{metrics.previous_month(month):%B} or {month:%B %Y}, after {active_then[key]} in {first:%B %Y}.")
        found.append(Alert(COMMUNITY_DORMANT, None, row["community"], row["posts"], active_then[key], message,
                           _link(COMMUNITIES, month, tool=row["tool"])))
    return sorted(found, key=lambda a: (a.community, a.link))


def _exports_late(conn, month: dt.date, held: list[dt.date], today: dt.date, days_late: int) -> list[Alert]:
    """The exports of a kind (and tool) that the month before had and `month` lacks, once `days_late` days have
    passed since the month ended; when `month` is the latest held, the months after it too, whose uploads never
    came. The kinds expected are the digest's (queries/digest.sql, expected_kinds)."""
    checked = [month]
    if held and month == held[-1]:
        checked += [metrics.shift_month(month, i) for i in range(1, _LOOK_AHEAD + 1)]
    found = []
    for candidate in checked:
        ended = metrics.shift_month(candidate, 1) - dt.timedelta(days=1)
        days = (today - ended).days
        if days < days_late:
            break
        for row in named.rows(conn, "digest.expected_kinds", {"month": candidate}):
            if row["present"] or row["kind"] in _NOT_EXPORTS or (candidate not in held and row["kind"] in _CARRIED):
                continue
            what = row["kind"] + (f" ({row['tool']})" if row["tool"] else "")
            message = (f"The {what} export for {candidate:%B %Y} is missing, {days} days after the month ended; "
                       f"{row['compared_with']:%B %Y} had it.")
            found.append(Alert(EXPORT_LATE, None, None, days, None, message, _link(DATA)))
    return found
