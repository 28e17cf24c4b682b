"""The digest's HTML part, laid out the way mail clients render: nested tables and inline styles only (no <style>
block, no script, no image, no address but the dashboard's), so that it looks like the product in Outlook as in a
browser. It draws what the brief draws from the Overview's model: the stage ladder, the headline tiles with their
changes and the alerts, then the digest's other sections in the words of the text part."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .. import charts

if TYPE_CHECKING:
    from ..views.common import Tile
    from .content import Digest, Ladder, Section

WIDTH = 640  # the message's column: the width most mail clients show without scrolling
INK, MUTED, RULE, PAGE, PAPER = "#1f2937", "#6b7280", "#e5e7eb", "#f3f4f6", "#ffffff"
RISE, FALL = "#047857", "#b91c1c"  # a change's colours, as the brief prints them
AHEAD = "#e5e7eb"  # a stage not reached yet, as the brief draws it
ALERT_EDGE, ALERT_FILL = "#d97706", "#fffbeb"
FONT = "font-family:Arial,Helvetica,sans-serif"
DARK_TEXT, LIGHT_TEXT = "#111827", "#ffffff"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _text_on(background: str) -> str:
    """Dark or white text, whichever reads better on a stage's colour (WCAG contrast)."""
    shade = _luminance(background)
    return DARK_TEXT if (shade + 0.05) / (_luminance(DARK_TEXT) + 0.05) >= 1.05 / (shade + 0.05) else LIGHT_TEXT


def _table(inner: str, style: str = "", width: str = "100%", spacing: int = 0) -> str:
    # cellspacing as well as border-spacing: Outlook's renderer reads only the attribute
    return (f'<table role="presentation" width="{width}" cellpadding="0" cellspacing="{spacing}" border="0" '
            f'style="border-collapse:separate;border-spacing:{spacing}px;{style}">{inner}</table>')


def _heading(title: str) -> str:
    return (f'<h2 style="{FONT};font-size:16px;line-height:22px;color:{INK};margin:24px 0 8px 0;'
            f'padding:0">{_e(title)}</h2>')


def _paragraph(text: str, size: int = 14, colour: str = INK, weight: str = "normal") -> str:
    return (f'<p style="{FONT};font-size:{size}px;line-height:{size + 6}px;color:{colour};font-weight:{weight};'
            f'margin:0 0 8px 0">{_e(text)}</p>')


def ladder(rungs: Ladder) -> str:
    """The stages as a row of cells, each in its colour when reached and grey ahead; the current one outlined, in
    bold and marked "current stage" under it (the words stay when a client drops the colours)."""
    cells, marks = [], []
    for number, name, motto in rungs.stages:
        current, reached = number == rungs.current, number <= rungs.current
        fill = charts.STAGE_COLORS[min(number, len(charts.STAGE_COLORS) - 1)] if reached else AHEAD
        ink = _text_on(fill) if reached else MUTED
        edge = f"3px solid {INK}" if current else f"3px solid {PAPER}"
        state = "current stage" if current else "reached" if reached else "ahead"
        cells.append(
            f'<td class="stage" data-stage="{number}" data-state="{state}"'
            + (' aria-current="step"' if current else "")
            + f' width="16%" align="center" valign="top" bgcolor="{fill}" style="background-color:{fill};'
            f'border:{edge};border-radius:6px;padding:8px 4px;{FONT};color:{ink}">'
            f'<div style="font-size:10px;line-height:13px">Stage {number}</div>'
            f'<div style="font-size:12px;line-height:16px;font-weight:{"bold" if current else "normal"}">'
            f'{_e(name)}</div>'
            f'<div style="font-size:10px;line-height:13px;padding-top:2px">{_e(motto)}</div></td>')
        marks.append(f'<td align="center" style="{FONT};font-size:10px;line-height:14px;color:{INK};'
                     f'font-weight:bold;white-space:nowrap;padding-top:2px">'
                     f'{"▲ current stage" if current else "&nbsp;"}</td>')
    return _table(f'<tr>{"".join(cells)}</tr><tr>{"".join(marks)}</tr>', "margin:4px 0 12px 0", spacing=4)


def _direction(tile: Tile) -> tuple[str, str]:
    """The arrow and colour of a tile's change: up in green, down in red, no change (or a count whose rise is
    neither good nor bad, like headcount) in grey, as the Overview's tiles colour them."""
    delta = tile.delta or ""
    still = not any(c in "123456789" for c in delta)
    arrow = "●" if still else "▲" if delta.startswith("+") else "▼"
    if still or tile.delta_color == "off":
        return arrow, MUTED
    rising = delta.startswith("+")
    if tile.delta_color == "inverse":
        rising = not rising
    return arrow, RISE if rising else FALL


