"""Read an uploaded export, detect its format, validate it and map it to canonical rows, without touching the warehouse."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb

from .file_formats import KINDS, Column, Format, detect  # noqa: F401  (KINDS re-exported)
from .reading import ImportRefused, MonthNotGiven, UnknownFormat, load_cells, normalise_header  # noqa: F401

TOOL_ALIASES = {
    "vivaengage": "viva-engage", "engage": "viva-engage", "yammer": "viva-engage",
    "teams": "teams", "microsoftteams": "teams", "msteams": "teams", "slack": "slack",
}
LEVELS = ("executive", "manager", "staff")
BLANK_MEANS_UNKNOWN = {"department", "region", "business_unit"}
BLANK_ALLOWED = {"role", "unit", "objective", "note"} | BLANK_MEANS_UNKNOWN

CANONICAL_COLUMNS = {
    "roster": ["month", "person_key", "department", "region", "business_unit", "level", "identity_key"],
    "activity": ["month", "person_key", "tool", "concealed", "posts", "replies", "reactions", "reads",
                 "other_actions", "active_days", "identity_key"],
    "communities": ["month", "tool", "community", "members", "posts", "reads", "reactions"],
    "champions": ["month", "person_key", "department", "role"],
    "training": ["month", "date", "program", "person_key"],
    "kpis": ["month", "kpi", "department", "value", "target", "unit", "higher_is_better", "objective"],
    "checklist": ["month", "criterion", "answer", "note"],
    "devices": ["month", "person_key", "tool", "used_mobile", "identity_key"],
    "identity_changes": ["month", "old_key", "new_key"],
    "departments": ["month", "from_department", "to_department"],
    "initiatives": ["month", "name", "end_month", "departments", "note"],
    "targets": ["month", "metric", "value", "department"],
}
# Kinds whose `month` is when something starts or is due (docs/formats.md#initiatives): they hold no month of data,
# and the month an uploader chose for the other files of an upload does not apply to them.
STEERING_KINDS = ("initiatives", "targets")
# The namespaces of stable ids (docs/metrics.md#identity): an Entra object id (the Entra user list's id, Teams'
# User Id) and an HR employee number are different ids of one person, so each is hashed under its own name.
ID_NAMESPACES = {"object_id": "object-id", "employee_id": "employee-id"}
# What makes two rows of one file the same thing; a file holding one twice is refused.
UNIQUE_KEYS = {
    "roster": (["month", "person_key"], "person"),
    "activity": (["month", "tool", "person_key"], "person for the same tool"),
    "champions": (["month", "person_key"], "person"),
    "communities": (["month", "tool", "community"], "community for the same tool"),
    "kpis": (["month", "kpi", "department"], "KPI for the same department"),
    "checklist": (["month", "criterion"], "criterion"),
    "devices": (["month", "tool", "person_key"], "person for the same tool"),
    "identity_changes": (["old_key"], "old address"),
    "departments": (["month", "from_department"], "renamed department (from)"),
    "initiatives": (["name"], "initiative"),
    "targets": (["metric", "department", "month"], "target for the same metric and department"),
}

# Thousands separators and whitespace (regex \s: tab, newline, form feed, carriage return, space) dropped;
# translate() does in one pass what a regular expression would, several times faster.
_COUNT_TEXT = "translate({src}, ',' || chr(9) || chr(10) || chr(12) || chr(13) || ' ', '')"
_NUMBER_TEXT = (
    "CASE WHEN regexp_full_match(trim({src}), '-?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?') THEN replace(trim({src}), ',', '') "
    "WHEN regexp_full_match(trim({src}), '-?\\d+,\\d+') THEN replace(trim({src}), ',', '.') "
    "ELSE regexp_replace(trim({src}), '[\\s%]', '', 'g') END"
)
# Microsoft 365 exports may write their dates as UTC date-times (2021-10-25T00:00:00Z) as well as 2021-10-25.
_ISO_TIMES = "'%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%M:%S.%fZ'"
_DATE_FORMATS = f"['%Y-%m-%d', '%Y/%m/%d', '%b %d, %Y', '%B %d, %Y', '%d %b %Y', {_ISO_TIMES}, '%Y-%m-%d %H:%M:%S']"
_MONTH_FORMATS = f"['%Y-%m', '%Y-%m-%d', '%Y/%m', {_ISO_TIMES}]"
_FORMULA = "regexp_matches(trim({src}), '^([=+@\\t\\r]|-[^0-9. ])')"


# The ledger's checksum of a large file is computed beside the validation: hashlib releases the GIL.
_CHECKSUMS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-sha256")


def checklist_criteria() -> list[str]:
    """The criterion ids the rubric answers by checklist."""
    from queries import rubric

    return rubric.checklist_ids()


@dataclass
class PendingUpload:
    """A validated file, mapped to canonical rows and ready to commit."""

    file_name: str
    sha256: str
    format: Format
    rows: object  # pyarrow.Table of CANONICAL_COLUMNS[kind]
    months: list[dt.date]
    tools: list[str]
    concealed_rows: int = 0
    notes: list[str] = field(default_factory=list)
    file_rows: object = None  # the file's row number (as a spreadsheet shows it) of each of `rows`

    @property
    def kind(self) -> str:
        return self.format.kind

    @property
    def source(self) -> str:
        return self.format.source

    @property
    def row_count(self) -> int:
        return self.rows.num_rows

    def month_labels(self) -> list[str]:
        return [m.strftime("%Y-%m") for m in self.months]


def parse_month(value: str | dt.date | None, what: str = "month") -> dt.date | None:
    """'2026-09' → date(2026, 9, 1); refuses anything that is not a real month."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(value))
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise ImportRefused(f"{what} {value!r} is not a month; write it as YYYY-MM, for example 2026-09.")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _clean(column: Column, src: str, parsed_as: str) -> tuple[str, list[tuple[str, str]], str | None]:
    """SQL for a column's clean value, the checks (condition, problem) that refuse a row, and the parse the value
    and checks share: computed once per row as the column `parsed_as` (None when there is nothing to share)."""
    blank = f"(trim({src}) = '' OR {src} IS NULL)"
    present = f"NOT {blank}"
    checks: list[tuple[str, str]] = []
    parse = None
    if column.type in ("id", "text", "tool", "criterion", "date", "level", "answer") and column.required \
            and column.target not in BLANK_ALLOWED:
        checks.append((blank, "is blank; every row needs a value here"))
    if column.type == "id":
        value = f"nullif(trim({src}), '')"
    elif column.type in ID_NAMESPACES:
        # Only the pseudonym is kept, under its namespace (docs/metrics.md#identity); the raw id goes no further.
        space = ID_NAMESPACES[column.type]
        value = f"CASE WHEN {present} THEN '{space}:' || sha256($pepper || '{space}:' || lower(trim({src}))) END"
    elif column.type == "text":
        value = f"nullif(trim({src}), '')"
        checks.append((f"{present} AND {_FORMULA.format(src=src)}",
                       "starts like a spreadsheet formula (= + - @); remove that character"))
    elif column.type == "count":
        # Most cells are plain numbers that DuckDB casts as they are; only the rest pay for dropping separators
        # (CASE evaluates its ELSE only for the rows that need it; coalesce would evaluate both for every row).
        direct = f"TRY_CAST({src} AS DOUBLE)"
        parse = (f"CASE WHEN {direct} IS NOT NULL THEN {direct} "
                 f"ELSE TRY_CAST(nullif({_COUNT_TEXT.format(src=src)}, '') AS DOUBLE) END")
        number = parsed_as
        value = f"CAST({number} AS BIGINT)"
        # NULL (not a number), NaN, infinities and fractions all fail `number % 1 = 0`.
        checks.append((f"{present} AND NOT coalesce({number} % 1 = 0, false)",
                       "is not a whole number; counts must be whole numbers (1,204 is fine)"))
        checks.append((f"{present} AND {number} < 0", "is negative; counts cannot be below 0"))
    elif column.type == "number":
        parse, number = f"TRY_CAST(nullif({_NUMBER_TEXT.format(src=src)}, '') AS DOUBLE)", parsed_as
        value = number
        checks.append((f"{present} AND ({number} IS NULL OR NOT isfinite({number}))", "is not a number"))
        if column.required:
            checks.append((blank, "is blank; every row needs a number here"))
    elif column.type == "month":
        parse, parsed = f"try_strptime(trim({src}), {_MONTH_FORMATS})", parsed_as
        value = f"CAST(date_trunc('month', {parsed}) AS DATE)"
        checks.append((f"{present} AND ({parsed} IS NULL OR year({parsed}) NOT BETWEEN 2000 AND 2100)",
                       "is not a real month; write it as YYYY-MM, for example 2026-09"))
    elif column.type == "date":
        parse, parsed = f"try_strptime(trim({src}), {_DATE_FORMATS})", parsed_as
        value = f"CAST({parsed} AS DATE)"
        checks.append((f"{present} AND ({parsed} IS NULL OR year({parsed}) NOT BETWEEN 2000 AND 2100)",
                       "is not a real date; write it as YYYY-MM-DD, for example 2026-09-15"))
    elif column.type == "level":
        value = f"lower(trim({src}))"
        checks.append((f"{present} AND lower(trim({src})) NOT IN {LEVELS}",
                       "is not a level; use executive, manager or staff"))
    elif column.type == "bool":
        value = (f"CASE WHEN lower(trim({src})) IN ('true', 'yes', 'y', '1') THEN true "
                 f"WHEN lower(trim({src})) IN ('false', 'no', 'n', '0') THEN false END")
        checks.append((f"{present} AND lower(trim({src})) NOT IN ('true', 'yes', 'y', '1', 'false', 'no', 'n', '0')",
                       "is not true or false"))
    elif column.type == "answer":
        value = f"lower(trim({src})) = 'yes'"
        checks.append((f"{present} AND lower(trim({src})) NOT IN ('yes', 'no')", "is not an answer; use yes or no"))
    elif column.type == "criterion":
        value = f"lower(trim({src}))"
        checks.append((f"{present} AND NOT list_contains($criteria, lower(trim({src})))",
                       "is not a checklist criterion of the rubric (for example 1d, 2d, 3e, 4e, 4f, 5e, 6e)"))
    elif column.type == "tool":
        key = f"regexp_replace(lower(trim({src})), '[^a-z0-9]', '', 'g')"
        cases = " ".join(f"WHEN '{alias}' THEN '{tool}'" for alias, tool in TOOL_ALIASES.items())
        value = f"CASE {key} {cases} ELSE {key} END"
    else:  # pragma: no cover - a programming error in a Format definition
        raise ValueError(f"unknown column type {column.type}")
    return value, checks, parse


def _refuse_first(conn, file_name: str, failures: list[tuple[str, str, str, str | None]], params: dict,
                  rows: str = "(SELECT rowid AS row_index, * FROM cells)"):
    """Refuse on the first failing row of the checks, naming row and column. `rows` holds a row_index and
    whatever the conditions name (by default, the file's cells)."""
    if not failures:
        return
    select = ", ".join(f"min(row_index) FILTER (WHERE {cond})" for cond, _, _, _ in failures)
    used = {k: v for k, v in params.items() if f"${k}" in select}
    firsts = conn.execute(f"SELECT {select} FROM {rows}", used).fetchone()
    hits = [(row, i) for i, row in enumerate(firsts) if row is not None]
    if not hits:
        return
    row, index = min(hits)
    _, problem, header, src = failures[index]
    shown = ""
    if src:  # never echo an id column: it holds an email
        value = conn.execute(f"SELECT {src} FROM cells WHERE rowid = ?", [row]).fetchone()[0]
        if value is not None and str(value).strip():
            shown = f'("{str(value).strip()[:40]}") '
    raise ImportRefused(f'{file_name}: row {row + 2}, column "{header}" {shown}{problem}.')


def person_key_sql(source: str) -> str:
    """SQL for the person key of an e-mail or UPN: the one definition, which erasure (queries/erasure.py) reuses."""
    return f"sha256($pepper || lower(trim({source})))"


