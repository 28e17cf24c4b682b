"""Any other HR export as a roster, through a column mapping the champion makes once and saves under the file's
header signature (docs/formats.md#other-hr-exports).

A mapping says which of the file's columns holds each roster field: the person (email or user principal name),
department, region or a country (region from the settings' country map), business unit, and level or a job title.
A level comes through the mapping's own ordered `pattern → level` rules (prefilled from the settings' rules, as for
the Entra ID user list), from a job title or from a level column whose values are not executive, manager or staff
(Workday's "2 Executive"). It is pure data, kept in the warehouse by queries/uploads.py; this module checks it
against a file and reads the file with it. Names are never read; a job title is read only to derive the level and
goes no further than the connection that reads the file.
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass

import duckdb

from .entra import LEVELS, roster_rules, rules_for_import
from .file_formats import Column, Format, detect
from .reading import ImportRefused, UnknownFormat, is_ndjson, normalise_header, sniff_delimiter, load_cells

# field → what the Data page and the messages call it, in the order the form asks for them
FIELDS = {
    "person": "email",
    "department": "department",
    "region": "region",
    "country": "country",
    "business_unit": "business unit",
    "level": "level",
    "title": "job title",
    # A stable id (an HR employee number) links the addresses a person had over time (docs/metrics.md#identity).
    "identity": "employee id",
}
REQUIRED = ("person", "department")
# Each pair gives one roster field two ways in; a mapping takes one of them.
EITHER = (("region", "country"), ("level", "title"))
MAX_NAME = 60
MAX_RULES = 50
# The key of the mapping's level rules in its stored columns JSON (beside the fields, which never take this name).
RULES_KEY = "level_rules"
ARROWS = ("→", "->")
# What a refusal of an HR export that no mapping reads yet adds, on the command line.
MAP_IT = ("If this is an HR export of your people, map its columns once on the Data page (upload it with Kind roster "
          "and save the mapping under a name), then import it with --mapping NAME.")

# What a refusal of an unknown format adds on the Data page when the file has an email-like column but no
# department-like one, so the mapping form is not offered by itself.
CHOOSE_ROSTER = "If this is your HR roster, choose Kind: roster to map its columns."

# Header names that suggest a field, compared normalised (normalise_header). They only pre-fill the form, which the
# champion reviews and saves; nothing is read with a mapping nobody saved.
_HINTS = {
    "person": ("workemail", "businessemail", "emailwork", "emailaddress", "email", "userprincipalname", "upn",
               "mail", "workemailaddress", "primaryworkemail"),
    "department": ("department", "dept", "departmentname", "supervisoryorganization", "supervisoryorganisation",
                   "orgunit", "organizationalunit", "organisationalunit", "team", "teamname", "costcenter",
                   "costcentre", "organization", "organisation", "division"),
    "region": ("region", "geography", "georegion"),
    "country": ("country", "countryregion", "countryorregion", "workcountry", "locationcountry", "usagelocation"),
    "business_unit": ("businessunit", "division", "company", "companyname", "legalentity"),
    "level": ("level", "rosterlevel"),
    "title": ("jobtitle", "businesstitle", "title", "position", "positiontitle", "jobprofile"),
    "identity": ("employeeid", "employeenumber", "employeeno", "workerid", "personnumber", "personnelnumber",
                 "personid"),
}
# A header is like an email when one of its words is one of these, or its words run together give one of the
# joined names ("Email - Work", "E-mail", "userPrincipalName"; not "Mailbox Size" or "Emails Sent").
_EMAIL_WORDS = {"email", "mail", "upn"}
_EMAIL_JOINED = ("emailaddress", "userprincipalname")
# A header is like a department when its last word, or last two words run together, is one of these, before an
# optional name, code, id or number ("Home Department", "Team Name", "Org Unit", "Cost Center - ID"): so "Team Chat
# Message Count" is a count, not a team.
_DEPARTMENT_ENDINGS = {"department", "dept", "team", "division", "organization", "organisation", "org", "orgunit",
                       "organizationalunit", "organisationalunit", "costcenter", "costcentre"}
_NAME_SUFFIXES = {"name", "code", "id", "number", "no"}


def header_signature(headers) -> str:
    """The file's layout as one hash: its column names normalised and sorted, since columns are read by name and
    never by position (a reordered export keeps its mapping)."""
    names = sorted({n for n in (normalise_header(h) for h in headers) if n})
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column holds each roster field, under a name the champion chose."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (field, the file's header for it), in FIELDS order
    signature: str  # header_signature of the file it was made for
    headers: tuple[str, ...] = ()  # that file's header, as written
    saved_by: str | None = None
    saved_at: str | None = None
    # The mapping's own (level, pattern) rules, first match wins; None for a mapping saved before mappings carried
    # rules, which uses the settings file's [[roster.levels]].
    levels: tuple[tuple[str, str], ...] | None = None

    @classmethod
    def made(cls, name: str, columns: dict[str, str | None], headers,
             level_rules: str | None = None) -> "ColumnMapping":
        """A mapping from the form's choices (a field left out, or given None or "", is not mapped) and its level
        rules as the form writes them (rule_lines); None leaves the level to the settings file's rules."""
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise ImportRefused(f"Unknown roster field(s) {', '.join(sorted(unknown))}; a mapping may name "
                                f"{', '.join(FIELDS)}.")
        chosen = tuple((f, str(columns[f]).strip()) for f in FIELDS if columns.get(f) and str(columns[f]).strip())
        levels = None if level_rules is None else parse_level_rules(level_rules)
        return cls(str(name or "").strip(), chosen, header_signature(headers), tuple(headers), levels=levels)

    @classmethod
    def stored(cls, name, signature, headers, columns, saved_by=None, saved_at=None) -> "ColumnMapping":
        fields = json.loads(columns)
        rules = fields.get(RULES_KEY)
        levels = None if rules is None else tuple((r["level"], r["pattern"]) for r in rules)
        return cls(name, tuple((f, fields[f]) for f in FIELDS if f in fields), signature,
                   tuple(json.loads(headers)), saved_by, saved_at, levels)

    def columns_json(self) -> str:
        fields: dict = dict(self.columns)
        if self.levels is not None:
            fields[RULES_KEY] = [{"level": level, "pattern": pattern} for level, pattern in self.levels]
        return json.dumps(fields)

    def headers_json(self) -> str:
        return json.dumps(list(self.headers))

    def header_of(self, field: str) -> str | None:
        return dict(self.columns).get(field)

    def describe(self) -> str:
        """'email ← Work Email, department ← Cost Center, …', then the level rules where a title or level column
        goes through them: what the audit trail and the Data page show."""
        text = ", ".join(f"{FIELDS[f]} ← {h}" for f, h in self.columns)
        if self.levels is not None and ("title" in dict(self.columns) or "level" in dict(self.columns)):
            rules = "; ".join(f"{pattern} → {level}" for level, pattern in self.levels)
            text += f"; level rules: {rules}" if rules else "; no level rules"
        return text

    def fits(self, headers) -> bool:
        names = {normalise_header(h) for h in headers}
        return all(normalise_header(h) in names for _, h in self.columns)


