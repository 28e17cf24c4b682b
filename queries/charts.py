"""Altair charts with one look: colour-blind-safe palettes for tools and stages, titles, tooltips and percent axes."""
from __future__ import annotations

import functools

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


def reference_lines(references) -> alt.LayerChart:
    """Dashed horizontal lines for published reference figures (data/benchmarks.toml), each labelled with its
    figure and source; `references` hold value (a share), label (the whole caption, in the tooltip) and tag (the
    few words written beside the line, cut short with an ellipsis where the chart is narrow)."""
    frame = pd.DataFrame(references)
    frame["text"] = frame.apply(lambda r: r.get("tag") or f"{r['value']:.0%}: {r['label']}", axis=1)
    rule = alt.Chart(frame).mark_rule(color="#555555", strokeDash=[6, 4]).encode(
        y="value:Q", tooltip=[alt.Tooltip("label:N", title="Reference"),
                              alt.Tooltip("value:Q", title="Value", format=".0%")])
    text = alt.Chart(frame).mark_text(align="left", dx=4, dy=-6, color="#555555", fontSize=11, limit=360).encode(
        x=alt.value(0), y="value:Q", text="text:N")
    return rule + text


def initiative_rules(marks) -> alt.LayerChart:
    """Initiatives as labelled vertical rules at their start months (docs/metrics.md#initiative-effect); `marks`
    hold month, initiative (its name) and covers (its departments, or "whole organisation")."""
    frame = month_axis(pd.DataFrame(list(marks)))
    base = alt.Chart(frame)
    tooltip = [alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("initiative:N", title="Initiative"),
               alt.Tooltip("covers:N", title="Covers")]
    rule = base.mark_rule(color="#333333", strokeDash=[2, 3], strokeWidth=1.5).encode(
        x="yearmonth(month):T", tooltip=tooltip)
    label = base.mark_text(align="left", baseline="top", dx=3, dy=2, fontSize=10, color="#333333", limit=160).encode(
        x="yearmonth(month):T", y=alt.value(2), text="initiative:N")
    return rule + label


def forecast_band(points, scale: alt.Scale | None = None) -> alt.LayerChart:
    """Forecasts as a shaded 80% band and a dashed line (docs/metrics.md#forecasts); `points` hold month, measure
    (e.g. "Adoption forecast"), forecast, lo80 and hi80. `scale`: the colours of the chart it is drawn on."""
    frame = month_axis(pd.DataFrame(list(points)))
    base = alt.Chart(frame)
    color = alt.Color("measure:N", title=None, scale=scale or alt.Scale(range=SERIES_COLORS),
                      legend=alt.Legend(orient="bottom"))
    tooltip = [alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("measure:N", title="Measure"),
               alt.Tooltip("forecast:Q", title="Forecast", format=".0%"),
               alt.Tooltip("lo80:Q", title="80% from", format=".0%"), alt.Tooltip("hi80:Q", title="80% to", format=".0%")]
    band = base.mark_area(opacity=0.18).encode(x="yearmonth(month):T", y="lo80:Q", y2="hi80:Q", color=color,
                                               tooltip=tooltip)
    line = base.mark_line(strokeDash=[5, 3]).encode(x="yearmonth(month):T", y="forecast:Q", color=color,
                                                    tooltip=tooltip)
    return band + line


def target_marks(targets) -> alt.LayerChart:
    """Targets as labelled diamonds at their value and month (docs/metrics.md#targets); `targets` hold month,
    target (a share) and goal (its label)."""
    frame = month_axis(pd.DataFrame(list(targets)))
    base = alt.Chart(frame)
    tooltip = [alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("goal:N", title="Target"),
               alt.Tooltip("target:Q", title="Target value", format=".0%")]
    point = base.mark_point(shape="diamond", size=140, filled=True, color="#000000").encode(
        x="yearmonth(month):T", y="target:Q", tooltip=tooltip)
    label = base.mark_text(align="right", dx=-8, fontSize=10, color="#000000").encode(
        x="yearmonth(month):T", y="target:Q", text="goal:N")
    return point + label


