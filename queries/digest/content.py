"""What a month's digest says, composed from the Overview's model, and the e-mail that carries it."""
from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import duckdb

from .. import brief, metrics, stages, views
from ..formats import as_text
from ..views.common import Tile
from . import layout
from .configuration import DigestError, Settings


@dataclass(frozen=True)
class Ladder:
    """The rubric's stages and where the organisation stands on them (0: stage 1 does not pass yet)."""

    stages: tuple[tuple[int, str, str], ...]  # (number, name, motto), as charts.stage_strip takes them
    current: int

    def line(self) -> str:
        """The ladder in words, the current stage in brackets: the text part's version of the HTML's row."""
        return "Stages: " + " > ".join(f"[{n}. {name}]" if n == self.current else f"{n}. {name}"
                                       for n, name, _ in self.stages)


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    numbered: bool = False
    links: tuple[str, ...] = ()  # an address for each item, when its items link to the dashboard (the alerts)
    ladder: Ladder | None = None  # the stage ladder, drawn under the section's first paragraph (Where we stand)
    tiles: tuple[Tile, ...] = ()  # the headline tiles, said on one line in the text part (Headline)

    def tiles_line(self) -> str:
        return " · ".join(f"{t.label} {t.value}" + (f" ({t.delta})" if t.delta else "") for t in self.tiles)


@dataclass(frozen=True)
class Digest:
    """One month's digest: its subject, its sections (said the same way in the text and the HTML part), the link
    and the brief."""

    month: dt.date
    subject: str
    sections: tuple[Section, ...]
    link: str
    footer: str
    pdf: bytes
    compare_to: dt.date  # the month the changes are measured from
    covers: str | None = None  # a scoped digest's departments in words ("Sales and Sales Ops"); None: the organisation

    @property
    def attachment_name(self) -> str:
        return f"social-business-brief-{self.month:%Y-%m}.pdf"

    def text(self) -> str:
        lines = [self.subject, ""]
        if self.covers:
            lines += [self.scope_line, ""]
        for section in self.sections:
            lines += [section.title, "-" * len(section.title)]
            lines += list(section.paragraphs[:1])
            if section.ladder is not None:
                lines.append(section.ladder.line())
            lines += list(section.paragraphs[1:])
            if section.tiles:
                lines.append(section.tiles_line())
            for n, item in enumerate(section.items, start=1):
                lines.append(f"  {n}. {item}" if section.numbered else f"  - {item}")
                if section.links:
                    lines.append(f"    {section.links[n - 1]}")
            lines.append("")
        lines += [f"Open the dashboard: {self.link}",
                  f"The one-page brief is attached ({self.attachment_name}).", "", "-- ", self.footer, ""]
        return "\n".join(lines)

    @property
    def scope_line(self) -> str:
        return (f"This digest covers {self.covers}: every figure is theirs but the stage and the line compared "
                "with the whole organisation.")

    def html(self) -> str:
        """The HTML alternative: the same sections, laid out in tables with inline styles (layout.py)."""
        return layout.page(self)