def read_upload(file_name: str, data: bytes, *, pepper: str, month: str | dt.date | None = None,
                kind: str | None = None, allow_period: bool = False, mapping=None) -> PendingUpload:
    """Validate a file and map it to canonical rows. Raises ImportRefused with a message for the uploader.

    `mapping`, a saved `mapping.ColumnMapping`, reads an HR export as a roster through the columns it names
    instead of detecting the format (docs/formats.md#other-hr-exports)."""
    given_month = parse_month(month, "The month")

    def format_of(headers: list[str]) -> Format:
        if mapping is not None:
            return column_mapping.format_for(mapping, file_name, headers)
        return detect(file_name, headers, kind)

    def columns_for(headers: list[str]) -> list[str]:
        # Only the columns the detected format reads are loaded.
        fmt = format_of(headers)
        normalised = [normalise_header(h) for h in headers]
        return [name for column in fmt.columns if (name := fmt.column_for(normalised, column.target))]

    checksum = _CHECKSUMS.submit(lambda: hashlib.sha256(data).hexdigest())
    with duckdb.connect() as conn:
        headers = load_cells(conn, file_name, data, columns_for=columns_for)
        normalised = [normalise_header(h) for h in headers]
        fmt = format_of(headers)
        if conn.execute("SELECT count(*) FROM cells").fetchone()[0] == 0:
            raise ImportRefused(f"{file_name}: the file has column names but no rows.")
        params = {"pepper": pepper, "criteria": checklist_criteria()}
        clean_columns, failures, parses = ["row_index"], [], ["rowid AS row_index", "*"]
        present_targets = set()
        for column in fmt.columns:
            name = fmt.column_for(normalised, column.target)
            if name is None:
                continue
            src = _quoted(name)
            header = headers[normalised.index(name)]
            parsed_as = _quoted(f"__parsed_{column.target}")
            value, checks, parse = _clean(column, src, parsed_as)
            if parse is not None:
                parses.append(f"{parse} AS {parsed_as}")
            clean_columns.append(f"{value} AS {_quoted(column.target)}")
            present_targets.add(column.target)
            echo = None if column.type == "id" or column.type in ID_NAMESPACES else src
            failures.extend((cond, problem, header, echo) for cond, problem in checks)
            if column.type == "id" and column.target == "person":
                clean_columns.append(f"{person_key_sql(src)} AS person_key")
                clean_columns.append(f"regexp_full_match(trim({src}), '[0-9A-Fa-f]{{32}}') AS concealed")
            elif column.type == "id":  # the addresses of an identity change
                clean_columns.append(f"{person_key_sql(src)} AS {column.target}_key")
        # One pass over the file parses each cell once, keeps the clean values and marks every failed check;
        # the first failure is then found among the marks. The marks stay in `clean` unused.
        parsed = f"(SELECT {', '.join(parses)} FROM cells)"
        marks = [f"{cond} AS __check_{i}" for i, (cond, _, _, _) in enumerate(failures)]
        select = ", ".join(clean_columns + marks)
        used = {k: v for k, v in params.items() if f"${k}" in select}
        try:
            conn.execute(f"CREATE TEMP TABLE clean AS SELECT {select} FROM {parsed}", used)
        except duckdb.Error:
            # A value that parses but does not fit (say a count beyond BIGINT): a failed check on an earlier row
            # is still what the uploader hears about first.
            _refuse_first(conn, file_name, failures, params, rows=parsed)
            raise
        _refuse_first(conn, file_name, [(f"__check_{i}", *rest) for i, (_, *rest) in enumerate(failures)], params,
                      rows="clean")

        adapter = fmt.adapter
        notes: list[str] = []
        if adapter and hasattr(adapter, "prepare"):
            # A vendor adapter may refuse the file, drop rows it cannot use, or roll rows up (for example
            # daily records to one row per person) by rewriting `clean`; it returns notes for the preview.
            notes.extend(adapter.prepare(conn, file_name, present_targets))
            if conn.execute("SELECT count(*) FROM clean").fetchone()[0] == 0:
                raise ImportRefused(f"{file_name}: no row of the file can be imported. " + " ".join(notes))
        file_month = adapter.file_month(conn, file_name, given_month, allow_period) if adapter else None
        if fmt.kind in STEERING_KINDS:  # their months are a start and a deadline, not the month a file covers
            given_month = None
        month_expr = _resolve_month(conn, file_name, fmt, present_targets, given_month, file_month, headers,
                                    normalised)
        expressions = _canonical_expressions(fmt, present_targets, month_expr)
        if adapter:
            expressions.update(adapter.expressions(present_targets))
        select = ", ".join(f"{expressions[c]} AS {c}" for c in CANONICAL_COLUMNS[fmt.kind])
        # in no particular order: every read of `canonical` below orders by row_index or takes its minimum
        conn.execute(f"CREATE TEMP TABLE canonical AS SELECT row_index, {select} FROM clean")
        _refuse_duplicates(conn, file_name, fmt.kind)
        if fmt.kind == "identity_changes":
            same = conn.execute("SELECT min(row_index) FROM canonical WHERE old_key = new_key").fetchone()[0]
            if same is not None:
                raise ImportRefused(f"{file_name}: row {same + 2} gives the same address as old_email and new_email; "
                                    "remove that row (only changed addresses belong in the file).")
        if fmt.kind == "departments":
            department_renames.refuse_unclear(conn, file_name)
        if fmt.kind in STEERING_KINDS:
            steering.refuse_unclear(conn, file_name, fmt.kind)
        months = [r[0] for r in conn.execute("SELECT DISTINCT month FROM canonical ORDER BY 1").fetchall()]
        tools = []
        if "tool" in CANONICAL_COLUMNS[fmt.kind]:
            tools = [r[0] for r in conn.execute("SELECT DISTINCT tool FROM canonical ORDER BY 1").fetchall()]
        concealed = 0
        if "concealed" in CANONICAL_COLUMNS[fmt.kind]:
            concealed = conn.execute("SELECT count(*) FILTER (WHERE concealed) FROM canonical").fetchone()[0]
        elif "concealed" in [r[0] for r in conn.execute("DESCRIBE clean").fetchall()]:
            concealed = conn.execute("SELECT count(*) FILTER (WHERE concealed) FROM clean").fetchone()[0]
        rows = conn.execute(f"SELECT {', '.join(CANONICAL_COLUMNS[fmt.kind])}, row_index + 2 AS file_row "
                            "FROM canonical ORDER BY row_index").arrow()
        if hasattr(rows, "read_all"):
            rows = rows.read_all()
        file_rows = rows.column("file_row").to_pylist()
        rows = rows.drop_columns(["file_row"])
    if kind is None and mapping is None and fmt.kind == "champions":
        notes.extend(column_mapping.roster_read_as_champions(headers))
    pending = PendingUpload(file_name, checksum.result(), fmt, rows, months, tools, concealed, notes, file_rows)
    if adapter and hasattr(adapter, "notes"):
        pending.notes.extend(adapter.notes(pending))
    return pending