def monthly(builder):
    """A trend over months that also draws the initiatives it is given (initiatives=…) as labelled rules."""
    @functools.wraps(builder)
    def build(*args, initiatives=(), **kwargs):
        chart = builder(*args, **kwargs)
        return alt.layer(chart, initiative_rules(initiatives)) if initiatives else chart
    return build


@monthly
def rate_lines(rows, series: dict[str, str], title: str, height: int = 280, references=(), forecasts=(),
               targets=()) -> alt.Chart:
    """Several rates over months as lines: series maps column → label. `references` (value, label) are drawn as
    labelled dashed lines (reference_lines), `forecasts` as bands (forecast_band) and `targets` as diamonds
    (target_marks)."""
    frame = month_axis(_frame(rows))
    long = frame.melt(id_vars=["month"], value_vars=list(series), var_name="measure", value_name="rate")
    long["measure"] = long["measure"].map(series)
    # A forecast "X forecast" takes the colour of its series X, so the band reads as that line's continuation.
    labels = list(series.values())
    extra = sorted({p["measure"] for p in forecasts} - set(labels))
    colours = {label: SERIES_COLORS[i % len(SERIES_COLORS)] for i, label in enumerate(labels)}
    scale = alt.Scale(domain=labels + extra, range=[colours[label] for label in labels] + [
        colours.get(label.removesuffix(" forecast"), SERIES_COLORS[-1]) for label in extra])
    lines = (
        alt.Chart(long, title=title, height=height)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("rate:Q", title=None, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("measure:N", title=None, scale=scale,
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("measure:N", title="Measure"),
                     alt.Tooltip("rate:Q", title="Share", format=".0%")],
        )
    )
    layers = [lines] + ([reference_lines(references)] if references else []) + (
        [forecast_band(forecasts, scale)] if forecasts else []) + ([target_marks(targets)] if targets else [])
    return alt.layer(*layers) if len(layers) > 1 else lines


def _stage_colour(number: int) -> str:
    return STAGE_COLORS[min(number, len(STAGE_COLORS) - 1)]


def _stage_state(number: int, current: int) -> str:
    return "current stage" if number == current else ("reached" if number < current else "ahead")


def _stage_emphasis() -> dict:
    """Encodings that fade the stages ahead and outline the current one."""
    return {"opacity": alt.condition(alt.datum.state == "ahead", alt.value(0.25), alt.value(1.0)),
            "stroke": alt.condition(alt.datum.state == "current stage", alt.value("#000000"), alt.value(None)),
            "strokeWidth": alt.condition(alt.datum.state == "current stage", alt.value(3), alt.value(0))}


def stage_strip(stages: list[tuple[int, str, str]], current: int) -> alt.LayerChart:
    """The six stages as a strip of coloured steps, the current one outlined and those ahead faded.
    `stages` holds (number, name, motto) per stage."""
    steps = pd.DataFrame([{"number": number, "name": name, "motto": motto, "colour": _stage_colour(number),
                           "state": _stage_state(number, current)}
                          for number, name, motto in stages])
    strip = alt.Chart(steps, height=54).encode(x=alt.X("number:O", title=None, axis=None))
    return (strip.mark_rect(cornerRadius=4).encode(
        color=alt.Color("colour:N", scale=None), **_stage_emphasis(),
        tooltip=[alt.Tooltip("number:O", title="Stage"), alt.Tooltip("name:N", title="Name"),
                 alt.Tooltip("motto:N", title="Motto"), alt.Tooltip("state:N", title="Where we are")])
            + strip.mark_text(fontSize=12).encode(text="name:N"))


def stage_ladder(stages: list[tuple[int, str, str]], current: int, top: int,
                 met: dict[int, tuple[int, int]] | None = None) -> alt.LayerChart:
    """The six steps as a staircase: reached steps in their colour, the current one outlined, later ones faded.
    `stages` holds (number, name, motto) per stage, `top` is the last stage and `met` the criteria met and in
    total per stage number, when placed."""
    rows = []
    for number, name, motto in stages:
        result = (met or {}).get(number)
        rows.append({"number": number, "step": f"{number} · {name} — {motto}", "name": name, "motto": motto,
                     "state": _stage_state(number, current),
                     "criteria": f"{result[0]} of {result[1]} met" if result else "",
                     "marker": "◀ we are here" if number == current else ""})
    frame = pd.DataFrame(rows)
    base = alt.Chart(frame, title="The six stages of social business", height=34 * len(frame)).encode(
        y=alt.Y("step:N", title=None, sort=alt.EncodingSortField("number", order="descending"),
                axis=alt.Axis(labelLimit=0, labelFontSize=13)))
    steps = base.mark_bar(height=24).encode(
        x=alt.X("number:Q", title=None, axis=None, scale=alt.Scale(domain=[0, top + 2.5])),
        color=alt.Color("step:N", legend=None, scale=alt.Scale(domain=list(frame["step"]),
                                                              range=[_stage_colour(n) for n in frame["number"]])),
        **_stage_emphasis(),
        tooltip=[alt.Tooltip("number:Q", title="Stage"), alt.Tooltip("name:N", title="Name"),
                 alt.Tooltip("motto:N", title="Motto"), alt.Tooltip("state:N", title="Where we are"),
                 alt.Tooltip("criteria:N", title="Criteria")])
    marker = base.mark_text(align="left", dx=8, fontWeight="bold").encode(x="number:Q", text="marker:N")
    return steps + marker


@monthly
def stage_by_month(rows, top: int, title: str) -> alt.LayerChart:
    """The stage reached each month as a step line, each point in its stage's colour. `rows` hold month, stage and
    stage_name; `top` is the last stage."""
    frame = month_axis(pd.DataFrame(rows))
    frame["colour"] = [_stage_colour(n) for n in frame["stage"]]
    line = alt.Chart(frame, title=title, height=260).encode(
        x=alt.X("yearmonth(month):T", title=None),
        y=alt.Y("stage:Q", title="Stage", scale=alt.Scale(domain=[0, top]),
                axis=alt.Axis(tickMinStep=1, values=list(range(top + 1)))))
    return (line.mark_line(interpolate="step-after", color="#7f7f7f")
            + line.mark_point(filled=True, size=90).encode(
                color=alt.Color("colour:N", scale=None),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("stage:Q", title="Stage"),
                         alt.Tooltip("stage_name:N", title="Name")]))


def participation_funnel(people: dict[str, int], title: str) -> alt.Chart:
    """People at each step of participation, widest first (headcount, active, contributors, creators); the tooltip
    gives each step as a share of the first."""
    funnel = pd.DataFrame([{"stage": stage, "people": count, "order": order}
                           for order, (stage, count) in enumerate(people.items())])
    funnel["share"] = funnel["people"] / funnel["people"].iloc[0]
    return (
        alt.Chart(funnel, title=title, height=260)
        .mark_bar(color="#0072B2")
        .encode(y=alt.Y("stage:N", sort=alt.SortField("order"), title=None),
                x=alt.X("people:Q", title="People"),
                tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("people:Q", title="People", format=","),
                         alt.Tooltip("share:Q", title="Share of headcount", format=".0%")])
    )


@monthly
def flows_by_month(rows, title: str) -> alt.Chart:
    """New, returning and lapsed people per month as grouped bars; `rows` hold month, New, Returning and Lapsed."""
    long = month_axis(pd.DataFrame(rows)).melt(id_vars=["month"], var_name="flow", value_name="people")
    return (
        alt.Chart(long, title=title, height=260)
        .mark_bar()
        .encode(x=alt.X("yearmonth(month):O", title=None), xOffset="flow:N",
                y=alt.Y("people:Q", title="People"),
                color=alt.Color("flow:N", title=None, scale=alt.Scale(domain=["New", "Returning", "Lapsed"],
                                range=["#009E73", "#0072B2", "#D55E00"]), legend=alt.Legend(orient="bottom")),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("flow:N", title="Flow"),
                         alt.Tooltip("people:Q", title="People", format=",")])
    )


