"""The digest's HTML part as a mail client gets it: mailed to aiosmtpd on loopback and parsed back, it holds the stage
ladder with the current stage marked, each headline tile's label, value and change, each alert linking to the
dashboard, and nothing a mail client strips or blocks (no <style>, no script, no address but the dashboard's). In
Chromium it shows the ladder and the tiles; the screenshot goes to docs/screenshots/digest.png."""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from conftest import ROOT
from queries import access, digest, warehouse
from queries.views.common import Tile
from test_digest import TO, mail_settings, parts, smtp_server  # noqa: F401 - fixtures shared with the digest's tests

BASE = "https://dashboard.example.com"
MONTH = "2026-09"  # the demo's September has two alerts (two departments' adoption fell 5 points)
SCREENSHOT = ROOT / "docs" / "screenshots" / "digest.png"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element with a class (a stage, a tile, …)."""

    VOID = {"meta", "br", "img", "hr", "link", "input"}

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.texts: dict[str, list[str]] = {}
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._open: list[tuple[str, dict, list[str]]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in self.VOID:
            self._open.append((tag, attrs, []))

    def handle_endtag(self, tag):
        while self._open:
            name, attrs, text = self._open.pop()
            words = " ".join("".join(text).split())
            if self._open:
                self._open[-1][2].append(" " + "".join(text) + " ")
            if attrs.get("class"):
                self.texts.setdefault(attrs["class"], []).append(words)
            if name == "a":
                self.links.append((attrs.get("href"), words))
            if name == tag:
                return

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)

    def with_class(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if attrs.get("class") == name]


def received(demo_db, smtp_server, mail_settings, month=MONTH):  # noqa: F811
    """Send the month's digest to aiosmtpd and return (its composition, the text part, the HTML part received)."""
    port, mailbox = smtp_server()
    report = digest.send(demo_db, month, mail_settings(port), access.CLI)
    assert len(report.sent) == len(TO)
    text, markup, _ = parts(mailbox.received[0][2])
    with warehouse.opened(demo_db) as conn:
        composed = digest.compose(conn, month, BASE)
    return composed, text, markup


def titled(composed, title: str):
    return next(s for s in composed.sections if s.title == title)


def test_the_received_html_shows_the_ladder_the_tiles_and_the_alerts_and_nothing_a_client_blocks(
        demo_db, smtp_server, mail_settings):  # noqa: F811
    composed, text, markup = received(demo_db, smtp_server, mail_settings)
    page = Elements(markup)

    # The ladder: six stages in order, the fourth (Formalized) marked the current one, in words too.
    stages = page.with_class("stage")
    assert [s["data-stage"] for s in stages] == ["1", "2", "3", "4", "5", "6"]
    assert [s["data-state"] for s in stages] == ["reached"] * 3 + ["current stage"] + ["ahead"] * 2
    assert [s.get("aria-current") for s in stages] == [None] * 3 + ["step"] + [None] * 2
    assert "border:3px solid #1f2937" in stages[3]["style"]
    assert "background-color:#56B4E9" in stages[3]["style"]  # stage 4's colour in the app and the brief
    assert "background-color:#e5e7eb" in stages[4]["style"]  # ahead: grey, as the brief draws it
    assert page.texts["stage"] == ["Stage 1 Planning Listen to learn", "Stage 2 Presence Stake our claim",
                                   "Stage 3 Engagement Dialogue deepens relationships",
                                   "Stage 4 Formalized Organized for scale",
                                   "Stage 5 Strategic Becoming a social business", "Stage 6 Converged Business is social"]
    assert "▲ current stage" in markup
    assert "Stages: 1. Planning > 2. Presence > 3. Engagement > [4. Formalized] > 5. Strategic > 6. Converged" in text

    # The tiles: the brief's (the Overview's rates and its headcount), each with its label, value and change.
    shown = titled(composed, "Headline").tiles
    assert [t.label for t in shown] == ["Adoption", "Contribution", "Leaders active", "CoE reach", "KPIs on target",
                                        "Headcount"]
    assert page.texts["label"] == [t.label for t in shown]
    assert page.texts["value"] == [t.value for t in shown]
    assert page.texts["change"] == [f"{arrow} {t.delta} vs Aug 2026" for t, arrow in
                                    zip(shown, ["▲", "▲", "▼", "●", "●", "▲"])]
    assert shown[0].value == "61%" and shown[0].delta == "+2 pts"
    changes = [attrs["style"] for attrs in page.with_class("change")]
    assert "color:#047857" in changes[0] and "color:#b91c1c" in changes[2]  # up in green, down in red
    assert "color:#6b7280" in changes[3] and "color:#6b7280" in changes[5]  # no change, headcount: grey
    assert f"{shown[0].label} {shown[0].value} ({shown[0].delta})" in text  # the text part says every tile too

    # The alerts: each sentence a link to its absolute address on the dashboard, as in the text part.
    alerts = titled(composed, "Needs attention")
    assert len(alerts.items) == 2 and all(link.startswith(BASE + "/") for link in alerts.links)
    for sentence, link in zip(alerts.items, alerts.links):
        assert (link, sentence) in page.links
        assert sentence in text and link in text
    assert page.texts["alert"] == list(alerts.items)

    # The rest of the digest: the stage in words, what it takes, the moves, the dashboard's link and the footer.
    for words in ("Stage 4 of 6: Formalized", "To reach stage 5, Strategic", "The three biggest moves",
                  "Open the dashboard", "social-business-brief-2026-09.pdf", "Figures about fewer than 5 people"):
        assert words in markup

    # What a mail client renders: no <style> or <script>, no images or stylesheets to fetch, no event handlers, and
    # no address but the dashboard's.
    names = {tag for tag, _ in page.tags}
    assert not names & {"style", "script", "link", "img", "iframe", "object", "form", "svg"}
    assert all(not key.startswith("on") and key not in ("src", "srcset", "background") for _, a in page.tags
               for key in a)
    assert all(href.startswith(BASE + "/") for href, _ in page.links)
    assert {re.sub(r"[?#].*", "", u) for u in re.findall(r"https?://[^\s\"'<>]+", markup)} <= {
        BASE + "/", *(re.sub(r"[?#].*", "", link) for link in alerts.links)}
    assert "url(" not in markup and "javascript:" not in markup.lower()


def test_every_text_in_the_html_is_escaped():
    sly = "<b>Legal & Co</b>"
    composed = digest.Digest(
        dt.date(2026, 9, 1), f"Digest {sly}",
        (digest.Section("Where we stand", (f"Stage 1 of 6: {sly}",),
                        ladder=digest.Ladder(((1, sly, f"motto {sly}"), (2, "Presence", "x")), 1)),
         digest.Section("Needs attention", (), (f"Adoption in {sly} fell",), links=(BASE + '/adoption?dept="x"',)),
         digest.Section("Headline", (f"Headline {sly}",), tiles=(Tile(sly, "<1%", "+1 pts"),))),
        BASE + "/?month=2026-09", f"Footer {sly}", b"", dt.date(2026, 8, 1))
    markup = composed.html()
    assert "<b>" not in markup and "&lt;b&gt;Legal &amp; Co&lt;/b&gt;" in markup
    assert "&lt;1%" in markup and 'dept=&quot;x&quot;' in markup