def _resolve_month(conn, file_name, fmt, present_targets, given_month, file_month, headers, normalised) -> str:
    """SQL for each row's month: from the file where it says, else from the uploader; contradictions refused."""
    if file_month is not None:
        if given_month is not None and given_month != file_month:
            raise ImportRefused(
                f"{file_name}: the file covers {file_month:%Y-%m}, but the month given was {given_month:%Y-%m}. "
                "Leave the month empty or choose the file's month.")
        return f"DATE '{file_month.isoformat()}'"
    if "month" in present_targets:
        blank_row = conn.execute("SELECT min(row_index) FROM clean WHERE month IS NULL").fetchone()[0]
        if blank_row is not None and given_month is None:
            header = headers[normalised.index(fmt.column_for(normalised, "month"))]
            raise ImportRefused(
                f"{file_name}: row {blank_row + 2}, column \"{header}\" is blank. Fill in the month (YYYY-MM) "
                "or choose the month at upload.")
        if given_month is not None:
            other = conn.execute("SELECT min(month) FROM clean WHERE month IS NOT NULL AND month <> ?",
                                 [given_month]).fetchone()[0]
            if other is not None:
                raise ImportRefused(
                    f"{file_name}: the file holds rows for {other:%Y-%m}, but the month given was "
                    f"{given_month:%Y-%m}. Leave the month empty to import the months the file names.")
            return f"coalesce(month, DATE '{given_month.isoformat()}')"
        return "month"
    if fmt.kind == "training":
        return "CAST(date_trunc('month', date) AS DATE)"
    if given_month is None:
        # A month the file name suggests is offered, never taken: the uploader confirms it.
        named = slack.month_named(file_name)
        if named is not None:
            raise MonthNotGiven(
                f"{file_name}: this {fmt.source} file does not say which month it covers. Its name suggests "
                f"{named.label} ({named.reason}). If that is right, choose {named.label} on the upload form, or "
                f"pass --month {named.label} on the command line.")
        raise MonthNotGiven(
            f"{file_name}: this {fmt.source} file does not say which month it covers. "
            "Choose the month on the upload form, or pass --month YYYY-MM on the command line.")
    return f"DATE '{given_month.isoformat()}'"


