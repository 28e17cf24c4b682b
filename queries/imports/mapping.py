"""Any other HR export as a roster, through a column mapping the champion makes once and saves under the file's
header signature (docs/formats.md#other-hr-exports).

A mapping says which of the file's columns holds each roster field: the person (email or user principal name),
department, region or a country (region from the settings' country map), business unit, and level or a job title
(level from the settings' ordered rules, as for the Entra ID user list). It is pure data, kept in the warehouse by
queries/uploads.py; this module checks it against a file and reads the file with it. Names are never read; a job
title is read only to derive the level and goes no further than the staging connection.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
from dataclasses import dataclass

import duckdb

from .entra import LEVELS, rules_for_import
from .formats import Column, Format, detect
from .reading import ImportRefused, is_ndjson, normalise_header, sniff_delimiter, stage_upload

# field → what the Data page and the messages call it, in the order the form asks for them
FIELDS = {
    "person": "email",
    "department": "department",
    "region": "region",
    "country": "country",
    "business_unit": "business unit",
    "level": "level",
    "title": "job title",
}
REQUIRED = ("person", "department")
# Each pair gives one roster field two ways in; a mapping takes one of them.
EITHER = (("region", "country"), ("level", "title"))
MAX_NAME = 60
# What a refusal of an HR export that no mapping reads yet adds, on the command line.
MAP_IT = ("If this is an HR export of your people, map its columns once on the Data page (upload it with Kind roster "
          "and save the mapping under a name), then import it with --mapping NAME.")

# Header names that suggest a field, compared normalised (normalise_header). They only pre-fill the form, which the
# champion reviews and saves; nothing is read with a mapping nobody saved.
_HINTS = {
    "person": ("workemail", "businessemail", "emailwork", "emailaddress", "email", "userprincipalname", "upn",
               "mail", "workemailaddress", "primaryworkemail"),
    "department": ("department", "dept", "departmentname", "supervisoryorganization", "supervisoryorganisation",
                   "orgunit"),
    "region": ("region", "geography", "georegion"),
    "country": ("country", "countryregion", "countryorregion", "workcountry", "locationcountry", "usagelocation"),
    "business_unit": ("businessunit", "division", "company", "companyname", "legalentity"),
    "level": ("level", "rosterlevel"),
    "title": ("jobtitle", "businesstitle", "title", "position", "positiontitle", "jobprofile"),
}
_EMAIL_LIKE = ("email", "mail", "userprincipalname", "upn")
_DEPARTMENT_LIKE = ("department", "dept", "supervisoryorg")


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

    @classmethod
    def made(cls, name: str, columns: dict[str, str | None], headers) -> "ColumnMapping":
        """A mapping from the form's choices (a field left out, or given None or "", is not mapped)."""
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise ImportRefused(f"Unknown roster field(s) {', '.join(sorted(unknown))}; a mapping may name "
                                f"{', '.join(FIELDS)}.")
        chosen = tuple((f, str(columns[f]).strip()) for f in FIELDS if columns.get(f) and str(columns[f]).strip())
        return cls(str(name or "").strip(), chosen, header_signature(headers), tuple(headers))

    @classmethod
    def stored(cls, name, signature, headers, columns, saved_by=None, saved_at=None) -> "ColumnMapping":
        fields = json.loads(columns)
        return cls(name, tuple((f, fields[f]) for f in FIELDS if f in fields), signature,
                   tuple(json.loads(headers)), saved_by, saved_at)

    def columns_json(self) -> str:
        return json.dumps(dict(self.columns))

    def headers_json(self) -> str:
        return json.dumps(list(self.headers))

    def header_of(self, field: str) -> str | None:
        return dict(self.columns).get(field)

    def describe(self) -> str:
        """'email ← Work Email, department ← Cost Center, …': what the audit trail and the Data page show."""
        return ", ".join(f"{FIELDS[f]} ← {h}" for f, h in self.columns)

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
    types = {"person": "id", "level": "level"}
    columns = tuple(Column(field, header, types.get(field, "text"), required=False)
                    for field, header in mapping.columns)
    source = f"HR export mapped with \"{mapping.name}\"" if mapping.name else "HR export with a column mapping"
    return Format(source, "roster", columns, adapter=MappedRoster(mapping))


def read_headers(file_name: str, data: bytes) -> list[str]:
    """The file's column names as written. A CSV's first line is enough, so a large export is not read twice for
    its header; other containers (XLSX, gzip, UTF-16, NDJSON) are staged, one column at most."""
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
                pass  # staging says what is wrong with it
    with duckdb.connect() as conn:
        return stage_upload(conn, file_name, data, columns_for=lambda headers: [])


def built_in_reader(file_name: str, headers, kind: str | None) -> Format | None:
    """The format that reads the file without a mapping when nothing suggests it is an HR export: a vendor export,
    or a canonical template whose every column it recognises. None when a mapping may be what the file needs."""
    if kind not in (None, "roster"):
        return None
    try:
        fmt = detect(file_name, headers, kind)
    except ImportRefused:
        return None
    if fmt.adapter is not None or fmt.kind == "roster":
        return fmt
    normalised = [normalise_header(h) for h in headers]
    unread = [n for n in normalised if n and not any(c.accepts(n) for c in fmt.columns)]
    # A file that fits a template but carries columns it never reads (an HR export with Email and Department fits
    # the champion register) may be a roster; a template filled in as such is read as it is.
    return None if unread else fmt