def tiles(shown: tuple[Tile, ...], compared: str, per_row: int = 3) -> str:
    """The headline tiles, three to a row: label, value, and the change with its arrow."""
    rows = []
    for start in range(0, len(shown), per_row):
        cells = []
        for tile in shown[start:start + per_row]:
            change = ""
            if tile.delta:
                arrow, colour = _direction(tile)
                change = (f'<div class="change" style="font-size:13px;line-height:18px;color:{colour};'
                          f'font-weight:bold">{arrow} {_e(tile.delta)} <span style="font-weight:normal;'
                          f'color:{MUTED}">{_e(compared)}</span></div>')
            else:
                change = (f'<div class="change" style="font-size:13px;line-height:18px;color:{MUTED}">'
                          'no change to show</div>')
            cells.append(
                f'<td class="tile" width="{100 // per_row}%" valign="top" bgcolor="{PAGE}" style="background-color:'
                f'{PAGE};border-radius:6px;padding:10px 12px;{FONT}">'
                f'<div class="label" style="font-size:12px;line-height:16px;color:{MUTED}">{_e(tile.label)}</div>'
                f'<div class="value" style="font-size:26px;line-height:32px;color:{INK};font-weight:bold">'
                f'{_e(tile.value)}</div>{change}</td>')
        cells += ['<td width="{}%">&nbsp;</td>'.format(100 // per_row)] * (per_row - len(cells))
        rows.append(f'<tr>{"".join(cells)}</tr>')
    return _table("".join(rows), "margin:4px 0 8px 0", spacing=6)


def _alerts(section: Section) -> str:
    rows = "".join(
        f'<tr><td style="height:6px;font-size:0;line-height:0">&nbsp;</td></tr><tr><td class="alert" bgcolor="{ALERT_FILL}" style="background-color:{ALERT_FILL};border-left:4px solid '
        f'{ALERT_EDGE};padding:8px 12px;{FONT};font-size:14px;line-height:20px">'
        f'<a href="{_e(link)}" style="color:{INK};text-decoration:underline">{_e(item)}</a></td></tr>'
        for item, link in zip(section.items, section.links))
    return _table(rows, "margin:0 0 8px 0", spacing=0)


def _items(section: Section) -> str:
    tag = "ol" if section.numbered else "ul"
    items = "".join(f'<li style="margin:0 0 4px 0">{_e(item)}</li>' for item in section.items)
    return (f'<{tag} style="{FONT};font-size:14px;line-height:20px;color:{INK};margin:0 0 8px 0;'
            f'padding-left:24px">{items}</{tag}>')


def section(part: Section, compared: str) -> str:
    """One section: its ladder or tiles when it has them, its paragraphs and its items (the alerts as links)."""
    body = [_heading(part.title)]
    paragraphs = list(part.paragraphs)
    if part.ladder is not None and paragraphs:  # the stage in words first, bold, then the ladder it sits on
        body.append(_paragraph(paragraphs.pop(0), 15, INK, "bold"))
    if part.ladder is not None:
        body.append(ladder(part.ladder))
    body += [_paragraph(p) for p in paragraphs]
    if part.tiles:
        body.append(tiles(part.tiles, compared))
    if part.items:
        body.append(_alerts(part) if part.links else _items(part))
    return "".join(body)


def page(digest: Digest) -> str:
    """The whole HTML part: a header, the sections, the dashboard's link as a button, and the footer."""
    compared = f"vs {digest.compare_to:%b %Y}"
    header = (f'<tr><td bgcolor="{INK}" style="background-color:{INK};padding:20px 24px;{FONT}">'
              f'<div style="font-size:12px;line-height:16px;color:#d1d5db;letter-spacing:1px;text-transform:'
              f'uppercase">Social business digest</div>'
              f'<div style="font-size:22px;line-height:28px;color:{PAPER};font-weight:bold">'
              f'{digest.month:%B %Y}</div>'
              + (f'<div style="font-size:14px;line-height:20px;color:#d1d5db">{_e(digest.covers)}</div>'
                 if digest.covers else "") + '</td></tr>')
    sections = (_paragraph(digest.scope_line, 13, MUTED) if digest.covers else "") + "".join(
        section(s, compared) for s in digest.sections)
    button = (_table(f'<tr><td bgcolor="{INK}" style="background-color:{INK};border-radius:6px;padding:10px 18px;'
                     f'{FONT}"><a href="{_e(digest.link)}" style="color:{PAPER};font-size:14px;font-weight:bold;'
                     f'text-decoration:none">Open the dashboard</a></td></tr>', "margin:20px 0 8px 0", "auto")
              + _paragraph(f"The one-page brief is attached ({digest.attachment_name}).", 13, MUTED))
    body = f'<tr><td style="padding:4px 24px 16px 24px">{sections}{button}</td></tr>'
    footer = (f'<tr><td style="border-top:1px solid {RULE};padding:12px 24px 20px 24px;{FONT};font-size:12px;'
              f'line-height:17px;color:{MUTED}">{_e(digest.footer)}</td></tr>')
    # As wide as the window up to WIDTH, so a phone shows it without scrolling sideways; Outlook for Windows reads no
    # max-width, so its conditional comment holds the column at WIDTH there.
    column = (f'<!--[if mso]><table role="presentation" width="{WIDTH}" cellpadding="0" cellspacing="0" border="0">'
              '<tr><td><![endif]-->'
              + _table(header + body + footer, f"max-width:{WIDTH}px;background-color:{PAPER};"
                                               f"border:1px solid {RULE}")
              + "<!--[if mso]></td></tr></table><![endif]-->")
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{_e(digest.subject)}</title></head>'
            f'<body style="margin:0;padding:0;background-color:{PAGE};color:{INK};{FONT}">'
            + _table(f'<tr><td align="center" bgcolor="{PAGE}" style="padding:24px 8px">{column}</td></tr>',
                     f"background-color:{PAGE}")
            + "</body></html>")