def _canonical_expressions(fmt: Format, present: set[str], month_expr: str) -> dict[str, str]:
    def col(name, default="NULL"):
        return _quoted(name) if name in present else default

    expressions = {
        "month": month_expr,
        "person_key": "person_key",
        "concealed": "coalesce(concealed, false)",
        "tool": col("tool", f"'{fmt.tool}'" if fmt.tool else "NULL"),
        "community": col("community"),
        "program": col("program"),
        "date": col("date"),
        "kpi": col("kpi"),
        "value": col("value"),
        "target": col("target"),
        "unit": col("unit"),
        "higher_is_better": f"coalesce({col('higher_is_better')}, true)",
        "objective": col("objective"),
        "criterion": col("criterion"),
        "answer": col("answer"),
        "note": col("note"),
        "role": col("role"),
        "level": col("level"),
        "old_key": "old_key",
        "new_key": "new_key",
        # A concealed (M365 privacy setting) row links nothing: its id would tie a hidden person to their address.
        "identity_key": (f"CASE WHEN NOT coalesce(concealed, false) THEN {col('identity')} END"
                         if fmt.kind in ("activity", "devices") and "identity" in present else col("identity")),
        "from_department": col("from_department"),
        "to_department": col("to_department"),
        "name": col("name"),
        "end_month": col("end_month", "CAST(NULL AS DATE)"),
        # "Sales; Sales Ops" → ['Sales', 'Sales Ops']; blank → [] (the whole organisation)
        "departments": ("list_sort(list_distinct(list_filter(list_transform(string_split(coalesce("
                        f"{col('departments')}, ''), ';'), d -> trim(d)), d -> d <> '')))"),
        "metric": f"regexp_replace(lower(trim({col('metric')})), '[ _-]*rate$', '')",  # "adoption rate" too
    }
    if fmt.kind == "targets":  # a share as written: "60%" (a percentage, "1%" too), "0.6", or "60" (a percentage)
        written = f"trim({col('value')})"
        number = f"TRY_CAST(trim(replace({written}, '%', '')) AS DOUBLE)"
        expressions["value"] = (f"CASE WHEN contains({written}, '%') OR {number} > 1 THEN {number} / 100 "
                                f"ELSE {number} END")
    for count in ("posts", "replies", "reactions", "reads", "other_actions", "active_days", "members"):
        expressions[count] = f"CAST({col(count)} AS BIGINT)"
    for dimension in ("department", "region", "business_unit"):
        expressions[dimension] = col(dimension, "CAST(NULL AS VARCHAR)")
        if fmt.kind in ("roster", "champions"):
            expressions[dimension] = f"coalesce({col(dimension)}, 'Unassigned')"
    return expressions


