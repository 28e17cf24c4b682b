"""Accessible to every executive: axe-core (through axe-playwright-python, which ships it) on every page of the
menu in a real browser, on the demo data. No violation of impact serious or critical is allowed; the moderate and
minor ones are printed (run with -s, or see the captured output of a failure).

Every chart has a text alternative too: an accessible name (its one-line description) and, beside it, the data
behind it in a collapsed expander.
"""
import warnings

import pytest

from conftest import SETTLED, require_browser

# What Chromium draws does not depend on the backend (the AppTests check the figures on both): embedded only in CI.
pytestmark = pytest.mark.looks

# Every page of dashboard.py's menu (local mode: the Data page is in it), by URL path.
PAGES = {"Overview": "", "Where we stand": "stages", "Adoption": "adoption", "CoE reach": "coe",
         "Communities": "communities", "Business alignment": "alignment", "Initiatives": "initiatives",
         "Data": "data"}
BLOCKING = ("serious", "critical")
# WCAG 2.0-2.2 A and AA, and axe's best practices (heading order is one of those).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def axe():
    require_browser("axe_playwright_python")
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def settle(page) -> None:
    """Wait until the run is over and has stayed over a moment later (a rerun can start right after)."""
    for _ in range(20):
        page.wait_for_function(SETTLED, polling=100)
        page.wait_for_timeout(500)
        if page.evaluate(SETTLED):
            return
    raise AssertionError(f"{page.url} never settled: it kept rerunning")


def open_expander(page, expander) -> None:
    """Open a collapsed expander and wait for its table. A click that lands while a run redraws the page can be
    lost (the expander comes back collapsed): then click again, never on one already open (it would close)."""
    for _ in range(5):
        settle(page)
        if expander.locator("details").get_attribute("open") is None:
            expander.locator("summary").click()
        try:
            expander.locator("[data-testid='stDataFrame']").wait_for(timeout=30_000)
            return
        except Exception:  # playwright's TimeoutError: look again at whether the click took
            continue
    expander.locator("[data-testid='stDataFrame']").wait_for()


def opened(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 2000})
    page = context.new_page()
    page.set_default_timeout(300_000)
    page.goto(url)
    page.locator("[data-testid='stMain'] h1").first.wait_for()
    settle(page)
    errors = page.locator("[data-testid='stException']").all_inner_texts()
    assert not errors, f"{url}: {errors}"
    return page


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} node(s)] {v['helpUrl']}")
        for node in v["nodes"][:10]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    - {' '.join(map(str, node['target']))}: {node['html'][:160]!r} {summary[:240]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violations(axe, chromium_browser, demo_server, name):
    page = opened(chromium_browser, f"{demo_server}/{PAGES[name]}")
    try:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS},
                                         "resultTypes": ["violations"]}).response
    finally:
        page.context.close()
    violations = results["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    others = [v for v in violations if v["impact"] not in BLOCKING]
    report = (f"axe-core {results['testEngine']['version']} on {name}: {len(blocking)} serious or critical, "
              f"{len(others)} moderate or minor" + (":\n" + describe(others) if others else ""))
    print("\n" + report)
    if others:  # allowed, but shown in the warnings summary of every run
        warnings.warn(report, UserWarning, stacklevel=1)
    assert not blocking, f"{name}: serious or critical accessibility violations:\n{describe(blocking)}"


def accessible_names(page, selector: str) -> list[str]:
    """The accessible name Chromium computes for each element matching `selector` (as a screen reader gets it)."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        names = []
        for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
            tree = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"]
            names.append(next((n.get("name", {}).get("value", "") for n in tree if not n.get("ignored")), ""))
        return names
    finally:
        cdp.detach()


@pytest.mark.parametrize("name", ["Overview", "Where we stand", "Adoption", "CoE reach", "Business alignment"])
def test_every_chart_has_a_description_and_its_data_beside_it(axe, chromium_browser, demo_server, name):
    page = opened(chromium_browser, f"{demo_server}/{PAGES[name]}")
    try:
        charts = "[data-testid='stMain'] [data-testid='stVegaLiteChart']"
        names = accessible_names(page, charts)
        assert names, f"{name} draws no chart"
        print(f"\n{name}: {len(names)} chart(s), named:\n  " + "\n  ".join(names))
        assert all(n.endswith("Its data is in the table under it.") for n in names), names
        assert page.locator(f"{charts}[role='graphics-document']").count() == len(names)
        expanders = page.locator("[data-testid='stMain'] [data-testid='stExpander']",
                                 has_text="Data behind this chart")
        assert expanders.count() == len(names), (name, expanders.count(), names)
        # collapsed until asked for; opened, each shows the chart's rows as a table, which axe checks too
        for i in range(len(names)):
            expander = expanders.nth(i)
            assert expander.locator("details").get_attribute("open") is None
            open_expander(page, expander)
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS},
                                         "resultTypes": ["violations"]}).response
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"{name}, the chart data open: serious or critical violations:\n{describe(blocking)}"
    finally:
        page.context.close()
