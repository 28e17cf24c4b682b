"""Charts drawn from Vega-Lite specs that are built once per distinct input and then cached, each with a text
alternative.

Building an Altair chart validates every part of it against the Vega-Lite schema. That costs more than the rest
of a warm page run (about 50 ms a chart), and it would be paid on every run. So a page names a chart builder (any
function that returns an Altair chart) and its inputs, and the spec is built on a cache miss only; a warm run is
layout only.

Every chart gets a text alternative, whatever its builder: a one-line description from its title (the spec's
top-level `description`, which Vega-Lite makes the chart's accessible name), and the data behind it as a table in a
collapsed expander under it. The table has the columns the chart's tooltips show, under the tooltips' titles and
in their formats, so it says what a pointer would (suppressed cells included) and nothing more.
"""
from __future__ import annotations

import inspect

import pandas as pd
import pyarrow as pa
import streamlit as st

from app import arrow, cache_keys
from queries import formats

DATA_LABEL = "Data behind this chart"
_KINDS = {"line": "Line chart", "trail": "Line chart", "bar": "Bar chart", "area": "Area chart", "arc": "Pie chart",
          "circle": "Scatter plot", "point": "Scatter plot", "square": "Scatter plot", "tick": "Strip plot",
          "boxplot": "Box plot", "rect": "Chart", "text": "Chart", "rule": "Chart", "geoshape": "Map"}
_COMPOSED = ("layer", "hconcat", "vconcat", "concat")
_CHANNELS = ("y", "x", "color", "theta", "size", "text")  # used when a chart has no tooltip


@st.cache_data(show_spinner=False, max_entries=2048)
def _spec(builder: str, key: str, _builder, _args: tuple, _kwargs: dict) -> tuple[dict, pa.Table]:
    """The chart's Vega-Lite spec, with its description, and the table of the data behind it. `builder` (its name)
    and `key` (its inputs) make the cache key; the function itself is passed unhashed."""
    spec = _builder(*_args, **_kwargs).to_dict()
    if not spec.get("description"):
        spec["description"] = describe(spec, _summary(_builder))
    table = arrow.table(data_table(spec), preserve_index=False)
    return _with_arrow_datasets(_legend_titles_shown(spec)), table


def spec_for(builder, *args, **kwargs) -> tuple[dict, pa.Table]:
    """`spec_for(charts.rate_lines, rows, series, title)`: the chart's cached spec and the table of its data."""
    name = f"{getattr(builder, '__module__', '')}.{getattr(builder, '__qualname__', repr(builder))}"
    return _spec(name, cache_keys.key(args, kwargs), builder, args, kwargs)


def show(spec: dict, table: pa.Table) -> None:
    """The chart at full width, its description as its accessible name, and the data behind it in a collapsed
    expander under it. Every run shows the same cached spec: st.vega_lite_chart copies its top level before it
    takes the data out, and the one change it makes below that is made in the cache already
    (_legend_titles_shown), so showing a spec never changes it."""
    st.vega_lite_chart(spec, width="stretch")
    with st.expander(DATA_LABEL, expanded=False):
        st.dataframe(table, hide_index=True, width="stretch", placeholder=formats.MISSING)


def _with_arrow_datasets(spec: dict) -> dict:
    """The spec with its inline datasets (lists of rows, as Altair writes them) as the Arrow bytes that
    st.vega_lite_chart sends to the browser, converted once per cached spec. Given rows, it converts them to a
    DataFrame and that to Arrow on every run, which was most of a warm page's time; given bytes, it sends them as
    they are."""
    datasets = spec.get("datasets")
    if isinstance(datasets, dict):
        spec["datasets"] = {name: arrow.stream(arrow.table(pd.DataFrame(rows))) if _tabular(rows) else rows
                            for name, rows in datasets.items()}
    return spec


def _tabular(rows) -> bool:
    """Rows of a table (not GeoJSON features, which Vega-Lite reads from the spec itself)."""
    return (isinstance(rows, list) and all(isinstance(row, dict) for row in rows)
            and not (rows and rows[0].get("type") == "Feature" and "geometry" in rows[0]))


def _legend_titles_shown(spec: dict) -> dict:
    """A colour legend's null title as " ", as st.vega_lite_chart writes it into the spec it is given (a
    Vega-Lite bug draws a null title wrongly): written here, once, the cached spec that every run shares is
    already as Streamlit leaves it, and no run changes it."""
    color = (spec.get("encoding") or {}).get("color")
    if isinstance(color, dict):
        if "title" in color and color["title"] is None:
            color["title"] = " "
        legend = color.get("legend")
        if isinstance(legend, dict) and "title" in legend and legend["title"] is None:
            legend["title"] = " "
    return spec


# --- the description ---------------------------------------------------------------------------------------------

def _views(spec: dict):
    """The spec and every view inside it (layers and concatenations), outermost first."""
    yield spec
    for part in _COMPOSED:
        for view in spec.get(part) or []:
            if isinstance(view, dict):
                yield from _views(view)
    if isinstance(spec.get("spec"), dict):  # facet and repeat
        yield from _views(spec["spec"])