def _refuse_duplicates(conn, file_name: str, kind: str):
    if kind not in UNIQUE_KEYS:
        return
    keys, what = UNIQUE_KEYS[kind]
    partition = ", ".join(keys)
    # The usual case, found without ordering every row, and grouped by one number per row rather than by the
    # 64-character person keys: rows that repeat a key share its hash, and a chance collision is only looked at.
    if conn.execute(f"SELECT 1 FROM canonical GROUP BY hash({partition}) HAVING count(*) > 1 LIMIT 1").fetchone() \
            is None:
        return
    row = conn.execute(
        f"SELECT row_index, first_index FROM (SELECT row_index, min(row_index) OVER (PARTITION BY {partition}) "
        f"AS first_index FROM canonical) WHERE row_index <> first_index ORDER BY row_index LIMIT 1"
    ).fetchone()
    if row:
        raise ImportRefused(
            f"{file_name}: row {row[0] + 2} repeats the same {what} as row {row[1] + 2} in the same month. "
            "Each may appear only once per month; remove or merge the repeat.")


# Vendor adapters register their formats on import (kept last: they use the names above).
from . import entra, m365, slack  # noqa: E402,F401
from . import departments as department_renames  # noqa: E402
from . import steering  # noqa: E402
from . import mapping as column_mapping  # noqa: E402
