"""Several replicas over one DuckLake warehouse: two `streamlit run` app processes and a CLI import, each its own
process. The three write different months at once: every upload lands, nothing is half-written, and both apps show the
new data. Four browser sessions, two on each replica, open pages again and again while a CLI import of a new month
runs: none sees an error, and each shows the new month on its next run. In the DuckLake pass on Azurite
(DASHBOARD_TEST_STORAGE=azurite) the replicas share the data files in blob storage, as replicas on several machines
would (docs/deploy.md#azure-blob-storage)."""
import asyncio
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import (AZURITE, CHROMIUM, CHROMIUM_ARGS, DUCKLAKE, PEPPER, ROOT, ROSTER_SEPT, SETTLED, fresh_location,
                      lake_files, require_browser)
from queries import metrics, uploads, warehouse

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not DUCKLAKE, reason="runs in the DuckLake pass (DASHBOARD_TEST_BACKEND=ducklake)")]

READY = ("() => { const app = document.querySelector(\"[data-testid='stApp']\");"
         " return app && app.getAttribute('data-test-script-state') === 'notRunning'; }")
PEOPLE = ["ann", "ben", "cat", "dan"]


def activity(month: str, active: int) -> str:
    rows = "".join(f"{month},{p}@example.com,slack,1,0,0\n" for p in PEOPLE[:active])
    return "month,email,tool,posts,replies,reactions\n" + rows


def start_server(location: str, port: int, options: tuple[str, ...] = ()) -> subprocess.Popen:
    env = {**os.environ, "DASHBOARD_DB": location, "DASHBOARD_PEPPER": PEPPER, "DASHBOARD_DEMO": "0",
           "DASHBOARD_MIN_GROUP_SIZE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
                                "--server.address", "127.0.0.1", "--server.headless", "true", *options],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail("a replica did not become healthy")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def upload_through(browser, base: str, path) -> str:
    """Upload a file on a replica's Data page and confirm it, as a champion would."""
    page = await browser.new_page()
    page.set_default_timeout(240_000)
    await page.goto(f"{base}/data")
    await page.wait_for_function(READY)
    await page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    await page.get_by_role("button", name="Import 1 file").wait_for()
    await page.wait_for_function(READY)
    await page.get_by_role("button", name="Import 1 file").click()
    message = page.locator("[data-testid='stAlertContentSuccess']").first
    await message.wait_for()
    text = await message.inner_text()
    await page.close()
    return text


async def cli_import(location: str, path) -> asyncio.subprocess.Process:
    """`python -m queries import` in a process of its own, as a scheduled import runs beside the replicas."""
    env = {**os.environ, "DASHBOARD_DB": location, "DASHBOARD_PEPPER": PEPPER, "DASHBOARD_LOCK_TIMEOUT": "120"}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "queries", "import", str(path), cwd=str(ROOT),
                                                env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)


async def tile(page, label: str) -> str:
    shown = page.locator("[data-testid='stMetric']", has_text=label).first
    return (await shown.locator("[data-testid='stMetricValue']").inner_text()).strip()


async def active_people(browser, base: str, month_label: str) -> str:
    page = await browser.new_page()
    page.set_default_timeout(240_000)
    await page.goto(f"{base}/?month={month_label}")
    await page.wait_for_function(READY)
    value = await tile(page, "Active people")
    await page.close()
    return value