def check_name(name: str) -> str:
    """The mapping's name, or a refusal saying what a usable name is."""
    name = (name or "").strip()
    if not name:
        raise ImportRefused("Give the mapping a name (for example \"Workday workers\"): next month's file is offered "
                            "it by that name, and the command line takes it with --mapping NAME.")
    if len(name) > MAX_NAME:
        raise ImportRefused(f"The mapping's name is {len(name)} characters long; keep it to {MAX_NAME}.")
    if re.match(r"[=+@\-\t\r]", name):
        raise ImportRefused("The mapping's name may not start with = + - or @ (spreadsheets read those as formulas).")
    return name


def parse_level_rules(text: str) -> tuple[tuple[str, str], ...]:
    """The (level, pattern) rules of the form's lines, `pattern → level` one a line, in order; blank lines and
    lines starting with # are skipped. A pattern gets the checks the settings file's [[roster.levels]] get
    (entra.parse_rules): a valid regular expression that does not match an empty value."""
    rules = []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        here = f"Level rule on line {number} (\"{line[:60]}\")"
        arrow = next((a for a in ARROWS if a in line), None)
        if arrow is None:
            raise ImportRefused(f"{here}: write each rule as pattern → level, for example "
                                "\"Chief|President|VP → executive\".")
        pattern, _, level = line.rpartition(arrow)
        pattern, level = pattern.strip(), level.strip().lower()
        if level not in LEVELS:
            raise ImportRefused(f"{here}: the level after the arrow must be executive, manager or staff.")
        if not pattern:
            raise ImportRefused(f"{here}: the pattern before the arrow is missing.")
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            raise ImportRefused(f"{here}: \"{pattern}\" is not a valid regular expression ({error}). Write words "
                                "separated by | (Chief|President|VP), or escape ( ) [ ] . * + ? with a \\.") from None
        if compiled.search(""):
            raise ImportRefused(f"{here}: \"{pattern}\" matches every value, even an empty one, so no later rule "
                                "would ever apply. Leave it out: whoever no rule matches counts as the settings' "
                                "roster.default_level.")
        rules.append((level, pattern))
    if len(rules) > MAX_RULES:
        raise ImportRefused(f"The level rules are {len(rules)} lines long; keep them to {MAX_RULES}.")
    return tuple(rules)


