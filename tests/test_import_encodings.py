"""Awkward but valid files: encodings, BOMs, delimiters, line ends, blank cells and thousands separators."""
import codecs
import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queries.imports import ImportRefused, read_upload

ROSTER = "email,department,region,business_unit,level\nzoë@x.com,Ventes,Région Île,Commercial,staff\nb@x.com,Légal,EU,C,manager\n"


def rows_of(data: bytes, month="2026-09"):
    return read_upload("f.csv", data, pepper="p", month=month).rows.to_pylist()


EXPECTED = rows_of(ROSTER.encode("utf-8"))


@pytest.mark.parametrize("encoded", [
    pytest.param(ROSTER.encode("utf-8"), id="utf-8"),
    pytest.param(codecs.BOM_UTF8 + ROSTER.encode("utf-8"), id="utf-8-bom"),
    pytest.param(ROSTER.encode("utf-16"), id="utf-16-bom"),
    pytest.param(codecs.BOM_UTF16_BE + ROSTER.encode("utf-16-be"), id="utf-16-be-bom"),
    pytest.param(ROSTER.encode("utf-16-le"), id="utf-16-le-without-bom"),
    pytest.param(ROSTER.encode("cp1252"), id="windows-1252"),
    pytest.param(ROSTER.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
    pytest.param(ROSTER.replace(",", ";").encode("utf-8"), id="semicolon"),
    pytest.param(ROSTER.replace(",", "\t").encode("utf-8"), id="tab"),
    pytest.param((ROSTER + "\n\n").encode("utf-8"), id="trailing-blank-lines"),
])
def test_encodings_and_delimiters_give_the_same_rows(encoded):
    assert rows_of(encoded) == EXPECTED


def test_xlsx_first_sheet():
    book = openpyxl.Workbook()
    sheet = book.active
    for line in ROSTER.strip().split("\n"):
        sheet.append(line.split(","))
    book.create_sheet("ignored").append(["nothing", "here"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_upload("roster.xlsx", buffer.getvalue(), pepper="p", month="2026-09").rows.to_pylist() == EXPECTED


def test_quoted_delimiters_and_thousands_separators():
    text = 'month,email,tool,posts,reactions\n2026-09,a@x.com,slack,"1,204", 2 \n2026-09,b@x.com,slack,,\n'
    rows = rows_of(text.encode("utf-8"), month=None)
    assert [(r["posts"], r["reactions"]) for r in rows] == [(1204, 2), (None, None)]


def test_semicolon_file_with_decimal_commas_in_kpis():
    text = "month;kpi;value;target\n2026-09;NPS;3,5;4\n"
    rows = read_upload("k.csv", text.encode("cp1252"), pepper="p").rows.to_pylist()
    assert rows[0]["value"] == 3.5


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@settings(max_examples=60, deadline=None)
@given(department=cell, region=cell, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
       delimiter=st.sampled_from([",", ";", "\t"]), newline=st.sampled_from(["\n", "\r\n"]))
def test_any_text_cell_survives_any_encoding_and_delimiter(department, region, encoding, delimiter, newline):
    def quote(value):
        return '"' + value.replace('"', '""') + '"'

    header = delimiter.join(["email", "department", "region", "business_unit", "level"])
    line = delimiter.join(["a@x.com", quote(department), quote(region), "C", "staff"])
    data = (header + newline + line + newline).encode(encoding)
    try:
        rows = read_upload("f.csv", data, pepper="p", month="2026-09").rows.to_pylist()
    except ImportRefused as refused:
        # the only refusal allowed for free text is a formula-like start
        assert "formula" in str(refused)
        return
    expected_department = department.strip() or "Unassigned"
    assert rows[0]["department"] == expected_department
    assert rows[0]["region"] == (region.strip() or "Unassigned")


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_are_imported_or_refused_with_a_message(data):
    try:
        read_upload("random.csv", data, pepper="p", month="2026-09")
    except ImportRefused as refused:
        assert str(refused).startswith("random.csv")