def test_two_app_replicas_and_a_cli_import_write_at_once(tmp_path, monkeypatch, every_group_shown):
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    require_browser()  # the replicas' Data pages are driven in Chromium
    from playwright.async_api import async_playwright

    location = fresh_location(tmp_path, "replicas")
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=location, month="2026-08")
    files = {}
    for month, active in (("2026-08", 1), ("2026-09", 2), ("2026-10", 3)):
        files[month] = tmp_path / f"activity-{month}.csv"
        files[month].write_text(activity(month, active))
    ports = [free_port(), free_port()]
    servers = [start_server(location, port) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                # each replica has served (and cached) a page before the uploads
                assert await active_people(browser, bases[0], "2026-08") == "—"
                cli = await cli_import(location, files["2026-10"])
                results = await asyncio.gather(upload_through(browser, bases[0], files["2026-08"]),
                                               upload_through(browser, bases[1], files["2026-09"]),
                                               cli.communicate())
                assert cli.returncode == 0, results[2]
                assert "activity-2026-08.csv: imported 1 rows" in results[0]
                assert "activity-2026-09.csv: imported 2 rows" in results[1]
                # both replicas show every month after their next run
                seen = [await active_people(browser, base, month) for base in bases
                        for month in ("2026-08", "2026-09", "2026-10")]
                await browser.close()
                return seen

        seen = asyncio.run(scenario())
        assert seen == ["1", "2", "3"] * 2
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    with warehouse.opened(location) as conn:
        ledger = uploads.ledger(conn)
        activity_rows = sorted((r["months"], r["row_count"], r["status"]) for r in ledger if r["kind"] == "activity")
        assert activity_rows == [("2026-08", 1, "active"), ("2026-09", 2, "active"), ("2026-10", 3, "active")]
        assert len({r["upload_id"] for r in ledger}) == len(ledger) == 4
        events = conn.execute("SELECT event_id FROM ledger_events").fetchall()
        assert len(events) == len(set(events))
        # nothing half-written: every upload's rows equal its slices, and the rollups match the rows
        for row in ledger:
            slices = conn.execute("SELECT sum(row_count) FROM upload_slices WHERE upload_id = ?",
                                  [row["upload_id"]]).fetchone()[0]
            assert slices == row["row_count"]
        assert [metrics.org_month(conn, m)["active"] for m in ("2026-08", "2026-09", "2026-10")] == [1, 2, 3]
    if AZURITE:  # the replicas and the CLI wrote their data files to the container, not to a disk
        assert os.environ["DASHBOARD_DATA_PATH"].startswith("az://")
        assert any(name.endswith(".parquet") for name, _ in lake_files(os.environ["DASHBOARD_DATA_PATH"]))


# Four sessions at once, two on each replica, on the pages executives open most, each with a sentence it shows
# only once it has the new month (three of four people active in October 2026, one of them a champion).
VISITS = [(0, "", "As of October 2026"), (0, "stages", "As of October 2026"), (1, "adoption", "to 75% in October 2026"),
          (1, "coe", "have a champion in October 2026")]
TROUBLE = "[data-testid='stException'], [data-testid='stAlertContentError']"


async def settled(page, url: str) -> None:
    """Open `url` and wait until the run is over and still over a moment later (a new data version can start a
    rerun right after), then check that the page shows no error."""
    await page.goto(url)
    while True:
        await page.wait_for_function(SETTLED, polling=100)
        await page.wait_for_timeout(500)
        if await page.evaluate(SETTLED):
            break
    errors = await page.locator(TROUBLE).all_inner_texts()
    assert not errors, (url, errors)
    text = await page.locator("[data-testid='stApp']").inner_text()
    assert "give your dashboard admin the reference" not in text and "An import is running" not in text, (url, text)


async def on_new_month(page, url: str) -> tuple[str, str, str]:
    """Open the page on October 2026; returns the month the sidebar is at, the main area's text and the Active
    people tile (empty where the page has none)."""
    await settled(page, f"{url}?month=2026-10")
    month = await page.get_by_role("combobox", name="As of").input_value()
    main = await page.locator("[data-testid='stMain']").inner_text()
    people = page.locator("[data-testid='stMetric']", has_text="Active people")
    return month, main, (await tile(page, "Active people") if await people.count() else "")


def test_four_browser_sessions_across_two_replicas_during_an_import_see_no_error(tmp_path, monkeypatch,
                                                                                 every_group_shown):
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    require_browser()
    from playwright.async_api import async_playwright

    location = fresh_location(tmp_path, "four_sessions")
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=location, month="2026-08")
    uploads.import_file("champions.csv", b"email,department,role\nann@example.com,Sales,Champion\n", location=location,
                        month="2026-08")  # so that the CoE page draws its figures
    history = activity("2026-08", 1) + activity("2026-09", 2).partition("\n")[2]  # one file, two months
    uploads.import_file("activity.csv", history.encode(), location=location)
    upload = tmp_path / "activity-2026-10.csv"
    upload.write_text(activity("2026-10", 3))
    ports = [free_port(), free_port()]
    servers = [start_server(location, port) for port in ports]
    urls = [f"http://127.0.0.1:{ports[replica]}/{view}" for replica, view, _ in VISITS]
    try:
        async def scenario():
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                contexts = await asyncio.gather(*(browser.new_context() for _ in VISITS))
                pages = await asyncio.gather(*(context.new_page() for context in contexts))
                for page in pages:
                    page.set_default_timeout(240_000)
                # each replica has served its two pages before the import, as a hosted one has
                await asyncio.gather(*(settled(page, url) for page, url in zip(pages, urls)))
                cli = await cli_import(location, upload)
                importing = asyncio.create_task(cli.communicate())

                async def again_while_importing(page, url):
                    while True:  # at least one run that starts while the import is under way
                        await settled(page, url)
                        await asyncio.wait([importing], timeout=1)  # a breath: the import shares the CPUs
                        if importing.done():
                            return

                *_, output = await asyncio.gather(*(again_while_importing(page, url)
                                                    for page, url in zip(pages, urls)), importing)
                assert cli.returncode == 0, output
                seen = await asyncio.gather(*(on_new_month(page, url) for page, url in zip(pages, urls)))
                await browser.close()
                return seen

        seen = asyncio.run(scenario())
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    # every session, on either replica, shows the month the CLI imported on its next run
    assert [month for month, _, _ in seen] == ["October 2026"] * len(VISITS), seen
    for (_, view, new_month), (_, main, _) in zip(VISITS, seen):
        assert new_month in main, (view, main)
    assert seen[0][2] == "3", seen