def _title(spec: dict) -> str:
    for view in _views(spec):
        title = view.get("title")
        if isinstance(title, dict):
            title = title.get("text")
        if isinstance(title, list):
            title = " ".join(str(t) for t in title)
        if title:
            return " ".join(str(title).split())
    return ""


def _kind(spec: dict) -> str:
    for view in _views(spec):
        mark = view.get("mark")
        mark = mark.get("type") if isinstance(mark, dict) else mark
        if mark:
            color = (view.get("encoding") or {}).get("color") or {}
            if mark == "rect" and "quantitative" in (color.get("type"), (color.get("condition") or {}).get("type")):
                return "Heatmap"
            return _KINDS.get(mark, "Chart")
    return "Chart"


def _summary(function) -> str:
    """The first sentence of the builder's docstring, for a chart without a title."""
    doc = inspect.getdoc(function) or ""
    sentence = " ".join(doc.split("\n\n")[0].split()).split(". ")[0].rstrip(".")
    return sentence if "`" not in sentence else ""


def describe(spec: dict, fallback: str = "") -> str:
    """One line: the kind of chart and its title (or, untitled, the builder's summary or the columns shown)."""
    about = _title(spec) or fallback
    if not about:
        columns = [str(c) for c in data_table(spec).columns]
        about = "of " + (", ".join(columns[:-1]) + " and " + columns[-1] if len(columns) > 1 else
                         (columns[0] if columns else "no data"))
        return f"{_kind(spec)} {about}. Its data is in the table under it."
    return f"{_kind(spec)}: {about.rstrip('.')}. Its data is in the table under it."


# --- the data behind the chart -------------------------------------------------------------------------------------

# Layers whose rows belong in the data behind a trend too, each known by a field only its rows have
# (queries/charts.py: forecast_band, target_marks, initiative_rules).
_ADDED_ROWS = ("forecast", "target", "initiative")


def _rows(spec: dict) -> list[dict]:
    """The rows of the chart's first view that has data, then the rows of its forecast, target and initiative
    layers, so the data behind a trend lists everything drawn on it."""
    datasets = spec.get("datasets") or {}
    found, added = None, {}
    for view in _views(spec):
        data = view.get("data") or {}
        rows = data["values"] if isinstance(data.get("values"), list) else datasets.get(data.get("name"))
        if rows is None:
            continue
        if found is None:
            found = list(rows)
            continue
        for field in _ADDED_ROWS:
            if rows and field in rows[0]:
                added.setdefault(field, list(rows))
    found = found if found is not None else next(iter(datasets.values()), [])
    return found + [row for field in _ADDED_ROWS for row in added.get(field, [])]


def _fields(spec: dict) -> list[dict]:
    """The tooltip fields of every view, in order, once each; without tooltips, the main encodings' fields."""
    tooltips, channels = [], []
    for view in _views(spec):
        encoding = view.get("encoding") or {}
        tooltip = encoding.get("tooltip")
        tooltips += tooltip if isinstance(tooltip, list) else [tooltip] if isinstance(tooltip, dict) else []
        channels += [encoding[c] for c in _CHANNELS if isinstance(encoding.get(c), dict)]
    seen, fields = set(), []
    for definition in tooltips or channels:
        if not isinstance(definition.get("field"), str):
            continue
        identity = (definition["field"], definition.get("timeUnit"))
        if identity not in seen:
            seen.add(identity)
            fields.append(definition)
    return fields


def _heading(definition: dict) -> str:
    title = definition.get("title")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else definition["field"].replace("_", " ").capitalize()


def _shown(values: pd.Series, definition: dict) -> pd.Series:
    """Values as the tooltip shows them: months as "Oct 2026", numbers in the tooltip's format. A missing value
    stays missing, so the table shows it as a dash (show)."""
    kind, unit, fmt = definition.get("type"), definition.get("timeUnit"), definition.get("format")
    if kind == "temporal" or unit:
        dates = pd.to_datetime(values, errors="coerce")
        pattern = "%b %Y" if unit in ("yearmonth", "month") else ("%Y" if unit == "year" else "%d %b %Y")
        return dates.dt.strftime(pattern).where(dates.notna(), None)
    if isinstance(fmt, str) and fmt and definition.get("formatType") in (None, "number"):
        def formatted(value):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                return None
            try:
                return format(value, fmt.lstrip("~"))
            except (TypeError, ValueError):
                return str(value)
        return values.map(formatted)
    return values


def data_table(spec: dict) -> pd.DataFrame:
    """The rows behind the chart, with the columns its tooltips show (titled and formatted as there)."""
    frame = pd.DataFrame(_rows(spec))
    if frame.empty:
        return frame
    columns = {}
    for definition in _fields(spec):
        if definition["field"] in frame.columns:
            heading = _heading(definition)
            while heading in columns:
                heading += " "
            columns[heading] = _shown(frame[definition["field"]], definition).reset_index(drop=True)
    table = pd.DataFrame(columns) if columns else frame
    for heading in table.columns:  # counts beside added rows (which have none) stay whole numbers
        values = table[heading]
        if values.dtype.kind == "f" and values.notna().any() and (values.dropna() % 1 == 0).all():
            table[heading] = values.astype("Int64")
    return table