def rule_lines(mapping: ColumnMapping | None) -> str:
    """The form's text of the level rules: the mapping's own, else the settings file's [[roster.levels]] (empty
    when the settings cannot be read: importing then says why)."""
    levels = mapping.levels if mapping is not None else None
    if levels is None:
        try:
            levels = tuple((level, pattern.pattern) for level, pattern in roster_rules().levels)
        except (ValueError, OSError):  # RosterSettingsError or RubricError, which importing names
            levels = ()
    return "\n".join(f"{pattern} → {level}" for level, pattern in levels)


def check(mapping: ColumnMapping, file_name: str, headers) -> None:
    """Refuse a mapping that cannot read this file, saying what to change. Nothing is read or saved before it
    passes."""
    chosen = dict(mapping.columns)
    if "person" not in chosen:
        raise ImportRefused(f"{file_name}: choose the column that holds each person's email or user principal name; "
                            "the activity exports name people by it, so it is how they are matched to the roster.")
    if "department" not in chosen:
        raise ImportRefused(f"{file_name}: choose the column that holds each person's department; every roster "
                            "needs one.")
    for one, other in EITHER:
        if one in chosen and other in chosen:
            raise ImportRefused(f"{file_name}: choose either a {FIELDS[one]} column or a {FIELDS[other]} column, not "
                                f"both; the {FIELDS[one]} comes from one of them.")
    seen: dict[str, str] = {}
    for field, header in mapping.columns:
        key = normalise_header(header)
        if key in seen:
            raise ImportRefused(f"{file_name}: the column \"{header}\" is chosen for both {FIELDS[seen[key]]} and "
                                f"{FIELDS[field]}; a column can serve one field only. Choose another column for one "
                                "of them.")
        seen[key] = field
    names = {normalise_header(h) for h in headers}
    for field, header in mapping.columns:
        if normalise_header(header) not in names:
            what = f"the mapping \"{mapping.name}\"" if mapping.name else "this mapping"
            raise ImportRefused(
                f"{file_name} does not fit {what}: it has no column \"{header}\" (the {FIELDS[field]} column). "
                "If the export's columns changed, map them again on the Data page and save the mapping (under the "
                "same name to replace it); nothing was imported.")


def format_for(mapping: ColumnMapping, file_name: str, headers) -> Format:
    """The import format this mapping makes of a file: a roster read through the mapped columns only."""
    check(mapping, file_name, headers)
    # A level column is read as text: values that are not a level go through the level rules (MappedRoster).
    types = {"person": "id", "identity": "employee_id"}
    columns = tuple(Column(field, header, types.get(field, "text"), required=False)
                    for field, header in mapping.columns)
    source = f"HR export mapped with \"{mapping.name}\"" if mapping.name else "HR export with a column mapping"
    return Format(source, "roster", columns, adapter=MappedRoster(mapping))


