"""Turn an uploaded file's bytes into a DuckDB table of text cells, whatever its encoding, delimiter or container."""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import tempfile

import duckdb

from .. import environment

def max_upload_bytes() -> int:
    """The largest file the importer accepts, also after unpacking (DASHBOARD_MAX_UPLOAD_MB, read on each upload so
    a wrong value is refused by name, not at start-up)."""
    try:
        return environment.megabytes("DASHBOARD_MAX_UPLOAD_MB", 200, 10_240) * 1024 * 1024
    except environment.SettingError as wrong:
        raise ImportRefused(f"Nothing was imported: the server's upload limit is set wrongly. {wrong}") from None
_DELIMITERS = (",", ";", "\t")


class ImportRefused(ValueError):
    """A file we will not import, with a message for the person who uploaded it."""


class UnknownFormat(ImportRefused):
    """No format reads the file's columns, nor misses only a few of one: a column mapping may read it as a roster."""


class MonthNotGiven(ImportRefused):
    """The file does not say which month it covers and no month was given: given one, it may import."""


def normalise_header(name: str) -> str:
    """Header names compare without case, spaces or punctuation: 'User Principal Name' == 'userprincipalname'."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


_CONTENT = re.compile(rb"[^\x00\r\n\t \xef\xbb\xbf\xff\xfe]")  # anything but blanks, NULs and byte-order marks


def _refuse_empty_or_large(file_name: str, data: bytes) -> None:
    if not _CONTENT.search(data):
        raise ImportRefused(f"{file_name}: the file is empty. Export it again and upload the new file.")
    if len(data) > (limit := max_upload_bytes()):
        raise ImportRefused(
            f"{file_name}: the file is {len(data) / 1048576:.0f} MB, over the "
            f"{limit // 1048576} MB limit. Split it by month and upload the parts."
        )


def decode(file_name: str, data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252 text."""
    _refuse_empty_or_large(file_name, data)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportRefused(f"{file_name}: the file says it is UTF-16 but is not readable as such.") from None
    head = data[:4096]
    if len(head) >= 8 and head[1::2].count(0) > 0.9 * (len(head) // 2) and head[0::2].count(0) == 0:
        # UTF-16 little-endian without a BOM (some Windows tools save it so): every other byte is zero.
        try:
            return data.decode("utf-16-le")
        except UnicodeDecodeError:
            pass
    if b"\x00" in head:
        raise ImportRefused(
            f"{file_name}: this is a binary file, not a CSV or XLSX export. Upload the CSV as downloaded."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    if text.count("\ufffd") > max(10, len(text) // 100):
        raise ImportRefused(
            f"{file_name}: the text is in an encoding we cannot read. Save it as CSV UTF-8 and upload it again."
        )
    return text


def xlsx_to_text(file_name: str, data: bytes) -> str:
    """The first sheet of an XLSX workbook as comma-separated text."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportRefused(f"{file_name}: this XLSX workbook cannot be opened; it may be damaged or truncated.") \
            from None
    sheet = book.worksheets[0]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in sheet.iter_rows(values_only=True):
        writer.writerow(["" if cell is None else _xlsx_cell(cell) for cell in row])
    book.close()
    return out.getvalue()


def _xlsx_cell(cell) -> str:
    if hasattr(cell, "strftime"):
        return cell.strftime("%Y-%m-%d")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def gunzip(file_name: str, data: bytes) -> bytes:
    """Slack's admin.analytics.getFile answers with gzip; accept it as downloaded, within the size limit."""
    limit = max_upload_bytes()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(limit + 1)
    except (OSError, EOFError):
        raise ImportRefused(f"{file_name}: this gzip file cannot be unpacked; it may be truncated.") from None
    if len(out) > limit:
        raise ImportRefused(
            f"{file_name}: unpacked, the file is over the {limit // 1048576} MB limit. "
            "Split it by month and upload the parts.")
    return out


def text_of(file_name: str, data: bytes) -> str:
    """Text of a CSV or NDJSON file (gzipped or not), or of an XLSX workbook's first sheet."""
    if data[:4] == b"PK\x03\x04":
        return xlsx_to_text(file_name, data)
    if data[:2] == b"\x1f\x8b":
        data = gunzip(file_name, data)
    return decode(file_name, data)


def is_ndjson(text: str) -> bool:
    """Newline-delimited JSON (one object per line), as Slack's analytics API writes it."""
    return text.lstrip("\ufeff \t\r\n")[:1] == "{"


def load_ndjson(conn: duckdb.DuckDBPyConnection, file_name: str, text: str, table: str = "cells") -> list[str]:
    """Load NDJSON into a temporary table of VARCHAR columns named by normalised key, one row per object.

    Keys come in order of first appearance; a key an object lacks is NULL; nested values stay JSON text.
    Blank lines are skipped, so several daily files concatenated load as one.
    """
    import pyarrow

    lines = re.split(r"\r\n|\n|\r", text.lstrip("\ufeff"))
    kept = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    conn.register("_lines", pyarrow.table({"line": [n for n, _ in kept], "text": [t for _, t in kept]}))
    try:
        bad = conn.execute(
            "SELECT min(line) FROM _lines WHERE CASE WHEN json_valid(text) THEN json_type(text::JSON) <> 'OBJECT' "
            "ELSE true END").fetchone()[0]
        if bad is not None:
            raise ImportRefused(f"{file_name}: line {bad} is not a JSON object; each line should hold one record, "
                                "as Slack's analytics export writes them. Check for a truncated download.")
        conn.execute("CREATE OR REPLACE TEMP TABLE _objects AS SELECT line, text::JSON AS json FROM _lines")
        keys = [r[0] for r in conn.execute(
            "SELECT key FROM (SELECT line, unnest(json_keys(json)) AS key, unnest(range(len(json_keys(json)))) "
            "AS pos FROM _objects) GROUP BY key ORDER BY min([line, pos])").fetchall()]
    except duckdb.Error as error:
        raise ImportRefused(
            f"{file_name}: the file is not well-formed newline-delimited JSON ({_first_line(error)}). "
            "Check for a truncated download.") from None
    finally:
        conn.unregister("_lines")
    names, seen = [], set()
    for index, key in enumerate(keys):
        name = normalise_header(key) or f"column{index + 1}"
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    if not keys:
        raise ImportRefused(f"{file_name}: the JSON records hold no fields.")
    select = ", ".join(f"json ->> ? AS \"{n}\"" for n in names)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {select} FROM _objects ORDER BY line",
                 ["$." + _json_path_key(k) for k in keys])
    conn.execute("DROP TABLE _objects")
    return keys


def _json_path_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sniff_delimiter(header_line: str) -> str:
    """The delimiter is whichever of , ; or tab splits the header line into the most cells."""
    counts = {d: len(next(csv.reader([header_line], delimiter=d))) for d in _DELIMITERS}
    return max(_DELIMITERS, key=lambda d: (counts[d], d == ","))


def load_cells(conn: duckdb.DuckDBPyConnection, file_name: str, data: bytes, table: str = "cells",
               columns_for=None) -> list[str]:
    """Load an uploaded file's bytes into a temporary table of VARCHAR columns named by normalised header.

    `columns_for(headers)`, when given, names the normalised columns to keep: the others are never read, which
    matters for exports of thirty columns of which a format uses six. A plain UTF-8 CSV goes to DuckDB as it
    is; anything else (XLSX, gzip, UTF-16, Windows-1252, NDJSON) is decoded to text first.
    """
    if _is_plain_utf8_csv(data):
        _refuse_empty_or_large(file_name, data)
        start = 0
        while data.startswith(codecs.BOM_UTF8, start):
            start += len(codecs.BOM_UTF8)
        newline = _NEWLINE.search(data, start)
        first_line = data[start:newline.start() if newline else len(data)].decode("utf-8")
        body_start = newline.end() if newline else len(data)
        quotes = data.count(b'"')
        body = memoryview(data)[body_start:]
        has_body = _NON_SPACE.search(data, body_start) is not None
        return _load_csv(conn, file_name, first_line, quotes, body, has_body, table, columns_for)
    return load_text(conn, file_name, text_of(file_name, data), table, columns_for)


_NEWLINE = re.compile(rb"\r\n|\n|\r")
_NON_SPACE = re.compile(rb"[^ \t\n\r\x0b\x0c]")
_NDJSON_START = re.compile(rb"(?:\xef\xbb\xbf|[ \t\r\n])*\{")


def _is_plain_utf8_csv(data: bytes) -> bool:
    """Whether the bytes are a CSV in UTF-8 (with or without BOM) that DuckDB can read without decoding first."""
    if data[:4] == b"PK\x03\x04" or data[:2] == b"\x1f\x8b" or data.startswith((codecs.BOM_UTF16_LE,
                                                                               codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in data[:4096] or _NDJSON_START.match(data):
        return False  # UTF-16 without BOM, binary or NDJSON: decode() and load_text() say which
    if data.isascii() or data.startswith(codecs.BOM_UTF8) and data[len(codecs.BOM_UTF8):].isascii():
        return True  # ASCII after a BOM, as most exports are: no need to decode every byte to know
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def load_text(conn: duckdb.DuckDBPyConnection, file_name: str, text: str, table: str = "cells",
              columns_for=None) -> list[str]:
    """Load text into a temporary table of VARCHAR columns named by normalised header.

    Row order is file order, so `rowid + 2` is the row number a spreadsheet shows (row 1 is the header).
    Returns the original header names, in order. NDJSON text is loaded the same way, by key.
    """
    if is_ndjson(text):
        return load_ndjson(conn, file_name, text, table)
    text = text.lstrip("\ufeff")
    parts = re.split(r"\r\n|\n|\r", text, maxsplit=1)
    first_line, body = parts[0], (parts[1] if len(parts) > 1 else "")
    return _load_csv(conn, file_name, first_line, text.count('"'), body.encode("utf-8"), bool(body.strip()),
                     table, columns_for)


def _load_csv(conn, file_name: str, first_line: str, quotes: int, body, has_body: bool, table: str,
              columns_for) -> list[str]:
    """Load a CSV body (UTF-8 bytes after the header line) under the header's normalised names."""
    if not first_line.strip():
        raise ImportRefused(f"{file_name}: the first line is blank; it should hold the column names.")
    if quotes % 2:
        raise ImportRefused(f"{file_name}: a quoted cell is never closed (an odd number of \" characters); the file "
                            "may be truncated. Download the export again.")
    try:
        delimiter = sniff_delimiter(first_line)
        header = next(csv.reader([first_line], delimiter=delimiter))
    except csv.Error:
        raise ImportRefused(f"{file_name}: the first line is not a row of column names.") from None
    names, seen = [], set()
    for index, original in enumerate(header):
        name = normalise_header(original) or f"column{index + 1}"
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    keep, refused = names, None
    if columns_for is not None:
        try:
            chosen = set(columns_for(header))
            keep = [n for n in names if n in chosen] or names[:1]
        except ImportRefused as error:
            refused = error  # a malformed file is refused for that first, as when every column is read
    with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as handle:
        handle.write(body)
        path = handle.name
    try:
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        selected = ", ".join(f'"{n}"' for n in keep)
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {selected} FROM read_csv(?, delim = ?, quote = '\"', "
            f"escape = '\"', header = false, auto_detect = false, columns = {columns}, null_padding = true, "
            f"strict_mode = false)",
            [path, delimiter],
        ) if has_body else conn.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM (SELECT "
            + ", ".join(f"NULL::VARCHAR AS {n}" for n in keep) + ") WHERE false"
        )
    except duckdb.Error as error:
        raise ImportRefused(
            f"{file_name}: the file is not a well-formed CSV ({_first_line(error)}). "
            "Check for unclosed quotes or a truncated download."
        ) from None
    finally:
        os.unlink(path)
    if refused is not None:
        raise refused
    return header


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200]