def _link(url: str, month: dt.date) -> str:
    """The dashboard's address, opening at the digest's month (the sidebar reads `month` from the URL)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + [("month", f"{month:%Y-%m}")]
    return urllib.parse.urlunsplit(parts._replace(path=parts.path or "/", query=urllib.parse.urlencode(query)))


def compose(conn: duckdb.DuckDBPyConnection, month, url: str, limited_to: tuple[str, ...] | None = None) -> Digest:
    """The digest of a month compared with the month before, for the whole organisation or, with `limited_to`, for
    a scoped recipient's departments (named as in the settings; today's names are looked up): the Overview's model
    built once (which places the stage once) and written out, the brief rendered from the same model."""
    month = metrics.as_month(month)
    held = metrics.months(conn)
    if month not in held:
        raise DigestError(f"The warehouse holds no data for {month:%Y-%m}, so there is no digest to send.")
    if limited_to is not None:
        limited_to = views.departments_today(conn, tuple(limited_to))
    scope = views.scope_for(held, month, limited_to=limited_to)
    return written(views.overview(conn, scope, stages.load()), brief.read_edition(conn, scope), url)


def written(model: views.Overview, edition: brief.Edition, url: str) -> Digest:
    """The digest of the Overview's model (with its stage): the same figures, suppressed the same way, and no read
    of the warehouse."""
    scope, month = edition.scope, model.month
    scoped = scope.limited_to is not None
    covers = _covers(scope.limited_to) if scoped else None
    placement = model.stage.placement
    stage = [("The whole organisation's stage: " if scoped else "") + as_text(model.stage.title)
             + (f", “{placement.motto}”." if placement.stage else ".")]
    following = placement.next_stage
    if following is None:
        stage.append("Every stage of the rubric passes: keep every criterion met.")
        gaps = ()
    else:
        stage.append(f"To reach stage {following.number}, {following.name} ({following.met} of {following.total} "
                     "criteria met), it takes:")
        words = [stages.gap_words(g, placement.projections.get(g.id)) for g in placement.gaps]
        if scoped:  # the criteria without the organisation's measured values, as the scoped Overview names them
            words = [dataclasses.replace(w, status="", projection=None) for w in words]
        gaps = tuple(w.line for w in words)
    ladder = Ladder(tuple((s.number, s.name, s.motto) for s in placement.stages), placement.stage)
    sections = [Section("Where we stand", tuple(stage), gaps, ladder=ladder), _needs_attention(model, url)]

    if model.withheld:  # too few people: the Overview shows no figure, and neither does the digest
        withheld = (f"Fewer than {scope.min_group} people are counted in {month:%B %Y}, so the digest shows no "
                    "figures about them: the dashboard never shows a figure about so few people.")
        sections.append(Section("Headline", (withheld,)))
        sections.append(Section("The three biggest moves", (withheld,)))
    else:
        # The brief's tiles: the Overview's first row and its headcount
        sections.append(Section("Headline", (as_text(model.headline),), tiles=(*model.rates, model.headcount)))
        # The Overview's "departments that moved most": departments under the minimum group size are left out.
        items = tuple(f"{m.department}: adoption {m.adoption}, {m.change} since {model.compare_to:%B %Y}"
                      for m in model.moved)
        sections.append(Section("The three biggest moves", () if items else (as_text(model.movers_note),), items,
                                numbered=True))
    if model.whole_organisation:  # a scoped digest: the whole organisation's figures, in one labelled line only
        sections.append(Section("Compared with the whole organisation", (as_text(model.whole_organisation),)))

    subject = (f"Social business digest{f' for {covers}' if covers else ''}, {month:%B %Y}: stage {placement.stage} "
               f"of {placement.top}, {placement.stage_name if placement.stage else 'not started'}")
    footer = (f"{covers or 'Whole organisation'}, {month:%B %Y} compared with {model.compare_to:%B %Y}. Figures "
              f"about fewer than {scope.min_group} people are never shown. You receive this digest as one of the "
              "dashboard's configured recipients; ask your dashboard admin to change the list.")
    return Digest(month, subject, tuple(sections), _link(url, month), footer, brief.render(model, edition),
                  model.compare_to, covers)


def _covers(departments: tuple[str, ...]) -> str:
    """A scope's departments in words: "Sales", "Sales and Sales Ops", "Legal, Sales and Sales Ops"."""
    *first, last = departments
    return f"{', '.join(first)} and {last}" if first else last


def _needs_attention(model: views.Overview, url: str) -> Section:
    """The Overview's alerts (docs/metrics.md#alerts), each linking to the dashboard's view that shows it."""
    if model.needs_attention:
        return Section("Needs attention", (), tuple(a.message for a in model.needs_attention),
                       links=tuple(a.url(url) for a in model.needs_attention))
    return Section("Needs attention", (model.alerts_note or f"Nothing needs attention in {model.month:%B %Y}.",))


def as_message(digest: Digest, settings: Settings, recipients: tuple[str, ...] | None = None) -> EmailMessage:
    """The e-mail: a plain-text part, its HTML alternative and the brief attached, addressed to `recipients` (the
    ones who get this digest: no recipient of another scope's is named), the whole list by default."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients if recipients is None else recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid("digest", domain=parseaddr(settings.sender)[1].rpartition("@")[2])
    message.set_content(digest.text())
    message.add_alternative(digest.html(), subtype="html")
    message.add_attachment(digest.pdf, maintype="application", subtype="pdf", filename=digest.attachment_name)
    return message