def read_headers(file_name: str, data: bytes) -> list[str]:
    """The file's column names as written. A CSV's first line is enough, so a large export is not read twice for
    its header; other containers (XLSX, gzip, UTF-16, NDJSON) are loaded, one column at most."""
    head, whole = data[:65536], len(data) <= 65536
    plain = not (head[:4] == b"PK\x03\x04" or head[:2] == b"\x1f\x8b" or b"\x00" in head
                 or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)))
    while head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    line = re.split(rb"\r\n|\n|\r", head, maxsplit=1)
    if plain and (len(line) > 1 or whole):
        try:
            text = line[0].decode("utf-8")
        except UnicodeDecodeError:
            text = line[0].decode("cp1252", errors="replace")
        if text.strip() and not is_ndjson(text):
            try:
                return next(csv.reader([text], delimiter=sniff_delimiter(text)))
            except csv.Error:
                pass  # reading the file says what is wrong with it
    with duckdb.connect() as conn:
        return load_cells(conn, file_name, data, columns_for=lambda headers: [])


def built_in_reader(file_name: str, headers, kind: str | None) -> Format | None:
    """The format that reads the file's columns without a mapping (a vendor export or a canonical template, with
    any extra columns), or None when none does, for kind None (detected) or roster."""
    if kind not in (None, "roster"):
        return None
    try:
        return detect(file_name, headers, kind)
    except ImportRefused:
        return None


def may_need_mapping(file_name: str, headers, kind: str | None) -> bool:
    """Whether no built-in format reads the file's columns, so only a mapping could (kind detected or roster)."""
    return kind in (None, "roster") and built_in_reader(file_name, headers, kind) is None


def _words(header: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(header))  # camelCase: costCenter, userPrincipalName
    return re.findall(r"[a-z0-9]+", spaced.casefold())


def is_email_like(header: str) -> bool:
    words = _words(header)
    return bool(_EMAIL_WORDS & set(words)) or any(j in "".join(words) for j in _EMAIL_JOINED)


def is_department_like(header: str) -> bool:
    words = _words(header)
    while len(words) > 1 and words[-1] in _NAME_SUFFIXES:
        words.pop()
    return bool(words) and (words[-1] in _DEPARTMENT_ENDINGS or "".join(words[-2:]) in _DEPARTMENT_ENDINGS)


def looks_like_roster(headers, kind: str | None) -> bool:
    """A roster by its columns (one like an email, one like a department) or because the uploader said so."""
    email = any(is_email_like(h) for h in headers)
    department = any(is_department_like(h) for h in headers)
    return kind == "roster" or (email and department)


def roster_read_as_champions(headers) -> list[str]:
    """A note for a file detected as the champion register (email and department) that also has columns only an
    HR roster has (a region or country, a level or job title, a business unit): the preview says so, lest a whole
    roster be imported as champions."""
    extra = [header for field, header in suggested(headers).items() if field not in REQUIRED]
    if not extra:
        return []
    named = ", ".join(f'"{header}"' for header in extra)
    return [f"Read as the champion register (email and department); the file also has {named}, which an HR roster "
            "has and the register does not. If this is your HR roster, upload it again with Kind: roster."]


def suggested(headers) -> dict[str, str]:
    """Field → header to pre-fill the mapping form with, from the header names alone; the champion reviews it."""
    normalised = [normalise_header(h) for h in headers]
    taken: set[int] = set()
    found: dict[str, str] = {}
    for field in FIELDS:
        for hint in _HINTS[field]:
            index = next((i for i, n in enumerate(normalised) if n == hint and i not in taken), None)
            if index is not None:
                found[field] = headers[index]
                taken.add(index)
                break
    for one, other in EITHER:
        if one in found and other in found:
            found.pop(other)
    return found


@dataclass(frozen=True)
class MappingOffer:
    """What the Data page offers for one uploaded file: saved mappings that fit it, and whether to map it."""

    headers: tuple[str, ...]
    signature: str
    saved: tuple[ColumnMapping, ...]  # the saved mappings that fit the file, those made for its very header first
    chosen: ColumnMapping | None  # pre-selected: the latest saved for this very header, when nothing else reads it
    roster_like: bool  # the file looks like a roster that no built-in format reads: offer the mapping form
    suggested: dict
    kind: str | None = None
    email_like: bool = False  # a column is named like an email or user principal name

    def invites_mapping(self, refused: ImportRefused) -> bool:
        """The file was refused only because no format reads it, and it looks like a roster: the Data page invites
        the mapping instead of showing an error (a vendor export's refusal keeps its own advice)."""
        return self.roster_like and isinstance(refused, UnknownFormat)

    def refusal(self, refused: ImportRefused) -> str:
        """A refusal as the Data page shows it. An unknown format with an email-like column, detected rather than
        uploaded as a roster and not offered the mapping form, is told how to get the form; a vendor export that
        misses columns, or a summary export, keeps its own advice."""
        if self.kind is None and self.email_like and not self.roster_like and isinstance(refused, UnknownFormat):
            return f"{refused} {CHOOSE_ROSTER}"
        return str(refused)