def may_need_mapping(file_name: str, headers, kind: str | None) -> bool:
    """Whether a saved mapping could be what reads this file (so the saved mappings are worth looking up)."""
    return kind in (None, "roster") and built_in_reader(file_name, headers, kind) is None


def looks_like_roster(headers, kind: str | None) -> bool:
    """A roster by its columns (one like an email, one like a department) or because the uploader said so."""
    normalised = [normalise_header(h) for h in headers]
    email = any(any(hint in n for hint in _EMAIL_LIKE) for n in normalised)
    department = any(any(hint in n for hint in _DEPARTMENT_LIKE) for n in normalised)
    return kind == "roster" or (email and department)


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
    chosen: ColumnMapping | None  # pre-selected: the latest saved for this very header
    roster_like: bool  # the file looks like a roster that no built-in format reads: offer the mapping form
    suggested: dict


def offer(file_name: str, data: bytes, saved, kind: str | None) -> MappingOffer | None:
    """The mapping offer for an uploaded file, or None when a mapping has no part in reading it (another kind was
    chosen, a built-in format reads it, or it cannot be read at all: staging then says why)."""
    try:
        headers = read_headers(file_name, data)
    except ImportRefused:
        return None
    if not may_need_mapping(file_name, headers, kind):
        return None
    signature = header_signature(headers)
    exact = [m for m in saved if m.signature == signature]
    others = [m for m in saved if m.signature != signature and m.fits(headers)]
    newest_first = sorted(exact, key=lambda m: m.saved_at or "", reverse=True)
    return MappingOffer(tuple(headers), signature, tuple(newest_first + others),
                        newest_first[0] if newest_first else None, looks_like_roster(headers, kind),
                        suggested(headers))


def for_import(file_name: str, data: bytes, saved, *, name: str | None, kind: str | None) -> ColumnMapping | None:
    """The saved mapping an import without a form (the command line) uses: the one it names, else the one saved
    for the file's very header when exactly one was. Never a mapping nobody saved."""
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
        return None  # staging refuses the file with the reason
    if not may_need_mapping(file_name, headers, kind):
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
    derives region, business unit and level where the file has no such column (settings file, [roster])."""

    def __init__(self, mapping: ColumnMapping):
        self.mapping = mapping

    def _header(self, field: str) -> str:
        return self.mapping.header_of(field) or FIELDS[field]

    def prepare(self, conn, file_name: str, present: set[str]) -> list[str]:
        rules = rules_for_import(file_name)
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
        notes.extend(self._derive(conn, rules, present))
        return notes

    def _derive(self, conn, rules, present: set[str]) -> list[str]:
        """Region, business unit and level per row; the job title and country are looked up once per distinct value
        (the rules are Python regular expressions) and go no further than this."""
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
        titles = [r[0] for r in conn.execute("SELECT DISTINCT title FROM clean").fetchall()] \
            if "title" in present else []
        places = [r[0] for r in conn.execute("SELECT DISTINCT country FROM clean").fetchall()] \
            if "country" in present else []
        conn.register("_levels", pyarrow.table({"title": pyarrow.array(titles, pyarrow.string()),
                                                "level": pyarrow.array([rules.level_of(t) for t in titles],
                                                                       pyarrow.string())}))
        conn.register("_regions", pyarrow.table({"country": pyarrow.array(places, pyarrow.string()),
                                                 "region": pyarrow.array([rules.region_of(p, None) for p in places],
                                                                         pyarrow.string())}))
        region = ("coalesce(c.region, 'Unassigned')" if "region" in present else
                  "coalesce(r.region, $default_region)" if "country" in present else "$default_region")
        business_unit = "coalesce(c.business_unit, 'Unassigned')" if "business_unit" in present \
            else "$default_business_unit"
        level = ("coalesce(nullif(c.level, ''), $default_level)" if "level" in present else
                 "l.level" if "title" in present else "$default_level")
        select = f"""
                CREATE OR REPLACE TEMP TABLE clean AS
                SELECT c.*, {region} AS mapped_region, {business_unit} AS mapped_business_unit,
                    {level} AS mapped_level, {'r.region IS NULL' if 'country' in present else 'false'} AS defaulted
                FROM clean c
                {'LEFT JOIN _levels l ON l.title IS NOT DISTINCT FROM c.title' if 'title' in present else ''}
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
            line = (f"Levels from the \"{self._header('title')}\" column (the [[roster.levels]] rules of "
                    f"{rules.where}): {levels}.")
            if untitled:
                line += (f" {_people(untitled)} without a job title {'counts' if untitled == 1 else 'count'} as "
                         f"{rules.default_level}.")
        elif "level" in present:
            blank = conn.execute("SELECT count(*) FROM clean WHERE nullif(level, '') IS NULL").fetchone()[0]
            line = f"Levels from the \"{self._header('level')}\" column: {levels}."
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

