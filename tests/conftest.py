"""Shared fixtures: a fresh warehouse per test, with a fixed pepper and no demo auto-load.

DASHBOARD_TEST_BACKEND=ducklake runs the whole suite against DuckLake: a throwaway PostgreSQL cluster on loopback
(started here, stopped at the end) holds one fresh catalog database per warehouse, with shared Parquet data. With
DASHBOARD_TEST_STORAGE=azurite too, the Parquet data is in Azure Blob Storage: Azurite, Microsoft's emulator
(`npm ci --prefix tests/azurite`), started on loopback for the session with one container, instead of a folder.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DASHBOARD_LOCK_TIMEOUT", "20")
# Pages turn unexpected errors into a message with a reference code; the suite wants to see the exception itself
# (tests/test_page_errors.py switches this off to check the message).
os.environ.setdefault("DASHBOARD_RAISE_ERRORS", "1")

from queries import uploads, warehouse  # noqa: E402

PEPPER = "test-pepper"

# Browser tests drive Debian's Chromium through Playwright's Python package (a downloaded browser is never used).
CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def require_browser(*packages: str) -> None:
    """Fail under CI=true when the browser tests cannot run; elsewhere skip them, saying so loudly. `packages` names
    further Python packages a test needs (e.g. "axe_playwright_python")."""
    reason = None
    if CHROMIUM is None:
        reason = "Chromium not found (install Debian's chromium: apt-get install chromium)"
    else:
        import importlib

        for package in ("playwright.async_api", *packages):
            try:
                importlib.import_module(package)
            except ImportError:
                reason = (f"the {package.split('.')[0]} Python package is not installed "
                          "(pip install -r requirements-dev.txt)")
                break
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"Browser tests cannot run under CI: {reason}")
    pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")


def pytest_collection_modifyitems(items):
    """Every test in a tests/*_browser.py file is a browser test: the README's `pytest` leaves them to .ci/run."""
    for item in items:
        if item.path.name.endswith("_browser.py"):
            item.add_marker(pytest.mark.browser)


# A page has settled when its run is over, nothing is stale or still a placeholder, and the main area has drawn.
SETTLED = ("() => { const app = document.querySelector(\"[data-testid='stApp']\");"
           " return !!app && app.getAttribute('data-test-script-state') === 'notRunning'"
           " && !document.querySelector(\"[data-stale='true'], [data-testid='stSkeleton']\")"
           " && !!document.querySelector(\"[data-testid='stMain'] [data-testid='stElementContainer']\"); }")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(location: str, log, env: dict | None = None, timeout: float = 180, port: int | None = None,
                    options: list[str] | None = None):
    """`streamlit run dashboard.py` on a free loopback port against the warehouse at `location`, its output to
    `log`; returns (process, base URL) once /_stcore/health answers. Stop it with stop_streamlit.

    `port` fixes the port (sign-in needs it known beforehand: the provider registers the redirect URI); `options`
    adds `streamlit run` options, e.g. ["--secrets.files", path] to read secrets from a test's own file."""
    import subprocess
    import time
    import urllib.request

    port = port or free_port()
    env = {**os.environ, "DASHBOARD_DB": location, "DASHBOARD_PEPPER": PEPPER, "DASHBOARD_DEMO": "0", **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         *(options or [])],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=5).read() == b"ok":
                return process, base
        except OSError:
            time.sleep(0.3)
    stop_streamlit(process)
    raise AssertionError("streamlit did not become healthy")


def stop_streamlit(process) -> None:
    import subprocess

    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, demo_template):
    """A real `streamlit run` server on a copy of the demo warehouse, for one test module: yields its base URL."""
    folder = tmp_path_factory.mktemp("server")
    location = copy_warehouse(demo_template, fresh_location(folder, "served"))
    with open(folder / "server.log", "w") as log:
        try:
            process, base = start_streamlit(location, log)
        except AssertionError:
            log.flush()
            pytest.fail("streamlit did not become healthy: " + (folder / "server.log").read_text()[-2000:])
        try:
            yield base
        finally:
            stop_streamlit(process)
            warehouse.forget(location)


@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's Chromium through Playwright (sync API), for one test module."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


BACKEND = os.environ.get("DASHBOARD_TEST_BACKEND", "file")
DUCKLAKE = BACKEND == "ducklake"
AZURITE = os.environ.get("DASHBOARD_TEST_STORAGE", "folder") == "azurite"
_PG: dict = {}
_AZ: dict = {}
CONTAINER = "lake"
# Azurite's one account and its key, as Microsoft publishes them for the emulator: no secret.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_connection_string(port: int | str, key: str = AZURITE_KEY) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={key};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")


def _start_azurite(root: Path) -> dict:
    """Azurite's blob service on a free loopback port, its blobs under `root`, with the suite's container."""
    import socket
    import subprocess
    import time

    binary = ROOT / "tests" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        pytest.exit("DASHBOARD_TEST_STORAGE=azurite needs Azurite: npm ci --prefix tests/azurite", returncode=3)
    port = free_port()
    log = open(root / "azurite.log", "w")
    process = subprocess.Popen([str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
                                str(root), "--skipApiVersionCheck", "--loose", "--silent"],
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.exit(f"Azurite did not start: {(root / 'azurite.log').read_text()[-1000:]}", returncode=3)
            time.sleep(0.2)
    from azure.storage.blob import BlobServiceClient

    connection = azurite_connection_string(port)
    BlobServiceClient.from_connection_string(connection).create_container(CONTAINER)
    return {"process": process, "port": port, "connection": connection, "log": log}


def lake_data_path(folder: Path) -> str:
    """The data path of DuckLake warehouses made in `folder`: a folder under it, or a prefix of the container named
    after it (the same folder gives the same path, as a catalog expects of its data path)."""
    if AZURITE:
        import hashlib

        return f"az://{CONTAINER}/{hashlib.sha256(str(folder).encode()).hexdigest()[:12]}/"
    return str(Path(folder) / "lake")


def lake_files(data_path: str) -> list[tuple[str, bytes]]:
    """Every data file under a DuckLake data path with its bytes: the folder's files, or the container's blobs
    listed through Azure's own client (not DuckDB), so a test sees what the storage itself holds."""
    if data_path.startswith("az://"):
        from azure.storage.blob import BlobServiceClient

        container = BlobServiceClient.from_connection_string(_AZ["connection"]).get_container_client(CONTAINER)
        prefix = data_path.split("://", 1)[1].split("/", 1)[1]
        return [(blob.name, container.download_blob(blob.name).readall())
                for blob in container.list_blobs(name_starts_with=prefix)]
    import glob

    return [(p, Path(p).read_bytes()) for p in glob.glob(os.path.join(data_path, "**", "*"), recursive=True)
            if os.path.isfile(p)]


def _as_postgres(args: list[str]) -> None:
    import subprocess

    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # initdb and pg_ctl refuse root
    subprocess.run(prefix + args, check=True, capture_output=True, text=True)


def _start_postgres(root: Path) -> dict:
    """A throwaway PostgreSQL cluster on loopback for the DuckLake catalogs."""
    import glob
    import shutil
    import socket

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.exit("DASHBOARD_TEST_BACKEND=ducklake needs PostgreSQL (apt-get install postgresql)", returncode=3)
    binaries = os.path.dirname(found[-1])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    _as_postgres([f"{binaries}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    _as_postgres([f"{binaries}/pg_ctl", "-D", str(data), "-l", str(root / "server.log"), "-w", "-o",
                  f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
                  "-c max_connections=400", "start"])
    return {"bin": binaries, "port": port, "data": data, "root": root}


@pytest.fixture(scope="session", autouse=True)
def _backend(tmp_path_factory):
    """Start PostgreSQL once for a DuckLake run, with one shared data folder for every catalog; stop it after."""
    if AZURITE and not DUCKLAKE:
        pytest.exit("DASHBOARD_TEST_STORAGE=azurite is DuckLake's storage: set DASHBOARD_TEST_BACKEND=ducklake too",
                    returncode=3)
    if not DUCKLAKE:
        yield
        return
    import shutil
    import subprocess
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="dashboard-pg-"))
    _PG.update(_start_postgres(root))
    if AZURITE:
        _AZ.update(_start_azurite(tmp_path_factory.mktemp("azurite")))
        os.environ["DASHBOARD_AZURE_CONNECTION_STRING"] = _AZ["connection"]
        os.environ["DASHBOARD_DATA_PATH"] = lake_data_path(root)
    else:
        os.environ["DASHBOARD_DATA_PATH"] = str(tmp_path_factory.mktemp("lake-data"))
    # Every fresh warehouse is a clone of one empty, migrated catalog: migrating each one would cost seconds.
    empty = _createdb("empty_template")
    with warehouse.opened(empty):
        pass
    warehouse.forget(empty)
    try:
        yield
    finally:
        warehouse.forget()
        _as_postgres([f"{_PG['bin']}/pg_ctl", "-D", str(_PG["data"]), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)
        if _AZ:
            _AZ["process"].terminate()
            try:
                _AZ["process"].wait(timeout=10)
            except subprocess.TimeoutExpired:  # Azurite can linger over open connections on SIGTERM
                _AZ["process"].kill()
                _AZ["process"].wait()
            _AZ["log"].close()


def _createdb(name: str, template: str | None = None) -> str:
    import subprocess

    args = [f"{_PG['bin']}/createdb", "-h", "127.0.0.1", "-p", _PG["port"], "-U", "postgres"]
    if template:
        args += ["-T", template]
    subprocess.run(args + [name], check=True, capture_output=True, text=True)
    return f"ducklake:postgres:dbname={name} host=127.0.0.1 port={_PG['port']} user=postgres"


def fresh_location(folder: Path, name: str = "warehouse") -> str:
    """A new, empty warehouse on the backend under test: a file in `folder`, or a new DuckLake catalog."""
    if DUCKLAKE:
        import uuid

        return _createdb(f"{name.replace('-', '_')}_{uuid.uuid4().hex[:10]}", template="empty_template")
    return str(Path(folder) / f"{name}.duckdb")


def _dbname(location: str) -> str:
    return location.split("dbname=", 1)[1].split()[0]


def copy_warehouse(source: str, target: str) -> str:
    """Make `target` a copy of `source`: the file copied, or the catalog database cloned (the Parquet data files
    are shared: they are immutable, and every catalog names its new files uniquely)."""
    warehouse.forget(source)  # a template database must have no open connections; a file copy needs no open WAL
    warehouse.forget(target)
    if DUCKLAKE:
        import subprocess

        subprocess.run([f"{_PG['bin']}/dropdb", "-h", "127.0.0.1", "-p", _PG["port"], "-U", "postgres",
                        "--if-exists", _dbname(target)], check=True, capture_output=True, text=True)
        _createdb(_dbname(target), template=_dbname(source))
        return target
    import shutil

    shutil.copyfile(source, target)
    return target


@pytest.fixture(autouse=True)
def _one_process_role():
    """Each test starts as a plain process (the CLI's role); a test that runs the app becomes the server for its
    duration. Embedded instances the test left open are closed, so the next test may copy or reuse files."""
    yield
    from queries import instances

    instances.serve(False)
    if not DUCKLAKE:
        warehouse.forget()


@pytest.fixture
def serving():
    """This test process acts as the dashboard's server (it keeps its instances open between reads)."""
    warehouse.serve()


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    """A fresh warehouse, used by the app and the CLI through DASHBOARD_DB."""
    location = fresh_location(tmp_path)
    monkeypatch.setenv("DASHBOARD_DB", location)
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DEMO", "0")
    return location


@pytest.fixture
def every_group_shown(monkeypatch):
    """Organisations of four or five people counted by hand are below the default minimum group size, so their
    figures would be withheld; tests of the counting itself show every group (tests/test_privacy.py checks the
    minimum)."""
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "1")


def loader(location: str):
    """load(name, text_or_bytes, month=None, kind=None) imports one file into the warehouse at `location`."""

    def _load(name: str, content, month=None, kind=None, **kwargs):
        data = content.encode("utf-8") if isinstance(content, str) else content
        return uploads.import_file(name, data, location=location, month=month, kind=kind, **kwargs)

    return _load


@pytest.fixture
def load(db):
    """load(name, text_or_bytes, month=None, kind=None) imports one file into the test warehouse."""
    return loader(db)


@pytest.fixture(scope="module")
def filled_once(request, tmp_path_factory) -> tuple[str, object]:
    """The warehouse that the test module's `fill_once(load)` fills, filled once per module (with the test pepper):
    its tests copy it into their own with copy_warehouse, as demo_db copies the demo, instead of importing the same
    files for every test. (location, what fill_once returned)."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    location = fresh_location(tmp_path_factory.mktemp(name), f"{name}_template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DASHBOARD_PEPPER", PEPPER)
        patch.setenv("DASHBOARD_DEMO", "0")
        filled = request.module.fill_once(loader(location))
    warehouse.forget(location)  # closed, so that copies can be taken
    return location, filled


@pytest.fixture
def conn(db):
    with warehouse.opened(db) as connection:
        yield connection


def snapshot(location: str) -> dict:
    """Everything an import could change: the ledger, every table's row count, and the latest metrics."""
    from queries import metrics

    with warehouse.opened(location) as connection:
        tables = [r[0] for r in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema = 'main' AND table_catalog = current_database() ORDER BY 1").fetchall()]
        counts = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        ledger = uploads.ledger(connection)
        events = connection.execute("SELECT event_id, upload_id, action FROM ledger_events ORDER BY 1").fetchall()
        month_metrics = {str(m): metrics.org_month(connection, m) for m in metrics.months(connection)}
    return {"counts": counts, "ledger": ledger, "events": events, "metrics": month_metrics}


ROSTER_SEPT = (
    "email,department,region,business_unit,level\n"
    "ann@example.com,Sales,EMEA,Commercial,executive\n"
    "ben@example.com,Sales,EMEA,Commercial,staff\n"
    "cat@example.com,Legal,EMEA,Corporate,staff\n"
    "dan@example.com,Legal,NA,Corporate,manager\n"
)
ACTIVITY_SEPT = (
    "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n"
    "2026-09,ann@example.com,viva-engage,2,,3,10,,\n"
    "2026-09,ben@example.com,slack,0,1,0,,,4\n"
    "2026-09,ben@example.com,viva-engage,0,,0,5,,\n"
    "2026-09,zed@example.com,slack,4,0,0,,,2\n"
)


def app(page: str | None = None, timeout: int = 120):
    """An AppTest of the dashboard, optionally switched to a page such as 'app/pages/data.py'."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> str:
    """The demo organisation loaded once per test session; tests get a copy through `demo_db`."""
    if os.environ.get("PYTEST_XDIST_WORKER") and not DUCKLAKE:
        # pytest-xdist's workers share one file, built by whichever asks first (each DuckLake worker has a
        # PostgreSQL cluster of its own, so there each builds its own).
        import fcntl

        shared = tmp_path_factory.getbasetemp().parent  # this run's folder, above every worker's own
        location = shared / "demo_template.duckdb"
        with open(shared / "demo_template.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not location.exists():
                building = str(shared / "demo_template_building.duckdb")
                _load_demo(building)
                warehouse.forget(building)  # closed, with no WAL, before it is copied
                os.replace(building, location)
        return str(location)
    location = fresh_location(tmp_path_factory.mktemp("demo"), "demo_template")
    _load_demo(location)
    return location


def _load_demo(location: str) -> None:
    from queries import demo

    previous = os.environ.get("DASHBOARD_PEPPER")
    os.environ["DASHBOARD_PEPPER"] = PEPPER
    try:
        demo.load_demo(location)
    finally:
        if previous is None:
            os.environ.pop("DASHBOARD_PEPPER", None)
        else:
            os.environ["DASHBOARD_PEPPER"] = previous


@pytest.fixture
def demo_db(db, demo_template) -> str:
    """A fresh copy of the demo warehouse at the test's DASHBOARD_DB."""
    return copy_warehouse(demo_template, db)