def offer(file_name: str, data: bytes, saved, kind: str | None, *, read_without_mapping: bool) -> MappingOffer | None:
    """The mapping offer for an uploaded file, or None when a mapping has no part in reading it (another kind was
    chosen, or its header cannot be read: reading the file then says why). `read_without_mapping` says whether reading
    without a mapping succeeded: then a saved mapping is listed, for the champion to choose, but not pre-selected,
    and the mapping form is not offered."""
    if kind not in (None, "roster"):
        return None
    try:
        headers = read_headers(file_name, data)
    except ImportRefused:
        return None
    signature = header_signature(headers)
    exact = [m for m in saved if m.signature == signature]
    others = [m for m in saved if m.signature != signature and m.fits(headers)]
    newest_first = sorted(exact, key=lambda m: m.saved_at or "", reverse=True)
    chosen = newest_first[0] if newest_first and not read_without_mapping else None
    roster_like = (not read_without_mapping and may_need_mapping(file_name, headers, kind)
                   and looks_like_roster(headers, kind))
    return MappingOffer(tuple(headers), signature, tuple(newest_first + others), chosen, roster_like,
                        suggested(headers), kind, any(is_email_like(h) for h in headers))


def for_import(file_name: str, data: bytes, saved, *, name: str | None, kind: str | None) -> ColumnMapping | None:
    """The saved mapping an import without a form (the command line) uses: the one it names, else the one saved
    for the file's very header when exactly one was (asked only once the file failed to import without a mapping,
    queries/uploads.py). Never a mapping nobody saved."""
    if name is not None:
        if kind not in (None, "roster"):
            raise ImportRefused(f"{file_name}: a column mapping reads a roster, but the kind given was {kind}. Leave "
                                "out --kind, or give --kind roster.")
        found = [m for m in saved if m.name.casefold() == name.strip().casefold()]
        if not found:
            names = ", ".join(f"\"{m.name}\"" for m in sorted(saved, key=lambda m: m.name.casefold()))
            known = (f"The saved mappings are {names}." if saved else
                     "No mapping is saved yet: map the file's columns once on the Data page (Kind: roster).")
            raise ImportRefused(f"{file_name}: there is no saved column mapping named \"{name.strip()}\". {known} "
                                "Nothing was imported.")
        return found[0]
    try:
        headers = read_headers(file_name, data)
    except ImportRefused:
        return None  # reading refuses the file with the reason
    if kind not in (None, "roster"):
        return None
    signature = header_signature(headers)
    exact = [m for m in saved if m.signature == signature]
    if len(exact) > 1:
        names = ", ".join(f"\"{m.name}\"" for m in exact)
        raise ImportRefused(f"{file_name}: several saved column mappings were made for this file's columns ({names}). "
                            "Choose one with --mapping NAME; nothing was imported.")
    return exact[0] if exact else None


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


