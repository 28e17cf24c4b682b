"""What an import format is (its columns and how each maps to a canonical field) and how a file's format is detected."""
from __future__ import annotations

from dataclasses import dataclass, field

from .reading import ImportRefused, UnknownFormat, normalise_header

KINDS = ("roster", "activity", "communities", "champions", "training", "kpis", "checklist", "devices",
         "identity_changes", "departments", "initiatives", "targets")


@dataclass(frozen=True)
class Column:
    """One canonical field read from a file column. `header` is the file's name for it (matched loosely)."""

    target: str
    header: str
    # id (an address: hashed to a person key), object_id / employee_id (a stable id: hashed to an identity key),
    # text, count, number, month, date, level, bool, answer, criterion, tool
    type: str
    required: bool = True
    aliases: tuple[str, ...] = ()

    def accepts(self, normalised: str) -> bool:
        return normalised in {normalise_header(self.header), *map(normalise_header, self.aliases)}


@dataclass(frozen=True)
class Format:
    """An import format: a canonical template or a vendor export, mapped onto one canonical kind."""

    source: str
    kind: str
    columns: tuple[Column, ...]
    tool: str | None = None  # fixed tool for vendor exports; canonical activity names it per row
    # Extra SQL (over the table of the file's cells) that a vendor adapter needs; None for canonical templates.
    adapter: object = field(default=None, compare=False)

    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    def column_for(self, headers: list[str], target: str) -> str | None:
        for column in self.columns:
            if column.target == target:
                for name in headers:
                    if column.accepts(name):
                        return name
        return None


def _c(target, type_, required=True, header=None, aliases=()):
    return Column(target, header or target, type_, required, aliases)


CANONICAL = [
    Format("canonical roster", "roster", (
        _c("person", "id", header="email"), _c("department", "text"), _c("region", "text"),
        _c("business_unit", "text"), _c("level", "level"), _c("month", "month", required=False),
        _c("identity", "employee_id", required=False, header="person_id", aliases=("employee_id",)),
    )),
    Format("canonical activity", "activity", (
        _c("month", "month"), _c("person", "id", header="email"), _c("tool", "tool"),
        _c("posts", "count"), _c("replies", "count", required=False), _c("reactions", "count", required=False),
        _c("reads", "count", required=False), _c("other_actions", "count", required=False),
        _c("active_days", "count", required=False),
    )),
    Format("canonical communities", "communities", (
        _c("month", "month"), _c("community", "text"), _c("tool", "tool"), _c("posts", "count"),
        _c("members", "count", required=False), _c("reads", "count", required=False),
        _c("reactions", "count", required=False),
    )),
    Format("canonical champions", "champions", (
        _c("person", "id", header="email"), _c("department", "text"), _c("role", "text", required=False),
        _c("month", "month", required=False),
    )),
    Format("canonical training", "training", (
        _c("date", "date"), _c("program", "text"), _c("person", "id", header="email"),
    )),
    Format("canonical kpis", "kpis", (
        _c("month", "month"), _c("kpi", "text"), _c("value", "number"),
        _c("department", "text", required=False), _c("target", "number", required=False),
        _c("unit", "text", required=False), _c("higher_is_better", "bool", required=False),
        _c("objective", "text", required=False),
    )),
    Format("canonical checklist", "checklist", (
        _c("criterion", "criterion"), _c("answer", "answer"), _c("note", "text", required=False),
        _c("month", "month", required=False),
    )),
    # One row per address change (docs/formats.md#identity-changes): from `month` on, old_email is new_email.
    Format("canonical identity changes", "identity_changes", (
        _c("old", "id", header="old_email"), _c("new", "id", header="new_email"), _c("month", "month"),
    )),
    # Renames and mergers (docs/formats.md#departments): from `month` on, department `from` is called `to`.
    Format("canonical departments", "departments", (
        _c("month", "month"), _c("from_department", "text", header="from", aliases=("from department", "old name")),
        _c("to_department", "text", header="to", aliases=("to department", "new name")),
    )),
    # What the organisation started (docs/formats.md#initiatives): departments separated by ";", none = everyone.
    Format("canonical initiatives", "initiatives", (
        _c("name", "text", aliases=("initiative",)), _c("month", "month", header="start", aliases=("start month",)),
        _c("end_month", "month", header="end", required=False, aliases=("end month",)),
        _c("departments", "text", required=False, aliases=("department",)), _c("note", "text", required=False),
    )),
    # A metric's value to reach by a month (docs/formats.md#targets), for the organisation or one department.
    Format("canonical targets", "targets", (
        _c("metric", "text"), _c("value", "text"), _c("month", "month", header="by", aliases=("by month",)),
        _c("department", "text", required=False),
    )),
]

FORMATS: list[Format] = list(CANONICAL)


def register(fmt: Format) -> Format:
    """Vendor adapters add themselves here."""
    FORMATS.append(fmt)
    return fmt


@dataclass(frozen=True)
class Summary:
    """A vendor export recognised by its headers that holds no per-person data (daily or workspace totals):
    refused whatever kind was chosen, with advice on the export to download instead."""

    name: str
    markers: tuple[tuple[str, ...], ...]  # the file is this summary when it has every header of any one set
    advice: str  # the refusal after "{file}: "
    unless: tuple[str, ...] = ()  # a file with any of these headers holds people, so it is not this summary

    def matches(self, normalised: list[str]) -> bool:
        names = set(normalised)
        if names & {normalise_header(h) for h in self.unless}:
            return False
        return any({normalise_header(h) for h in marker_set} <= names for marker_set in self.markers)


SUMMARIES: list[Summary] = []


def register_summary(summary: Summary) -> Summary:
    """Vendor adapters add the summary exports they recognise here; the first that matches is named."""
    SUMMARIES.append(summary)
    return summary


def _matched(fmt: Format, headers: list[str]) -> tuple[list[Column], list[Column]]:
    present = [c for c in fmt.columns if any(c.accepts(h) for h in headers)]
    missing = [c for c in fmt.required() if c not in present]
    return present, missing


def detect(file_name: str, headers: list[str], kind: str | None = None) -> Format:
    """The format whose required columns the file has; the most specific one wins.

    A summary export (organisation totals, no one named) is refused first, with the export to download instead.
    When no format fits, the message names the closest one and the columns it misses.
    """
    normalised = [normalise_header(h) for h in headers]
    candidates = [f for f in FORMATS if kind is None or f.kind == kind]
    if kind is not None and kind not in KINDS:
        raise ImportRefused(f"{file_name}: unknown kind {kind!r}; choose one of {', '.join(KINDS)}.")
    for summary in SUMMARIES:
        # Checked first: an overview that shares a few column names with a detail export (Slack's Overview has
        # Name and Messages posted, like Channels) should hear what it is, not which columns it misses.
        if summary.matches(normalised):
            raise ImportRefused(f"{file_name}: {summary.advice}")
    fitting = [f for f in candidates if not _matched(f, normalised)[1]]
    if fitting:
        best = max(fitting, key=lambda f: (len(f.required()), len(_matched(f, normalised)[0])))
        # A roster missing one column also fits the champion register; the format that recognises
        # more of the file's columns is what the uploader meant, so name what that one misses.
        used = len(_matched(best, normalised)[0])
        for other in candidates:
            present, missing = _matched(other, normalised)
            if missing and len([c for c in present if c.required]) > used:
                _refuse_missing(file_name, other, missing)
        return best
    scored = sorted(
        candidates,
        key=lambda f: len([c for c in _matched(f, normalised)[0] if c.required]) / max(1, len(f.required())),
        reverse=True,
    )
    best = scored[0]
    present, missing = _matched(best, normalised)
    if [c for c in present if c.required] and len(missing) <= max(2, len(best.required()) // 2):
        _refuse_missing(file_name, best, missing)
    shown = ", ".join(headers[:6]) + (", …" if len(headers) > 6 else "")
    raise UnknownFormat(
        f"{file_name}: unknown format (columns: {shown}). Upload one of the supported exports or a canonical "
        "template from the Data page."
    )


def _refuse_missing(file_name: str, fmt: Format, missing: list[Column]):
    names = ", ".join(c.header for c in missing)
    found = f"{file_name}: this looks like a {fmt.source} file but it is missing the required column(s) {names}."
    if fmt.adapter is None:  # a canonical template is filled in by hand, so columns can be added
        raise ImportRefused(f"{found} Add them (see the template on the Data page) and upload it again.")
    # A vendor export is never patched by hand: say which export to download, and where.
    steps = getattr(fmt.adapter, "export_steps", None)
    again = f"Export it again ({steps})" if steps else "Export it again from where it was downloaded"
    raise ImportRefused(f"{found} {again} and upload the file as downloaded, without editing its columns.")
