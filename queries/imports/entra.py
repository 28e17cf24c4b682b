"""The roster from the Microsoft Entra ID user list (Users → All users → Download users): who counts as headcount,
and the department, region, business unit and level of each person (docs/formats.md#microsoft-entra-id-user-list).

The user principal name is the person, the same id the Microsoft 365 usage reports carry, so those reports join to
this roster. Guests, disabled accounts and accounts without a department are not headcount and are left out, each
with a sentence in the preview. Region and level come from the settings file's `[roster]` table (country → region
map, ordered job-title rules), so an admin tunes them without code. Names are never read; job titles are read only
to derive the level and are dropped with the rest of the file once the canonical rows are made.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .file_formats import Column, Format, register
from .reading import ImportRefused

LEVELS = ("executive", "manager", "staff")
EXPORT_STEPS = ("Microsoft Entra admin center → Entra ID → Users → All users → Download users → Start, then "
                "download the CSV from Bulk operation results")


def place_key(name: str) -> str:
    """Country names and codes compare without case, spaces or punctuation, keeping letters of any script
    ("U.S." = "us", "Türkiye" stays distinct from "Turkey")."""
    return re.sub(r"[\W_]", "", name.casefold())


def _column(target, header, type_, required=True, aliases=()):
    return Column(target, header, type_, required, aliases)


class RosterSettingsError(ValueError):
    """The settings file's [roster] table cannot be used; the message names the file and the entry at fault."""


@dataclass(frozen=True)
class RosterRules:
    """The settings file's `[roster]` table, validated: how an Entra user gets a region, business unit and level."""

    where: str  # the settings file as people know it, for the preview's sentences
    levels: tuple[tuple[str, re.Pattern], ...]  # (level, job-title pattern), first match wins
    regions: dict[str, str]  # normalised country name or code → region
    default_level: str
    default_region: str
    default_business_unit: str

    def level_of(self, job_title: str | None) -> str:
        if job_title:
            for level, pattern in self.levels:
                if pattern.search(job_title):
                    return level
        return self.default_level

    def region_of(self, country: str | None, usage_location: str | None) -> str | None:
        """The region of the first of country and usage location the map knows; None when it knows neither."""
        for place in (country, usage_location):
            if place and (region := self.regions.get(place_key(place))):
                return region
        return None


