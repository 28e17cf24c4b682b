"""Altair charts with one look: colour-blind-safe palettes for tools and stages, titles, tooltips and percent axes."""
from __future__ import annotations

import altair as alt
import pandas as pd

# Okabe-Ito, safe for the common colour-vision deficiencies.
TOOL_COLORS = {"viva-engage": "#0072B2", "teams": "#CC79A7", "slack": "#E69F00", "Any tool": "#009E73"}
STAGE_COLORS = ["#9E9E9E", "#D55E00", "#E69F00", "#F0E442", "#56B4E9", "#0072B2", "#009E73"]  # 0 … 6
SERIES_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SUPPRESSED = "suppressed (fewer than {n} people)"


def _frame(rows) -> pd.DataFrame:
    """Rows as a DataFrame whose dates are real timestamps, so any renderer (browser or vl-convert) reads them."""
    import datetime as dt

    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, dt.date)).any():
            frame[column] = pd.to_datetime(frame[column])
    return frame


def month_axis(frame: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_datetime(frame[column])
    return frame


def rate_lines(rows, series: dict[str, str], title: str, height: int = 280) -> alt.Chart:
    """Several rates over months as lines: series maps column → label."""
    frame = month_axis(_frame(rows))
    long = frame.melt(id_vars=["month"], value_vars=list(series), var_name="measure", value_name="rate")
    long["measure"] = long["measure"].map(series)
    return (
        alt.Chart(long, title=title, height=height)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("rate:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("measure:N", title=None, scale=alt.Scale(range=SERIES_COLORS),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("measure:N", title="Measure"),
                     alt.Tooltip("rate:Q", title="Share", format=".0%")],
        )
    )


def heatmap(rows, title: str, min_group: int, value: str = "adoption_rate", group_title: str = "Department"
            ) -> alt.Chart:
    """Group × month heatmap; suppressed cells drawn grey and labelled as suppressed."""
    frame = month_axis(_frame(rows))
    frame["shown"] = frame.apply(
        lambda r: SUPPRESSED.format(n=min_group) if r["suppressed"] else
        ("no data" if pd.isna(r[value]) else f"{r[value]:.0%}"), axis=1)
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("yearmonth(month):O", title=None),
        y=alt.Y("group:N", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=180)),
        tooltip=[alt.Tooltip("group:N", title=group_title), alt.Tooltip("yearmonth(month):T", title="Month"),
                 alt.Tooltip("shown:N", title="Adoption")],
    )
    cells = base.mark_rect().encode(
        color=alt.condition(f"isValid(datum.{value})",
                            alt.Color(f"{value}:Q", title="Adoption", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                                      legend=alt.Legend(format="%")),
                            alt.value("#d9d9d9")))
    return cells.properties(height=alt.Step(24))


def bars(rows, category: str, value: str, title: str, min_group: int, percent: bool = True,
         color: str = "#0072B2", category_title: str | None = None) -> alt.Chart:
    """Horizontal bars, one per group; suppressed groups listed with an empty bar and a note in the tooltip."""
    frame = _frame(rows).copy()
    frame["shown"] = frame.apply(
        lambda r: SUPPRESSED.format(n=min_group) if r.get("suppressed") else
        ("no data" if pd.isna(r[value]) else (f"{r[value]:.0%}" if percent else f"{r[value]:.1f}")), axis=1)
    axis = alt.Axis(format="%") if percent else alt.Axis()
    return (
        alt.Chart(frame, title=title, height=alt.Step(26))
        .mark_bar(color=color)
        .encode(
            y=alt.Y(f"{category}:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False, labelLimit=160)),
            x=alt.X(f"{value}:Q", title=None, axis=axis),
            tooltip=[alt.Tooltip(f"{category}:N", title=category_title or category.replace("_", " ").title()),
                     alt.Tooltip("shown:N", title="Value")],
        )
    )
