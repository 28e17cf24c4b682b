"""Several replicas over one DuckLake warehouse: two `streamlit run` app processes and a CLI import, all writing
different months at once. Every upload lands, nothing is half-written, and both apps show the new data. In the
DuckLake pass on Azurite (DASHBOARD_TEST_STORAGE=azurite) the replicas share the data files in blob storage, as
replicas on several machines would (docs/deploy.md#azure-blob-storage)."""
import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from concurrent.futures import ThreadPoolExecutor

from conftest import (AZURITE, CHROMIUM, CHROMIUM_ARGS, DUCKLAKE, PEPPER, ROOT, ROSTER_SEPT, fresh_location, lake_files,
                      require_browser)
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


async def active_people(browser, base: str, month_label: str) -> str:
    page = await browser.new_page()
    page.set_default_timeout(240_000)
    await page.goto(f"{base}/?month={month_label}")
    await page.wait_for_function(READY)
    tile = page.locator("[data-testid='stMetric']", has_text="Active people").first
    value = (await tile.locator("[data-testid='stMetricValue']").inner_text()).strip()
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
                env = {**os.environ, "DASHBOARD_DB": location, "DASHBOARD_PEPPER": PEPPER,
                       "DASHBOARD_LOCK_TIMEOUT": "120"}
                cli = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "queries", "import", str(files["2026-10"]), cwd=str(ROOT), env=env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
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


def interact(port: int, page: str) -> tuple[int, dict]:
    """Open `page` in a new session through Streamlit's agent API; the answer comes once the run has settled."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", "/_stcore/agent/interact", json.dumps({"page": page}),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def nodes(node: dict):
    yield node
    for child in node.get("children", []):
        yield from nodes(child)


def test_four_sessions_across_two_replicas_see_no_error(tmp_path, monkeypatch, every_group_shown):
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    location = fresh_location(tmp_path, "four_sessions")
    uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=location, month="2026-08")
    for month, active in (("2026-08", 1), ("2026-09", 2), ("2026-10", 3)):
        uploads.import_file(f"activity-{month}.csv", activity(month, active).encode(), location=location)
    ports = [free_port(), free_port()]
    agent = ("--server.enableAgentApi", "true", "--server.agentWaitTimeout", "240", "--server.fileWatcherType", "none")
    servers = [start_server(location, port, agent) for port in ports]
    try:
        # four sessions at once, two on each replica, on the pages executives open most
        visits = [(ports[0], ""), (ports[1], ""), (ports[0], "adoption"), (ports[1], "stages")]
        with ThreadPoolExecutor(len(visits)) as pool:
            answers = list(pool.map(lambda visit: interact(*visit), visits))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    for (port, page), (status, answer) in zip(visits, answers):
        assert status == 200, (page, answer)
        assert answer.get("status") != "error", (page, answer)
        shown = [json.dumps(node.get("props", {})) for node in nodes(answer.get("tree", {}))]
        errors = [node["type"] for node in nodes(answer.get("tree", {})) if node["type"] in ("exception", "error")]
        assert not errors and not any("give your dashboard admin the reference" in text or "An import is running"
                                      in text for text in shown), (page, errors)
        assert any("Active people" in text for text in shown) or page, page  # the Overview drew its tiles
