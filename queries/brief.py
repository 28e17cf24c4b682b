"""The one-page executive brief (A4 landscape PDF): stage on the ladder, headline metrics, two charts, next actions."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import metrics, stages, uploads, views
from .metrics import ALL, Filters

_FONT_DIR = None
_FONTS_LOCK = threading.Lock()


def _fonts() -> tuple[str, str]:
    """Register reportlab's bundled Bitstream Vera TrueType fonts, so the PDF embeds the fonts it uses."""
    global _FONT_DIR
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    import reportlab

    # Two sessions may build a brief at once: the second must not use the fonts before the first has registered them.
    with _FONTS_LOCK:
        if _FONT_DIR is None:
            folder = Path(reportlab.__file__).parent / "fonts"
            pdfmetrics.registerFont(TTFont("BriefSans", str(folder / "Vera.ttf")))
            pdfmetrics.registerFont(TTFont("BriefSans-Bold", str(folder / "VeraBd.ttf")))
            _FONT_DIR = folder
    return "BriefSans", "BriefSans-Bold"


def _png(chart, width: int, height: int) -> bytes:
    import json

    import vl_convert as vlc

    spec = json.loads(chart.properties(width=width, height=height).to_json())
    return vlc.vegalite_to_png(spec, scale=2)


def _filters_text(filters: Filters) -> str:
    parts = []
    if filters.units:
        parts.append("business unit " + ", ".join(filters.units))
    if filters.regions:
        parts.append("region " + ", ".join(filters.regions))
    if filters.departments:
        parts.append("department " + ", ".join(filters.departments))
    if filters.tool:
        parts.append("tool " + filters.tool)
    text = "; ".join(parts) if parts else "none (whole organisation, all tools)"
    # docs/metrics.md#departments-as-organised-today: today's names are the default, so only the other is said
    return text + ("; departments as organised then" if filters.as_then else "")


@dataclass(frozen=True)
class Edition:
    """What the brief prints besides the Overview's model: the scope it was asked for and how fresh the data is."""

    scope: views.Scope
    refreshed: dt.datetime | None  # the last data refresh (UTC), None before any upload
    roster_month: dt.date | None  # the roster the month's headcount comes from (an earlier one when carried forward)


def read_edition(conn: duckdb.DuckDBPyConnection, scope: views.Scope) -> Edition:
    """The edition of a scope's brief: the last refresh and the month's roster, read with the model."""
    status = metrics.month_status(conn, scope.month)
    return Edition(scope, uploads.latest_refresh(conn), status.get("roster_month") if status else None)


def brief_scope(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL, compare_to=None,
                limited_to: tuple[str, ...] | None = None) -> views.Scope:
    """The scope of a brief: the month compared with `compare_to` (the month before by default), limited to a
    scoped viewer's departments with `limited_to`. Raises ValueError when the warehouse holds no data for the
    month."""
    month = metrics.as_month(month)
    held = metrics.months(conn)
    if month not in held:
        raise ValueError(f"The warehouse holds no data for {month:%Y-%m}.")
    compare_to = metrics.as_month(compare_to) if compare_to else metrics.previous_month(month)
    comparison = "previous" if compare_to == metrics.previous_month(month) else "year"
    return dataclasses.replace(views.scope_for(held, month, comparison, filters, limited_to=limited_to),
                               compare_to=compare_to)


def build_brief(conn: duckdb.DuckDBPyConnection, month, filters: Filters = ALL, compare_to=None,
                limited_to: tuple[str, ...] | None = None) -> bytes:
    """The brief for one month as PDF bytes, for a caller holding a connection (the CLI, the Overview's download):
    the Overview's model built once and rendered. Generated on demand; nothing is cached or stored."""
    scope = brief_scope(conn, month, filters, compare_to, limited_to)
    return render(views.overview(conn, scope, stages.load()), read_edition(conn, scope))