def _text(where: str, table: dict, key: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise RosterSettingsError(f"{where}: roster.{key} = {value!r} must be a non-empty text.")
    return value.strip()


def parse_rules(raw: dict, where: str) -> RosterRules:
    """Validate the `[roster]` table of a settings file read from TOML. Raises RosterSettingsError naming the entry."""
    roster = raw.get("roster")
    if not isinstance(roster, dict):
        raise RosterSettingsError(f"{where}: [roster] must be a table (see data/stages.toml).")
    default_level = _text(where, roster, "default_level", "staff").lower()
    if default_level not in LEVELS:
        raise RosterSettingsError(f"{where}: roster.default_level = {default_level!r} must be executive, manager "
                                  "or staff.")
    levels = []
    rules = roster.get("levels", [])
    if not isinstance(rules, list):
        raise RosterSettingsError(f"{where}: roster.levels must be a list of [[roster.levels]] rules.")
    for index, rule in enumerate(rules, start=1):
        here = f"{where}: [[roster.levels]] rule #{index}"
        if not isinstance(rule, dict):
            raise RosterSettingsError(f"{here} must be a table with a level and a pattern.")
        level = rule.get("level")
        if not isinstance(level, str) or level.strip().lower() not in LEVELS:
            raise RosterSettingsError(f"{here}: level {level!r} must be executive, manager or staff.")
        pattern = rule.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip():
            raise RosterSettingsError(f"{here} ({level}): pattern is missing or not text.")
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            raise RosterSettingsError(f"{here} ({level}): pattern '{pattern}' is not a valid regular expression "
                                      f"({error}).") from None
        if compiled.search(""):
            raise RosterSettingsError(f"{here} ({level}): pattern '{pattern}' matches any job title, even an "
                                      "empty one; use roster.default_level for everyone the rules leave.")
        levels.append((level.strip().lower(), compiled))
    regions: dict[str, str] = {}
    table = roster.get("regions", {})
    if not isinstance(table, dict):
        raise RosterSettingsError(f"{where}: [roster.regions] must be a table of region = [countries].")
    for region, places in table.items():
        here = f"{where}: roster.regions.{region!r}"
        if not region.strip():
            raise RosterSettingsError(f"{here}: a region needs a name.")
        if not isinstance(places, list) or not all(isinstance(p, str) and place_key(p) for p in places):
            raise RosterSettingsError(f"{here} must be a list of country names or codes, for example "
                                      "[\"Germany\", \"DE\"].")
        for place in places:
            key = place_key(place)
            if key in regions and regions[key] != region.strip():
                raise RosterSettingsError(f"{here}: {place!r} is also in region {regions[key]!r}; a country "
                                          "belongs to one region.")
            regions[key] = region.strip()
    return RosterRules(where, tuple(levels), regions, default_level, _text(where, roster, "default_region", "Other"),
                       _text(where, roster, "default_business_unit", "All"))


def roster_rules(path: Path | str | None = None) -> RosterRules:
    """The roster rules of the settings file in force (DASHBOARD_RUBRIC, else data/stages.toml). A settings file
    written before these rules existed, with no [roster] table, uses the default file's."""
    from queries import rubric

    path = Path(path or rubric.rubric_path())
    raw = rubric.load_raw(path)
    if "roster" not in raw:
        path = rubric.DEFAULT_RUBRIC
        raw = rubric.load_raw(path)
    return parse_rules(raw, rubric._shown_path(path))


def rules_for_import(file_name: str) -> RosterRules:
    """roster_rules(), or ImportRefused naming the file and the bad setting: a file whose level or region rules
    cannot be read is not imported."""
    from queries.rubric import RubricError

    try:
        return roster_rules()
    except (RosterSettingsError, RubricError) as error:
        raise ImportRefused(f"{file_name} was not imported: the roster settings cannot be used. {error} Correct "
                            "the settings file and upload the file again.") from None


def _people(count: int, one: str = "person", many: str = "people") -> str:
    return f"{count} {one if count == 1 else many}"


class EntraUsers:
    """Leaves out who is not headcount, then derives region, business unit and level; the month is the uploader's."""

    export_steps = EXPORT_STEPS

    def prepare(self, conn, file_name: str, present: set[str]) -> list[str]:
        rules = rules_for_import(file_name)
        notes = []
        # A guest's user principal name carries #EXT# even where userType was never set.
        guests = self._leave_out(conn, "lower(trim(user_type)) = 'guest' OR person ILIKE '%#EXT#%'")
        if guests:
            notes.append(f"{_people(guests, 'guest account', 'guest accounts')} (userType Guest, or #EXT# in the "
                         "user principal name) left out: guests are not headcount.")
        disabled = self._leave_out(conn, "account_enabled = false")
        if disabled:
            notes.append(f"{_people(disabled, 'disabled account', 'disabled accounts')} (accountEnabled False) left "
                         "out: disabled accounts are not headcount.")
        undepartmented = self._leave_out(conn, "department IS NULL")
        if undepartmented:
            notes.append(f"{_people(undepartmented, 'account', 'accounts')} without a department left out "
                         "(service accounts, shared mailboxes and meeting rooms usually have none).")
        if conn.execute("SELECT count(*) FROM clean").fetchone()[0] == 0:
            return notes
        notes.extend(self._derive(conn, rules, present))
        return notes

    @staticmethod
    def _leave_out(conn, condition: str) -> int:
        count = conn.execute(f"SELECT count(*) FROM clean WHERE {condition}").fetchone()[0]
        if count:
            conn.execute(f"DELETE FROM clean WHERE {condition}")
        return count

    @staticmethod
    def _derive(conn, rules: RosterRules, present: set[str]) -> list[str]:
        """Region, business unit and level per row, computed in Python once per distinct value (the rules are
        Python regular expressions), then joined back; the job title goes no further than this."""
        import pyarrow

        def col(name, table=""):
            return f'{table}"{name}"' if name in present else "CAST(NULL AS VARCHAR)"

        titles = [r[0] for r in conn.execute(f"SELECT DISTINCT {col('job_title')} FROM clean").fetchall()]
        places = conn.execute(f"SELECT DISTINCT {col('country')}, {col('usage_location')} FROM clean").fetchall()
        conn.register("_levels", pyarrow.table({"title": titles, "level": [rules.level_of(t) for t in titles]}))
        conn.register("_regions", pyarrow.table({
            "country": [p[0] for p in places], "usage_location": [p[1] for p in places],
            "region": [rules.region_of(*p) for p in places]}))
        try:
            conn.execute(f"""
                CREATE OR REPLACE TEMP TABLE clean AS
                SELECT c.*, coalesce(r.region, ?) AS region, r.region IS NULL AS region_defaulted,
                    coalesce({col('company_name', 'c.')}, ?) AS business_unit, l.level,
                    {col('job_title', 'c.')} IS NULL AS untitled
                FROM clean c
                LEFT JOIN _levels l ON l.title IS NOT DISTINCT FROM {col('job_title', 'c.')}
                LEFT JOIN _regions r ON r.country IS NOT DISTINCT FROM {col('country', 'c.')}
                    AND r.usage_location IS NOT DISTINCT FROM {col('usage_location', 'c.')}
                ORDER BY c.row_index""", [rules.default_region, rules.default_business_unit])
        finally:
            conn.unregister("_levels")
            conn.unregister("_regions")
        notes = []
        other, examples = conn.execute(
            f"SELECT count(*) FILTER (WHERE region_defaulted), list(DISTINCT coalesce({col('country')}, "
            f"{col('usage_location')})) FILTER (WHERE region_defaulted) FROM clean").fetchone()
        if other:
            shown = sorted(e for e in examples or [] if e)[:3]
            example = f" (for example {', '.join(repr(e[:40]) for e in shown)})" if shown else ""
            notes.append(f"{_people(other)} {'is' if other == 1 else 'are'} in region \"{rules.default_region}\": "
                         f"country and usage location blank or not in [roster.regions] of {rules.where}{example}.")
        if "company_name" not in present:
            notes.append(f"The file has no companyName column, so everyone is in business unit "
                         f"\"{rules.default_business_unit}\".")
        else:
            blank = conn.execute("SELECT count(*) FROM clean WHERE company_name IS NULL").fetchone()[0]
            if blank:
                notes.append(f"{_people(blank)} without a companyName {'is' if blank == 1 else 'are'} in business unit "
                             f"\"{rules.default_business_unit}\".")
        counts = dict(conn.execute("SELECT level, count(*) FROM clean GROUP BY level").fetchall())
        untitled = conn.execute("SELECT count(*) FROM clean WHERE untitled").fetchone()[0]
        levels = ", ".join(f"{counts.get(level, 0)} {level}" for level in LEVELS)
        line = f"Levels from job titles (the [[roster.levels]] rules of {rules.where}): {levels}."
        if untitled:
            line += (f" {_people(untitled)} without a job title {'counts' if untitled == 1 else 'count'} as "
                     f"{rules.default_level}.")
        notes.append(line)
        return notes

    def file_month(self, conn, file_name, given_month, allow_period):
        return None  # the user list is as it stands today: the uploader chooses the month it counts for

    def expressions(self, present: set[str]) -> dict[str, str]:
        return {"region": "region", "business_unit": "business_unit", "level": "level"}


ENTRA_USERS = register(Format(
    "Microsoft Entra ID user list", "roster",
    (
        _column("person", "userPrincipalName", "id", aliases=("UPN",)),
        # The object id stays with the person when their user principal name changes (docs/metrics.md#identity).
        _column("identity", "id", "object_id", required=False, aliases=("objectId", "Object Id")),
        _column("user_type", "userType", "text"),
        _column("account_enabled", "accountEnabled", "bool"),
        _column("department", "department", "text"),
        _column("country", "country", "text", required=False, aliases=("Country or region", "Country/Region")),
        _column("usage_location", "usageLocation", "text", required=False),
        _column("company_name", "companyName", "text", required=False, aliases=("Company",)),
        _column("job_title", "jobTitle", "text", required=False, aliases=("Title",)),
    ),
    adapter=EntraUsers(),
))
