"""Many viewers during an import, in a real browser: eight sessions open different views of one `streamlit run`
server while a CLI import of a new month runs, and each settles with no error, showing the numbers of one data
version: all from before the import, or all from after it, never a mix (docs/architecture.md, "One instance per
process")."""
import asyncio
import csv
import difflib
import os
import sys
import time

from conftest import CHROMIUM, CHROMIUM_ARGS, PEPPER, ROOT, require_browser, start_streamlit, stop_streamlit

# Overview, the five other pages, and two filtered views (a department and a region the demo roster has).
VIEWS = ["", "stages", "adoption", "coe", "alignment", "data", "adoption?dept=Sales", "?region=EMEA"]
SETTLED = ("() => { const app = document.querySelector(\"[data-testid='stApp']\");"
           " return !!app && app.getAttribute('data-test-script-state') === 'notRunning'"
           " && !document.querySelector(\"[data-stale='true'], [data-testid='stSkeleton']\")"
           " && !!document.querySelector(\"[data-testid='stMain'] [data-testid='stElementContainer']\"); }")
# The numbers a viewer reads: tiles, headings, markdown, captions and alerts of the main area, each element once.
# Tables and charts draw on a canvas and are left out, and so is the sidebar (the filters). Nothing in this text is
# a clock time (the last refresh time is in the sidebar), so it is fixed for a given data version and view.
TEXT = """() => {
  const wanted = "[data-testid='stMetric'], [data-testid='stMarkdownContainer'], [data-testid='stCaptionContainer'],"
    + " [data-testid='stAlert']";
  const main = document.querySelector("[data-testid='stMain']");
  return [...main.querySelectorAll(wanted)].filter(e => !e.parentElement.closest(wanted))
    .map(e => e.innerText.trim()).join("\\n");
}"""


# A session's run starts by sending its first message: the page stamps its arrival with the wall clock. A starved
# page can stamp it seconds late, so it bounds the start from above (Playwright's own websocket events were up to
# 16 s later than the server's log of the runs starting, so they are not used).
FIRST_MESSAGE = """
const NativeSocket = window.WebSocket;
window.WebSocket = class extends NativeSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", () => { window.firstMessageAt ??= Date.now(); });
  }
};
"""


def new_month(path) -> int:
    """November 2026 activity for everyone on the October roster on three tools, plus October activity on a new
    tool: the default views move to November, and October's own numbers change too."""
    people = [r["email"] for r in csv.DictReader(open(ROOT / "data" / "demo" / "roster.csv"))
              if r["month"] == "2026-10"]
    with open(path, "w") as out:
        out.write("month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n")
        for i, email in enumerate(people):
            out.write(f"2026-10,{email},workplace,1,0,0,1,,1\n")
            for tool in ("viva-engage", "teams", "slack"):
                out.write(f"2026-11,{email},{tool},{i % 3},{i % 2},{i % 5},{i % 7 + 1},,{i % 9 + 1}\n")
    return 4 * len(people)


async def settle(page) -> None:
    """Wait until the run is over and has stayed over a moment later: a rerun (VersionMoved) can start right after."""
    while True:
        await page.wait_for_function(SETTLED, polling=100)
        await page.wait_for_timeout(500)
        if await page.evaluate(SETTLED):
            return


async def visit(browser, base: str, view: str, first_run: asyncio.Event | None = None) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 2000})
    try:
        await context.add_init_script(FIRST_MESSAGE)
        page = await context.new_page()
        page.set_default_timeout(300_000)
        await page.goto(f"{base}/{view}")
        if first_run:
            await page.wait_for_function("() => !!window.firstMessageAt", polling=100)
            first_run.set()
        await settle(page)
        settled = time.time()
        started = await page.evaluate("window.firstMessageAt") / 1000
        main = page.locator("[data-testid='stMain']")
        # Pages show an unexpected error as an exception, or (DASHBOARD_RAISE_ERRORS off) as an alert with a code.
        trouble = await main.locator("[data-testid='stException']").all_inner_texts() + [
            alert for alert in await main.locator("[data-testid='stAlert']").all_inner_texts() if "reference" in alert]
        return {"view": view, "started": started, "settled": settled, "text": await page.evaluate(TEXT),
                "trouble": trouble}
    finally:
        if first_run:
            first_run.set()  # a session that failed before its first run must not leave the import waiting
        await context.close()


def diff(seen: str, expected: str, label: str) -> str:
    return "\n".join(difflib.unified_diff(expected.splitlines(), seen.splitlines(), label, "session", lineterm=""))