def render(model: views.Overview, edition: Edition) -> bytes:
    """The brief of the Overview's model as PDF bytes: the same figures, suppressed the same way, and no read of the
    warehouse. The model needs its stage (a usable rubric)."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from . import charts

    if model.stage is None:
        raise ValueError("The brief needs the stage placement: the rubric file cannot be used.")
    scope, month, compare_to = edition.scope, model.month, model.compare_to
    placement = model.stage.placement
    min_group, filters, refreshed = scope.min_group, scope.filters, edition.refreshed

    regular, bold = _fonts()
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), initialFontName=regular, initialFontSize=10)
    pdf.setTitle(f"Social business brief, {month:%B %Y}")
    pdf.setAuthor("Social business dashboard")
    margin = 36
    ink, muted = HexColor("#1f2937"), HexColor("#6b7280")

    # Header
    pdf.setFillColor(ink)
    pdf.setFont(bold, 20)
    pdf.drawString(margin, height - margin - 14, f"Social business brief · {month:%B %Y}")
    pdf.setFont(regular, 9)
    pdf.setFillColor(muted)
    freshness = f"Last data refresh {refreshed:%d %b %Y %H:%M} UTC" if refreshed else "No uploads yet"
    if edition.roster_month and edition.roster_month != month:
        freshness += f"; headcount carried forward from the {edition.roster_month:%B %Y} roster"
    pdf.drawString(margin, height - margin - 30,
                   f"{freshness}. Compared with {compare_to:%B %Y}. Filters: {_filters_text(filters)}.")

    # Stage ladder
    top = height - margin - 52
    pdf.setFillColor(ink)
    pdf.setFont(bold, 13)
    stage_line = (f"Stage {placement.stage} of {placement.top}: {placement.stage_name}" +
                  (f" — “{placement.motto}”" if placement.stage else ""))
    pdf.drawString(margin, top - 10, stage_line)
    next_stage = placement.next_stage
    if next_stage:
        pdf.setFont(regular, 9)
        pdf.setFillColor(muted)
        pdf.drawRightString(width - margin, top - 10, f"Toward stage {next_stage.number}, {next_stage.name}: "
                                                      f"{next_stage.met} of {next_stage.total} criteria met")
    box_top = top - 22
    box_width = (width - 2 * margin - 5 * 6) / 6
    for index, stage in enumerate(placement.stages):
        x = margin + index * (box_width + 6)
        current = stage.number == placement.stage
        reached = stage.number <= placement.stage
        pdf.setFillColor(HexColor(charts.STAGE_COLORS[stage.number]) if reached else HexColor("#e5e7eb"))
        pdf.setStrokeColor(ink if current else HexColor("#ffffff"))
        pdf.setLineWidth(2.5 if current else 0.5)
        pdf.roundRect(x, box_top - 34, box_width, 34, 4, fill=1, stroke=1)
        pdf.setFillColor(ink)
        pdf.setFont(bold if current else regular, 10)
        pdf.drawCentredString(x + box_width / 2, box_top - 15, f"{stage.number}. {stage.name}")
        pdf.setFont(regular, 7)
        pdf.drawCentredString(x + box_width / 2, box_top - 27, stage.motto)

    # Headline metrics: the Overview's first row of tiles and its headcount, or why the scope shows none
    tiles = [] if model.withheld else [(t.label, t.value, t.delta or "") for t in (*model.rates, model.headcount)]
    tile_top = box_top - 48
    tile_width = (width - 2 * margin) / max(1, len(tiles))
    if model.withheld:
        pdf.setFillColor(ink)
        pdf.setFont(bold, 12)
        pdf.drawString(margin, tile_top - 20, model.withheld)
    for index, (label, value, delta) in enumerate(tiles):
        x = margin + index * tile_width
        pdf.setFillColor(muted)
        pdf.setFont(regular, 8)
        pdf.drawString(x, tile_top - 8, label)
        pdf.setFillColor(ink)
        pdf.setFont(bold, 20)
        pdf.drawString(x, tile_top - 30, value)
        if delta:
            pdf.setFont(regular, 9)
            pdf.setFillColor(HexColor("#047857") if delta.startswith("+") and delta != "+0 pts" else
                             HexColor("#b91c1c") if delta.startswith("-") else muted)
            pdf.drawString(x + pdf.stringWidth(value, bold, 20) + 6, tile_top - 30, delta)

    # Two charts
    chart_top = tile_top - 44
    chart_height = 190
    chart_width = (width - 2 * margin - 18) / 2
    for index, chart in enumerate((model.trend, model.departments)):
        if chart is not None:
            image = _png(chart.build(), 420 if index == 0 else 380, 150)
            pdf.drawImage(ImageReader(io.BytesIO(image)), margin + index * (chart_width + 18), chart_top - chart_height,
                          chart_width, chart_height, preserveAspectRatio=True, anchor="nw")

    # Next actions
    actions_top = chart_top - chart_height - 16
    line = actions_top - 16
    pdf.setFillColor(ink)
    pdf.setFont(bold, 12)
    if model.whole_organisation:  # a scoped viewer's brief: the whole organisation's figures in one labelled line
        pdf.drawString(margin, actions_top, "Compared with the whole organisation")
        pdf.setFont(regular, 9)
        for chunk in _wrap(model.whole_organisation, regular, 9, width - 2 * margin, pdf):
            pdf.drawString(margin, line, chunk)
            line -= 12
    elif next_stage:
        pdf.drawString(margin, actions_top, f"Top actions to reach stage {next_stage.number}, {next_stage.name}")
        gaps = placement.gaps[:3]
        pdf.setFont(regular, 9)
        line = actions_top - 16
        if not gaps:
            pdf.drawString(margin, line, "Every criterion of the next stage is met; earlier stages gate the placement.")
        for number, gap in enumerate(gaps, start=1):
            text = f"{number}. {stages.gap_words(gap, placement.projections.get(gap.id)).line}"
            for chunk in _wrap(text, regular, 9, width - 2 * margin, pdf):
                pdf.drawString(margin, line, chunk)
                line -= 12
    else:
        pdf.drawString(margin, actions_top, "The organisation has reached the last stage: keep every criterion met.")

    # Targets and initiatives (docs/metrics.md#steering): the Overview's sentences, as many as fit above the footer
    steering = [] if model.withheld else [t.help for t in model.goals if t.help] + list(model.effects)
    if steering and line - 24 > margin:
        line -= 8
        pdf.setFont(bold, 12)
        pdf.drawString(margin, line, "Targets, and initiatives' effect on adoption (whole organisation compared)")
        line -= 16
        pdf.setFont(regular, 9)
        for index, sentence in enumerate(steering):
            chunks = _wrap(f"- {sentence}", regular, 9, width - 2 * margin, pdf)
            if line - 12 * (len(chunks) + 1) < margin:
                pdf.drawString(margin, line, f"… and {len(steering) - index} more on the dashboard's Overview and "
                                             "Initiatives pages.")
                break
            for chunk in chunks:
                pdf.drawString(margin, line, chunk)
                line -= 12

    pdf.setFont(regular, 7)
    pdf.setFillColor(muted)
    pdf.drawString(margin, margin - 12,
                   f"Generated {dt.datetime.now(dt.timezone.utc):%d %b %Y %H:%M} UTC by the social business dashboard. "
                   f"Groups under {min_group} people are suppressed. Stage placement per the organisation's rubric.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _wrap(text: str, font: str, size: float, width: float, pdf) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if pdf.stringWidth(candidate, font, size) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines
