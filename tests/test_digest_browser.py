"""The digest's HTML part, received over SMTP, rendered in Chromium (Debian's, through Playwright) as a mail client's
HTML view would render it: the ladder and the tiles are visible and fit the message's column. The screenshot is
docs/screenshots/digest.png, the README's picture of the digest."""
from __future__ import annotations

import pytest

from test_digest import mail_settings, smtp_server  # noqa: F401 - fixtures shared with the digest's tests
from test_digest_html import SCREENSHOT, received


@pytest.mark.browser
@pytest.mark.looks
def test_the_received_digest_renders_its_ladder_and_tiles_in_chromium(demo_db, smtp_server, mail_settings,
                                                                      chromium_browser):  # noqa: F811
    _, _, markup = received(demo_db, smtp_server, mail_settings)
    # No network: whatever the message asked to fetch would fail the test (it asks for nothing).
    context = chromium_browser.new_context(viewport={"width": 720, "height": 900}, offline=True,
                                           java_script_enabled=False)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.set_content(markup, wait_until="load")
        stages, tiles, alerts = page.locator("td.stage"), page.locator("td.tile"), page.locator("td.alert a")
        assert stages.count() == 6 and tiles.count() == 6 and alerts.count() == 2
        for locator in (stages, tiles, alerts):
            for index in range(locator.count()):
                assert locator.nth(index).is_visible()
        current = page.locator("td.stage[aria-current='step']")
        assert current.inner_text().split() == ["Stage", "4", "Formalized", "Organized", "for", "scale"]
        assert page.get_by_text("▲ current stage").is_visible()
        for index, label in enumerate(["Adoption", "Contribution", "Leaders active", "CoE reach", "KPIs on target",
                                       "Headcount"]):
            assert tiles.nth(index).locator(".label").inner_text() == label

        # The ladder is one row inside the 640-pixel column, the current stage outlined in ink.
        boxes = [stages.nth(i).bounding_box() for i in range(6)]
        assert len({round(b["y"]) for b in boxes}) == 1
        assert all(a["x"] + a["width"] <= b["x"] for a, b in zip(boxes, boxes[1:]))
        assert boxes[-1]["x"] + boxes[-1]["width"] - boxes[0]["x"] <= 640
        assert current.evaluate("cell => getComputedStyle(cell).borderTopWidth") == "3px"
        assert current.evaluate("cell => getComputedStyle(cell).borderTopColor") == "rgb(31, 41, 55)"

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert requests == []  # set_content's own page aside, nothing was fetched
    finally:
        context.close()
