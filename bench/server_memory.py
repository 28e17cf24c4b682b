"""The Streamlit server's peak memory: a real `streamlit run dashboard.py` on a warehouse, every page visited in
headless Chromium, and the server process's resident set size sampled throughout (and its kernel high-water mark)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from queries import views  # noqa: E402

# The pages visited, by URL path (st.Page takes it from the file name; the default page is "/"): every page with a
# view model (views.PAGES), then the Data page, which has none but is in the menu of a local (no sign-in) app.
PATHS = {**{page: "/" if page == "overview" else f"/{page}" for page in views.PAGES}, "data": "/data"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key] = int(amount) / 1024
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


def measure(location: str, pepper: str, timeout: float = 600) -> dict:
    """Start the server on `location`, visit every page twice, and return the memory figures and the page load
    times in the browser (first visit, and again with the cache warm)."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "DASHBOARD_DB": location, "DASHBOARD_DEMO": "0", "DASHBOARD_PEPPER": pepper}
    log_path = Path(location).with_suffix(".server.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples.append(_rss_mb(process.pid)[0])
            except OSError:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("streamlit did not become healthy: " + log_path.read_text()[-2000:])
                time.sleep(0.3)
        idle = _rss_mb(process.pid)[0]
        loads = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(timeout * 1000)
            # Every page twice: the second visit reads through the read cache (same data version).
            for visit in ("first", "again"):
                for name, path in PATHS.items():
                    start = time.perf_counter()
                    page.goto(base + path)
                    page.wait_for_selector("[data-testid='stApp']")
                    page.wait_for_selector("h1")
                    page.wait_for_selector(READY)
                    loads.setdefault(name, {})[visit] = time.perf_counter() - start
                    if page.locator("[data-testid='stException']").count():
                        raise RuntimeError(f"the {name} page shows an exception")
            context.close()
            browser.close()
        current, peak = _rss_mb(process.pid)
    finally:
        stop.set()
        sampler.join(timeout=2)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"idle_mb": idle, "after_mb": current, "peak_mb": max([peak, *samples]), "page_load_s": loads}