SEGMENT_COLORS = {"Creators": "#0072B2", "Responders": "#56B4E9", "Observers": "#E69F00", "Inactive": "#BBBBBB"}


# Observers are stacked from zero, so the top of their band reads as their share against an observer reference line.
SEGMENT_STACK = ["Observers", "Responders", "Creators", "Inactive"]


@monthly
def segment_shares(rows, title: str, references=()) -> alt.Chart:
    """Each participation segment's share of headcount per month, stacked to 100% with observers at the bottom;
    `rows` hold month and a share per segment name of SEGMENT_COLORS. `references` (value, label) as in
    reference_lines: only observer shares read true against the stack."""
    long = month_axis(pd.DataFrame(rows)).melt(id_vars=["month"], var_name="segment", value_name="share")
    long["order"] = long["segment"].map(SEGMENT_STACK.index)
    area = (
        alt.Chart(long, title=title, height=280)
        .mark_area()
        .encode(x=alt.X("yearmonth(month):T", title=None),
                y=alt.Y("share:Q", title=None, stack="zero", axis=alt.Axis(format="%"),
                        scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("segment:N", title=None, sort=SEGMENT_STACK,
                                scale=alt.Scale(domain=list(SEGMENT_COLORS), range=list(SEGMENT_COLORS.values())),
                                legend=alt.Legend(orient="bottom")),
                order=alt.Order("order:Q"),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("segment:N", title="Segment"),
                         alt.Tooltip("share:Q", title="Share of headcount", format=".0%")])
    )
    return area + reference_lines(references) if references else area