class MappedRoster:
    """Reads a roster through a mapping: leaves out rows without an email, refuses columns that hold nothing, and
    derives region, business unit and level where the file has no such column (settings file, [roster]), the level
    through the mapping's own rules where it carries them."""

    def __init__(self, mapping: ColumnMapping):
        self.mapping = mapping

    def _header(self, field: str) -> str:
        return self.mapping.header_of(field) or FIELDS[field]

    def _rules(self, file_name: str):
        """The settings' [roster] rules, with the mapping's level rules in place of [[roster.levels]] where it
        carries them; and how the preview names the level rules in force."""
        rules = rules_for_import(file_name)
        if self.mapping.levels is None:
            return rules, f"the [[roster.levels]] rules of {rules.where}"
        try:
            levels = tuple((level, re.compile(pattern, re.IGNORECASE)) for level, pattern in self.mapping.levels)
        except re.error as error:  # checked when saved; a hand-edited warehouse row still gets a reason
            raise ImportRefused(f"{file_name}: a level rule of the mapping \"{self.mapping.name}\" is not a valid "
                                f"regular expression ({error}). Map the columns again on the Data page and save "
                                "the mapping; nothing was imported.") from None
        return dataclasses.replace(rules, levels=levels), "the mapping's level rules"

    def prepare(self, conn, file_name: str, present: set[str]) -> list[str]:
        rules, rules_named = self._rules(file_name)
        fields = sorted(present, key=list(FIELDS).index)
        counts = conn.execute("SELECT count(*), " + ", ".join(f"count(nullif(CAST(\"{f}\" AS VARCHAR), ''))"
                                                             for f in fields) + " FROM clean").fetchone()
        filled = dict(zip(fields, counts[1:]))
        for field in fields:
            if filled[field] == 0:
                raise ImportRefused(f"{file_name}: the column \"{self._header(field)}\" chosen for {FIELDS[field]} is "
                                    f"blank in every row. Choose the column that holds each person's {FIELDS[field]}"
                                    + ("." if field in REQUIRED else ", or none.") + " Nothing was imported.")
        notes = []
        blank = counts[0] - filled["person"]
        if blank:
            conn.execute("DELETE FROM clean WHERE person IS NULL")
            notes.append(f"{blank} {'row' if blank == 1 else 'rows'} without an email left out: nobody can be matched "
                         "to the activity exports without one.")
        with_at, without_at = conn.execute("SELECT count(*) FILTER (WHERE contains(person, '@')), "
                                           "count(*) FILTER (WHERE NOT contains(person, '@')) FROM clean").fetchone()
        if with_at == 0:
            raise ImportRefused(f"{file_name}: the column \"{self._header('person')}\" chosen for email holds no email "
                                "address (no value has an @). Choose the column with each person's work email or user "
                                "principal name: the activity exports name people by it. Nothing was imported.")
        if without_at:
            notes.append(f"{_people(without_at)} {'has' if without_at == 1 else 'have'} no @ in the "
                         f"\"{self._header('person')}\" column, so no activity export will match them; check "
                         "that column.")
        notes.extend(self._derive(conn, rules, rules_named, present))
        return notes

    def _derive(self, conn, rules, rules_named: str, present: set[str]) -> list[str]:
        """Region, business unit and level per row; the job title (or level) and country are looked up once per
        distinct value (the rules are Python regular expressions) and go no further than this."""
        import pyarrow

        notes = []
        unassigned = conn.execute(
            "SELECT count(*) FILTER (WHERE department IS NULL)"
            + (", count(*) FILTER (WHERE region IS NULL)" if "region" in present else ", 0")
            + (", count(*) FILTER (WHERE business_unit IS NULL)" if "business_unit" in present else ", 0")
            + " FROM clean").fetchone()
        for field, count in zip(("department", "region", "business_unit"), unassigned):
            if count:
                notes.append(f"{_people(count)} with a blank \"{self._header(field)}\" {'is' if count == 1 else 'are'} "
                             f"in {FIELDS[field]} \"Unassigned\".")
        # The level comes from a job title through the rules, or from a level column: a value that already is a
        # level is taken as it is, any other ("2 Executive", "M3") goes through the rules.
        ranked = "title" if "title" in present else "level" if "level" in present else None

        def level_of(value: str | None) -> str:
            if ranked == "level" and value is not None and value.strip().lower() in LEVELS:
                return value.strip().lower()
            return rules.level_of(value)

        values = [r[0] for r in conn.execute(f"SELECT DISTINCT \"{ranked}\" FROM clean").fetchall()] if ranked else []
        places = [r[0] for r in conn.execute("SELECT DISTINCT country FROM clean").fetchall()] \
            if "country" in present else []
        conn.register("_levels", pyarrow.table({"value": pyarrow.array(values, pyarrow.string()),
                                                "level": pyarrow.array([level_of(v) for v in values],
                                                                       pyarrow.string())}))
        conn.register("_regions", pyarrow.table({"country": pyarrow.array(places, pyarrow.string()),
                                                 "region": pyarrow.array([rules.region_of(p, None) for p in places],
                                                                         pyarrow.string())}))
        region = ("coalesce(c.region, 'Unassigned')" if "region" in present else
                  "coalesce(r.region, $default_region)" if "country" in present else "$default_region")
        business_unit = "coalesce(c.business_unit, 'Unassigned')" if "business_unit" in present \
            else "$default_business_unit"
        level = "l.level" if ranked else "$default_level"
        select = f"""
                CREATE OR REPLACE TEMP TABLE clean AS
                SELECT c.*, {region} AS mapped_region, {business_unit} AS mapped_business_unit,
                    {level} AS mapped_level, {'r.region IS NULL' if 'country' in present else 'false'} AS defaulted
                FROM clean c
                {f'LEFT JOIN _levels l ON l.value IS NOT DISTINCT FROM c."{ranked}"' if ranked else ''}
                {'LEFT JOIN _regions r ON r.country IS NOT DISTINCT FROM c.country' if 'country' in present else ''}
                ORDER BY c.row_index"""
        defaults = {"default_region": rules.default_region, "default_business_unit": rules.default_business_unit,
                    "default_level": rules.default_level}
        try:
            # DuckDB refuses named parameters the statement does not use
            conn.execute(select, {k: v for k, v in defaults.items() if f"${k}" in select})
        finally:
            conn.unregister("_levels")
            conn.unregister("_regions")
        if "country" in present:
            other, examples = conn.execute("SELECT count(*) FILTER (WHERE defaulted), list(DISTINCT country) "
                                           "FILTER (WHERE defaulted) FROM clean").fetchone()
            if other:
                shown = sorted(e for e in examples or [] if e)[:3]
                example = f" (for example {', '.join(repr(e[:40]) for e in shown)})" if shown else ""
                notes.append(f"{_people(other)} {'is' if other == 1 else 'are'} in region \"{rules.default_region}\": "
                             f"\"{self._header('country')}\" blank or not in [roster.regions] of {rules.where}"
                             f"{example}.")
        elif "region" not in present:
            notes.append(f"The mapping has no region or country column, so everyone is in region "
                         f"\"{rules.default_region}\".")
        if "business_unit" not in present:
            notes.append(f"The mapping has no business unit column, so everyone is in business unit "
                         f"\"{rules.default_business_unit}\".")
        counts = dict(conn.execute("SELECT mapped_level, count(*) FROM clean GROUP BY ALL").fetchall())
        levels = ", ".join(f"{counts.get(name, 0)} {name}" for name in LEVELS)
        if "title" in present:
            untitled = conn.execute("SELECT count(*) FROM clean WHERE title IS NULL").fetchone()[0]
            line = f"Levels from the \"{self._header('title')}\" column ({rules_named}): {levels}."
            if untitled:
                line += (f" {_people(untitled)} without a job title {'counts' if untitled == 1 else 'count'} as "
                         f"{rules.default_level}.")
        elif "level" in present:
            blank, ruled = conn.execute(
                "SELECT count(*) FILTER (WHERE level IS NULL), count(*) FILTER (WHERE level IS NOT NULL AND "
                f"lower(level) NOT IN {LEVELS}) FROM clean").fetchone()
            through = (f", through {rules_named} for the {_people(ruled)} whose value is not executive, "
                       "manager or staff") if ruled else ""
            line = f"Levels from the \"{self._header('level')}\" column{through}: {levels}."
            if blank:
                line += f" {_people(blank)} with a blank level {'counts' if blank == 1 else 'count'} as " \
                        f"{rules.default_level}."
        else:
            line = (f"The mapping has no level or job title column, so everyone counts as {rules.default_level} "
                    "(leadership participation needs executives: map a level or a job title column).")
        notes.append(line)
        return notes

    def file_month(self, conn, file_name, given_month, allow_period):
        return None  # an HR export is the roster as it stands: the uploader chooses the month it counts for

    def expressions(self, present: set[str]) -> dict[str, str]:
        return {"region": "mapped_region", "business_unit": "mapped_business_unit", "level": "mapped_level"}