async def record(browser, base: str, view: str) -> str:
    seen = await visit(browser, base, view)
    assert not seen["trouble"], (view, seen["trouble"])
    return seen["text"]


def held_month(view: str) -> str:
    return view + ("&" if "?" in view else "?") + "month=2026-10"


def test_eight_sessions_during_an_import_each_show_one_data_version(demo_db, tmp_path):
    require_browser()
    from playwright.async_api import async_playwright

    upload = tmp_path / "activity-new.csv"
    rows = new_month(upload)
    log_path = tmp_path / "server.log"
    log = open(log_path, "a")
    seen = {}

    async def scenario():
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # BEFORE comes from a server of its own: had the concurrent sessions' server answered these views
            # already, they would come from its cache, and nothing would read while the import runs.
            server, base = start_streamlit(demo_db, log)
            try:
                seen["before"] = {view: await record(browser, base, view) for view in VIEWS}
            finally:
                stop_streamlit(server)
            server, base = start_streamlit(demo_db, log)
            try:
                # A server that has served once, as a hosted one has; a month none of the views asks for.
                await record(browser, base, "?month=2026-06")
                first_run = asyncio.Event()
                sessions = [asyncio.create_task(visit(browser, base, view, first_run)) for view in VIEWS]
                # The import starts as the first session's script starts running, so it lands amid the runs.
                await first_run.wait()
                env = {**os.environ, "DASHBOARD_DB": demo_db, "DASHBOARD_PEPPER": PEPPER, "DASHBOARD_DEMO": "0",
                       "DASHBOARD_LOCK_TIMEOUT": "300"}
                seen["import_start"] = time.time()
                cli = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "queries", "import", str(upload), cwd=str(ROOT), env=env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                out, err = await cli.communicate()
                seen["import_end"] = time.time()
                seen["cli"] = (cli.returncode, out.decode(), err.decode())
                seen["sessions"] = await asyncio.gather(*sessions)
                seen["after"] = {view: await record(browser, base, view) for view in VIEWS}
                # The third state (below) is needed only for sessions that match neither; the Overview's shows that
                # October's numbers moved too, so that state cannot pass for BEFORE.
                odd = {s["view"] for s in seen["sessions"] if s["text"] not in (seen["before"][s["view"]],
                                                                                 seen["after"][s["view"]])}
                seen["held"] = {view: await record(browser, base, held_month(view))
                                for view in VIEWS if view in odd or view == ""}
            finally:
                stop_streamlit(server)
            await browser.close()

    try:
        asyncio.run(scenario())
        code, out, err = seen["cli"]
        assert code == 0 and f"{upload.name}: imported {rows} rows" in out, (code, out, err)
        before, after, held, start = seen["before"], seen["after"], seen["held"], seen["import_start"]
        # A session whose first run (at October, then the latest month) was cut short by the import runs again at
        # the new data version; its sidebar keeps the month it chose, which the URL now names (?month=2026-10).
        # That is one data version too, so "after, at October" is the third state a session may settle in.
        states = [(view, {"before": before[view], "after": after[view]}
                   | ({"after at October": held[view]} if view in held else {})) for view in VIEWS]
        matched = [[name for name, text in known.items() if text == s["text"]] or ["NEITHER"]
                   for s, (view, known) in zip(seen["sessions"], states)]
        print(f"import ran 0 .. {seen['import_end'] - start:.2f} s; sessions, from the import's start:\n" + "\n".join(
            f"  {s['view'] or 'overview':22} ran {s['started'] - start:+7.2f} s .. {s['settled'] - start:+7.2f} s:"
            f" {' = '.join(m)}" for s, m in zip(seen["sessions"], matched)))
        # Without these the test would pass if the import changed nothing a viewer sees, in either month.
        assert before[""] != after[""] and "November 2026" in after[""], diff(after[""], before[""], "before")
        assert "to 100% in October 2026" in held[""] and "to 100% in October 2026" not in before[""], held[""]
        for session, (view, known) in zip(seen["sessions"], states):
            assert not session["trouble"], (view, session["trouble"])
            assert session["text"] in known.values(), f"{view or 'overview'} shows numbers of no one version:\n" + \
                "\n".join(diff(session["text"], text, name) for name, text in known.items())
        # The overlap is real when a session's run had begun before the import ended and finished after it began.
        assert any(s["started"] < seen["import_end"] and s["settled"] > start for s in seen["sessions"])
    except BaseException:
        log.flush()
        print("--- server log (tail) ---\n" + log_path.read_text()[-4000:])
        raise
    finally:
        log.close()