def segment_moves(rows, title: str) -> alt.Chart:
    """People by segment last month (rows) and this month (columns); `rows` hold from, to and people."""
    order = list(SEGMENT_COLORS)
    # Every cell is written in, so no colour legend; labels never drop out when the column is narrow.
    base = alt.Chart(pd.DataFrame(rows), title=title).transform_joinaggregate(most="max(people)").encode(
        x=alt.X("to:N", title="This month", sort=order,
                axis=alt.Axis(labelAngle=0, orient="top", labelOverlap=False, labelLimit=90)),
        y=alt.Y("from:N", title="Last month", sort=order, axis=alt.Axis(labelOverlap=False)))
    cells = base.mark_rect().encode(
        color=alt.Color("people:Q", title="People", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=[alt.Tooltip("from:N", title="Last month"), alt.Tooltip("to:N", title="This month"),
                 alt.Tooltip("people:Q", title="People", format=",")])
    labels = base.mark_text(fontSize=12).encode(
        text=alt.Text("people:Q", format=","),
        color=alt.condition("datum.people > datum.most * 0.6", alt.value("white"), alt.value("#111827")))
    return (cells + labels).properties(height=alt.Step(40), width=alt.Step(90))


def cohort_retention(rows, title: str) -> alt.Chart:
    """The retention triangle: one row per cohort (its month and size), one column per month after it, coloured by
    the share of the cohort active then; `rows` hold cohort (a label), size, months_after and retention."""
    base = alt.Chart(pd.DataFrame(rows), title=title).encode(
        x=alt.X("months_after:O", title="Months after joining", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:N", title=None, sort=None, axis=alt.Axis(labelLimit=200)))
    cells = base.mark_rect().encode(
        color=alt.Color("retention:Q", title="Still active", scale=alt.Scale(scheme="greens", domain=[0, 1]),
                        legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip("cohort:N", title="Cohort"), alt.Tooltip("months_after:O", title="Months after"),
                 alt.Tooltip("retention:Q", title="Still active", format=".0%")])
    return cells.properties(height=alt.Step(22))


def adoption_by_tool(rows, title: str) -> alt.Chart:
    """One bar per tool in its colour: people active on the tool over headcount."""
    return (
        alt.Chart(pd.DataFrame(rows), title=title, height=alt.Step(30))
        .mark_bar()
        .encode(y=alt.Y("tool:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False, labelLimit=160)),
                x=alt.X("adoption_rate:Q", title=None, axis=alt.Axis(format="%")),
                color=alt.Color("tool:N", legend=None, scale=alt.Scale(domain=list(TOOL_COLORS),
                                                                       range=list(TOOL_COLORS.values()))),
                tooltip=[alt.Tooltip("tool:N", title="Tool"),
                         alt.Tooltip("adoption_rate:Q", title="Active on the tool / headcount", format=".0%")])
    )


def champions_by_department(rows, title: str, min_group: int) -> alt.Chart:
    """Champions per 1,000 employees, one bar per department, coloured by whether it has a champion; suppressed
    departments say so in the tooltip."""
    frame = pd.DataFrame(rows)
    frame["Champion"] = frame["has_champion"].map({True: "Has a champion", False: "No champion"})
    frame["shown"] = frame.apply(lambda r: SUPPRESSED.format(n=min_group) if r["suppressed"]
                                 else f"{r['champions_per_1000']:.1f}", axis=1)
    return (
        alt.Chart(frame, title=title, height=alt.Step(24))
        .mark_bar()
        .encode(y=alt.Y("department:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False, labelLimit=160)),
                x=alt.X("champions_per_1000:Q", title="Champions per 1,000"),
                color=alt.Color("Champion:N", title=None, scale=alt.Scale(
                    domain=["Has a champion", "No champion"], range=["#009E73", "#D55E00"]),
                    legend=alt.Legend(orient="bottom")),
                tooltip=[alt.Tooltip("department:N", title="Department"), alt.Tooltip("Champion:N"),
                         alt.Tooltip("shown:N", title="Champions per 1,000")])
    )


def champion_lift(rows, title: str) -> alt.Chart:
    """Adoption in departments with a champion beside those without: `rows` hold side (with first) and adoption."""
    return (
        alt.Chart(pd.DataFrame(rows), title=title, height=alt.Step(34))
        .mark_bar()
        .encode(y=alt.Y("side:N", title=None, axis=alt.Axis(labelLimit=160)),
                x=alt.X("adoption:Q", title="Adoption", axis=alt.Axis(format="%")),
                color=alt.Color("side:N", legend=None, scale=alt.Scale(range=["#009E73", "#D55E00"])),
                tooltip=[alt.Tooltip("side:N", title="Departments"),
                         alt.Tooltip("adoption:Q", title="Adoption", format=".0%")])
    )


def kpi_against_adoption(rows, kpi: str, title: str) -> alt.Chart:
    """One point per department: its adoption across, its value of `kpi` up."""
    return (
        alt.Chart(pd.DataFrame(rows), title=title, height=320)
        .mark_circle(size=120, color="#0072B2")
        .encode(x=alt.X("adoption_rate:Q", title="Department adoption", axis=alt.Axis(format="%")),
                # a two-decimal axis: one department alone (a scoped viewer's) collapses the scale to one value,
                # whose ticks would otherwise read 73.500000
                y=alt.Y("value:Q", title=kpi, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.2~f")),
                tooltip=[alt.Tooltip("department:N", title="Department"),
                         alt.Tooltip("adoption_rate:Q", title="Adoption", format=".0%"),
                         alt.Tooltip("value:Q", title=kpi, format=",.2f")])
    )


@monthly
def kpi_and_adoption_by_month(rows, kpi: str, title: str) -> alt.LayerChart:
    """A KPI's value by month (solid) beside organisation adoption (dashed), each on its own axis."""
    base = alt.Chart(month_axis(pd.DataFrame(rows)), title=title).encode(x=alt.X("yearmonth(month):T", title=None))
    kpi_line = base.mark_line(point=True, color="#E69F00").encode(
        y=alt.Y("value:Q", title=kpi, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("value:Q", title=kpi, format=",.2f")])
    adoption_line = base.mark_line(point=True, color="#0072B2", strokeDash=[4, 3]).encode(
        y=alt.Y("adoption_rate:Q", title="Adoption (dashed)", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"),
                 alt.Tooltip("adoption_rate:Q", title="Adoption", format=".0%")])
    return alt.layer(kpi_line, adoption_line).resolve_scale(y="independent").properties(height=300)


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


COMMUNITY_STATUS_COLORS = {"Active": "#009E73", "Quiet": "#E69F00", "Dormant": "#D55E00"}


@monthly
def community_status_by_month(rows, title: str) -> alt.Chart:
    """Communities per month, stacked by status; `rows` hold month, Active, Quiet and Dormant (months without
    communities data are left out, so they show as gaps, not as zero)."""
    long = month_axis(pd.DataFrame(rows)).melt(id_vars=["month"], var_name="status", value_name="communities")
    long["order"] = long["status"].map(list(COMMUNITY_STATUS_COLORS).index)
    return (
        alt.Chart(long, title=title, height=260)
        .mark_bar()
        .encode(x=alt.X("yearmonth(month):O", title=None),
                y=alt.Y("communities:Q", title="Communities", axis=alt.Axis(tickMinStep=1)),
                color=alt.Color("status:N", title=None, sort=list(COMMUNITY_STATUS_COLORS),
                                scale=alt.Scale(domain=list(COMMUNITY_STATUS_COLORS),
                                                range=list(COMMUNITY_STATUS_COLORS.values())),
                                legend=alt.Legend(orient="bottom")),
                order=alt.Order("order:Q"),
                tooltip=[alt.Tooltip("yearmonth(month):T", title="Month"), alt.Tooltip("status:N", title="Status"),
                         alt.Tooltip("communities:Q", title="Communities")])
    )


def community_ranking(rows, value: str, value_title: str, title: str, color: str, value_format: str = ".2f"
                      ) -> alt.Chart:
    """One bar per community, largest `value` on top; the tooltip gives the community's tool, status, members and
    posts and reads per member. `rows` hold label (the community's name, with its tool when two tools share it),
    tool, status, members, posts_per_member, reads_per_member and `value`."""
    frame = pd.DataFrame(rows)
    tooltip = [alt.Tooltip("label:N", title="Community"), alt.Tooltip("tool:N", title="Tool"),
               alt.Tooltip("status:N", title="Status"), alt.Tooltip("members:Q", title="Members", format=","),
               alt.Tooltip("posts_per_member:Q", title="Posts per member", format=".2f"),
               alt.Tooltip("reads_per_member:Q", title="Reads per member", format=".2f")]
    if value not in ("posts_per_member", "reads_per_member", "members"):
        tooltip.append(alt.Tooltip(f"{value}:Q", title=value_title, format=value_format))
    return (
        alt.Chart(frame, title=title, height=alt.Step(26))
        .mark_bar(color=color)
        .encode(y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False, labelLimit=200)),
                x=alt.X(f"{value}:Q", title=value_title,
                        axis=alt.Axis(tickMinStep=1) if value_format == "d" else alt.Axis()),
                tooltip=tooltip)
    )


def event_study(rows, title: str) -> alt.LayerChart:
    """An initiative's gap (covered departments minus the others, in points) by month from its start, per metric:
    a gap already moving before the start (left of the rule) means the departments were diverging anyway. `rows`
    hold offset (months from the start), metric and gap (a difference of shares)."""
    frame = pd.DataFrame(list(rows))
    frame["points"] = frame["gap"] * 100  # percentage points, as the sentences beside it say
    lines = alt.Chart(frame, title=title, height=240).mark_line(point=True).encode(
        x=alt.X("offset:O", title="Months from the start", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("points:Q", title="Gap (points)", axis=alt.Axis(format="+.0f")),
        color=alt.Color("metric:N", title=None, scale=alt.Scale(range=SERIES_COLORS),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("offset:O", title="Months from the start"), alt.Tooltip("metric:N", title="Metric"),
                 alt.Tooltip("points:Q", title="Gap, covered minus others (points)", format="+.1f")])
    zero = alt.Chart(pd.DataFrame([{"points": 0.0}])).mark_rule(color="#777777").encode(y="points:Q")
    start = alt.Chart(pd.DataFrame([{"offset": 0}])).mark_rule(color="#333333", strokeDash=[2, 3]).encode(
        x="offset:O")
    return alt.layer(lines, zero, start)
