"""Sign-in through a real OpenID Connect provider, in a real browser.

A loopback `oidc-provider` (tests/oidc/provider.js, accounts in tests/oidc/realm.json) is the identity provider; a
`streamlit run` server reads `[auth]` (pointing at the provider's discovery URL) and `[access]` from its own
secrets file. Chromium signs in on the provider's login form as a viewer, a champion, an admin, an account
outside `allowed_domains` and a department-scoped Sales head, and signs out through the provider's end-session
endpoint. docs/deploy.md has what this taught about hosting sign-in.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ROOT, SETTLED, copy_warehouse, free_port, fresh_location, start_streamlit, stop_streamlit
from queries import warehouse

OIDC = ROOT / "tests" / "oidc"
REALM = json.loads((OIDC / "realm.json").read_text())
ACCOUNTS = {a["sub"].removeprefix("acct-"): a for a in REALM["accounts"]}
CLIENT = REALM["clients"][0]
# The demo organisation's sales and finance departments (queries/synth.py, DEPARTMENTS).
SALES, FINANCE = "Sales", "Finance"
# The app's own role rules (README, "Hosting and sign-in"): admins by address, champions by pattern, and only
# these domains may enter; everyone else allowed in is a viewer.
ACCESS = {"admins": [ACCOUNTS["admin"]["email"]], "champions": ["*@comms.example.com"],
          "allowed_domains": ["example.com", "comms.example.com"],
          # a department head, outside allowed_domains: naming them here lets them in (docs/deploy.md)
          "scoped": {"*@sales.example.com": [SALES]}}
TIMEOUT_MS = 180_000
# The pages of the menu a viewer has, by their paths.
PAGES = {"Overview": "", "Where we stand": "stages", "Adoption": "adoption", "CoE reach": "coe",
         "Communities": "communities", "Business alignment": "alignment", "Initiatives": "initiatives"}
# A scoped viewer's one line of the whole organisation's figures (docs/deploy.md#department-scoped-viewers).
WHOLE_ORGANISATION = re.compile(r"Whole organisation, [A-Z][a-z]+ \d{4}: adoption \d+% · contribution \d+% · "
                                r"CoE reach \d+%\.")
SCREENSHOTS = ROOT / "docs" / "screenshots"


def provider_unavailable(reason: str) -> None:
    """Fail under CI=true (CI installs the provider); elsewhere skip, saying so loudly."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"The OpenID provider for the sign-in tests cannot run under CI: {reason}")
    pytest.skip(f"SIGN-IN TESTS SKIPPED: {reason}")


@pytest.fixture(scope="module")
def node() -> str:
    """Node.js with the provider's packages installed (checked before the slower fixtures are built)."""
    found = shutil.which("node")
    if found is None:
        provider_unavailable("Node.js is not installed (apt-get install nodejs npm)")
    if not (OIDC / "node_modules" / "oidc-provider").is_dir():
        provider_unavailable("the oidc-provider package is not installed (npm ci --prefix tests/oidc)")
    return found


def start_provider(node: str, port: int, app_port: int, log):
    process = subprocess.Popen([node, "provider.js", "--port", str(port), "--app-port", str(app_port)],
                               cwd=OIDC, stdout=log, stderr=subprocess.STDOUT)
    discovery = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(discovery, timeout=5) as answer:
                if json.load(answer).get("issuer") == f"http://127.0.0.1:{port}":
                    return process, discovery
        except OSError:
            time.sleep(0.2)
    stop_provider(process)
    log.flush()
    provider_unavailable("the provider did not answer at its discovery URL: " + Path(log.name).read_text()[-2000:])


def stop_provider(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def toml_list(values) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def toml_table(name: str, table: dict) -> str:
    """A TOML table of lists, with its tables of lists (such as [access.scoped]) after it."""
    lists = "".join(f"{json.dumps(key)} = {toml_list(values)}\n" for key, values in table.items()
                    if not isinstance(values, dict))
    return f"\n[{name}]\n" + lists + "".join(toml_table(f"{name}.{key}", values) for key, values in table.items()
                                             if isinstance(values, dict))


def write_secrets(folder: Path, app_port: int, discovery: str) -> Path:
    """The server's own secrets file: `[auth]` for the test client at `discovery`, and the app's `[access]` rules."""
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT["client_id"]}"\n'
        f'client_secret = "{CLIENT["client_secret"]}"\n'
        f'server_metadata_url = "{discovery}"\n' + toml_table("access", ACCESS))
    return secrets_file


@pytest.fixture(scope="module")
def signin(node, chromium_browser, tmp_path_factory, demo_template):
    """The provider and a dashboard server that signs in with it, on a copy of the demo warehouse."""
    folder = tmp_path_factory.mktemp("signin")
    app_port = free_port()
    provider_port = free_port()
    while provider_port == app_port:
        provider_port = free_port()
    provider_log = open(folder / "provider.log", "w")
    provider, discovery = start_provider(node, provider_port, app_port, provider_log)
    # The redirect URI is on localhost and the provider on 127.0.0.1: two hosts, so the browser keeps the app's
    # and the provider's cookies apart, as with a real identity provider.
    secrets_file = write_secrets(folder, app_port, discovery)
    location = copy_warehouse(demo_template, fresh_location(folder, "signin"))
    server_log = open(folder / "server.log", "w")
    try:
        try:
            process, _ = start_streamlit(location, server_log, port=app_port,
                                         options=["--secrets.files", str(secrets_file)])
        except AssertionError:
            server_log.flush()
            pytest.fail("streamlit did not become healthy: " + (folder / "server.log").read_text()[-2000:])
        try:
            yield SimpleNamespace(base=f"http://localhost:{app_port}", issuer=f"http://127.0.0.1:{provider_port}",
                                  browser=chromium_browser, folder=folder)
        finally:
            stop_streamlit(process)
            warehouse.forget(location)
    finally:
        stop_provider(provider)
        provider_log.close()
        server_log.close()


def settle(page) -> None:
    """The app's run is over and nothing on the page is stale or a placeholder (never a fixed sleep)."""
    page.wait_for_function(SETTLED)


def new_page(signin):
    context = signin.browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def sign_in(signin, who: str, password: str | None = None, page=None):
    """Open the dashboard signed out, press Sign in, and sign in on the provider's own login form (in `page`, or
    in a new one)."""
    account = ACCOUNTS[who]
    page = page or new_page(signin)
    page.goto(signin.base)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{signin.issuer}/interaction/**")
    page.get_by_label("Email").fill(account["email"])
    page.get_by_label("Password").fill(password or account["password"])
    page.get_by_role("button", name="Sign in").click()
    if password is None:
        page.wait_for_url(f"{signin.base}/**")
        settle(page)
    return page


def sign_out(signin, page) -> None:
    """Sign out of the app and, through the provider's end-session endpoint, of the provider too."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{signin.issuer}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{signin.base}/**")
    page.get_by_role("button", name="Sign in").wait_for()
    settle(page)
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    # Signed out of the provider as well: signing in again asks for the password instead of passing straight through.
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{signin.issuer}/interaction/**")
    page.get_by_label("Password").wait_for()
    page.context.close()


def menu(page) -> list[str]:
    """The page names in the sidebar menu (each link also holds its icon's ligature name on a line of its own)."""
    return [text.strip().splitlines()[-1] for text in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()]


def department_options(page, typed: str = "") -> list[str]:
    """The departments the sidebar's Department filter offers for `typed` in its search, from its open dropdown
    (which draws only the first few of a long list)."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']", has_text="Department")
    box.click()
    listbox = page.get_by_role("listbox")
    listbox.wait_for()
    page.keyboard.type(typed)
    offered = [text.strip() for text in listbox.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")  # clears the search; a click outside closes the dropdown
    page.locator("[data-testid='stSidebar'] h2", has_text="Filters").click()
    listbox.wait_for(state="hidden")
    return [text for text in offered if text != "No results"]  # what the dropdown says when nothing matches


class Received:
    """Everything the server sends a page: its websocket messages (every element, widget option, chart dataset
    and tooltip text of every run) and any message the page fetches from the server's message cache. Attached
    before the page opens the app."""

    def __init__(self, page):
        self.messages: list[bytes] = []
        self.fetched: list[str] = []
        page.on("websocket", lambda socket: socket.on("framereceived", self._add))
        page.on("request", lambda request: self.fetched.append(request.url) if "/_stcore/message" in request.url
                else None)

    def _add(self, payload) -> None:
        self.messages.append(payload if isinstance(payload, bytes) else payload.encode())

    def mentions(self, page, word: str) -> list[str]:
        """Where `word` occurs in what was received: a little of the text around each occurrence."""
        bodies = self.messages + [page.context.request.get(url).body() for url in self.fetched]
        needle = word.encode()
        return [body[max(0, i - 60):i + 60].decode("utf-8", "replace")
                for body in bodies for i in [m.start() for m in re.finditer(re.escape(needle), body)]]


def ledger_rows(page, tmp_path) -> list[dict]:
    """The upload ledger through its download (the table itself draws on a canvas)."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the ledger (CSV)").click()
    path = tmp_path / "ledger.csv"
    download.value.save_as(path)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_a_wrong_password_is_refused_on_the_providers_form(signin):
    page = sign_in(signin, "viewer", password="not-the-password")
    page.get_by_role("alert").filter(has_text="Wrong email or password.").wait_for()
    assert page.url.startswith(f"{signin.issuer}/interaction/")
    page.context.close()


def test_viewer_sees_the_views_and_cannot_reach_the_data_page(signin):
    page = new_page(signin)
    received = Received(page)
    sign_in(signin, "viewer", page=page)
    page.get_by_text("Signed in as viewer.").wait_for()
    # An unscoped viewer is offered Finance and is sent its figures: what the Sales head's test finds absent is
    # there to be found.
    assert department_options(page, FINANCE) == [FINANCE]
    assert received.mentions(page, FINANCE)
    adoption = page.locator("[data-testid='stMetricLabel']", has_text=re.compile(r"^\s*Adoption\s*$"))
    assert adoption.count() == 1  # the Adoption tile (the demo's adoption target has a tile of its own)
    assert "Local mode" not in page.locator("[data-testid='stMain']").inner_text()
    assert "Where we stand" in menu(page) and "Data" not in menu(page)
    page.goto(f"{signin.base}/data")  # by URL: the page is not registered for a viewer, so the Overview runs
    page.get_by_text("Signed in as viewer.").wait_for()
    settle(page)
    not_found = page.get_by_role("dialog")  # Streamlit says so over the Overview
    not_found.wait_for()
    assert "not found" in not_found.inner_text().lower(), not_found.inner_text()
    page.keyboard.press("Escape")
    not_found.wait_for(state="hidden")
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    assert page.get_by_role("heading", name="Data", exact=True).count() == 0
    adoption = page.locator("[data-testid='stMetricLabel']", has_text=re.compile(r"^\s*Adoption\s*$"))
    assert adoption.count() == 1  # the Adoption tile (the demo's adoption target has a tile of its own)
    sign_out(signin, page)


def test_champion_uploads_and_admin_undoes_it(signin, tmp_path):
    # One test, not two: under pytest-xdist two tests of a module may run on different workers and servers.
    upload = tmp_path / "workplace-october.csv"
    upload.write_text("month,email,tool,posts\n" + "".join(f"2026-10,p{i:06d}@example.com,workplace,1\n"
                                                           for i in range(1, 41)))
    page = sign_in(signin, "champion")
    page.get_by_text("Signed in as champion.").wait_for()
    assert "Data" in menu(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Data").click()
    page.wait_for_url("**/data**")
    page.get_by_role("heading", name="Upload ledger").wait_for()
    settle(page)
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(upload))
    page.get_by_role("button", name="Import 1 file").wait_for()  # the preview is ready
    settle(page)
    page.get_by_role("button", name="Import 1 file").click()
    success = page.locator("[data-testid='stAlertContentSuccess']", has_text="workplace-october.csv")
    success.wait_for()
    assert "imported 40 rows" in success.inner_text()
    settle(page)
    assert page.get_by_text("Undo an upload").count() == 0  # undo is the admin's
    newest = ledger_rows(page, tmp_path)[0]
    assert newest["File"] == "workplace-october.csv" and newest["Status"] == "active", newest
    # The ledger names the signed-in role and a peppered hash, never the address the provider sent.
    assert newest["By"].startswith("champion ") and "@" not in newest["By"], newest
    upload_id = newest["Upload"]
    sign_out(signin, page)

    page = sign_in(signin, "admin")
    page.get_by_text("Signed in as admin.").wait_for()
    page.goto(f"{signin.base}/data")
    page.get_by_role("heading", name="Upload ledger").wait_for()
    settle(page)
    page.get_by_text("Undo an upload").click()
    chosen = page.locator("[data-testid='stSelectbox']", has_text="Upload to take back out")
    # the newest upload comes first (the chosen option shows as the text of the box or of its search input)
    shown = chosen.evaluate("box => [box.innerText, ...[...box.querySelectorAll('input')].map(i => i.value)].join(' ')")
    assert f"#{upload_id} workplace-october.csv" in shown, shown
    page.get_by_role("button", name="Undo this upload").click()
    page.locator("[data-testid='stAlertContentSuccess']", has_text=f"Upload #{upload_id} undone.").wait_for()
    settle(page)
    undone = next(row for row in ledger_rows(page, tmp_path) if row["Upload"] == upload_id)
    assert undone["Status"] == "undone", undone
    sign_out(signin, page)


def downloaded_tables(page, tmp_path) -> list[str]:
    """The text of every table download the page offers (layout.download_table)."""
    buttons = page.get_by_role("button", name=re.compile(r"Download .*\(CSV\)"))
    texts = []
    for i in range(buttons.count()):
        with page.expect_download() as download:
            buttons.nth(i).click()
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}-{download.value.suggested_filename}"
        download.value.save_as(path)
        texts.append(path.read_text(encoding="utf-8-sig"))
    return texts


def tooltip(page, chart) -> str:
    """The text of the tooltip Vega shows for the first mark found under the pointer, moved over the chart."""
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    shown = "() => document.querySelector('#vg-tooltip-element.visible')"
    for across in (0.5, 0.3, 0.7, 0.9):
        for down in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
            page.mouse.move(box["x"] + box["width"] * across, box["y"] + box["height"] * down)
            try:
                page.wait_for_function(shown, timeout=2_000)
            except Exception:  # no mark under the pointer there
                continue
            return page.locator("#vg-tooltip-element").inner_text()
    raise AssertionError("no tooltip anywhere over the chart")


def test_a_sales_head_sees_sales_and_the_whole_organisation_and_nothing_of_finance(signin, tmp_path):
    """A viewer scoped to Sales ([access.scoped]) through the provider: the Department filter offers Sales only;
    the pages show figures, and the Overview, Adoption and CoE reach the whole organisation's in one labelled line;
    Finance is in no page's text, in nothing the server sends (the charts' data and tooltips included), in no CSV
    download and not in the brief, and a URL naming it is ignored (docs/deploy.md#department-scoped-viewers)."""
    page = new_page(signin)
    received = Received(page)
    sign_in(signin, "sales-head", page=page)
    page.get_by_text(f"Signed in as viewer, for {SALES}.").wait_for()
    assert department_options(page) == [SALES] and department_options(page, FINANCE) == []
    assert menu(page) == list(PAGES)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scoped-overview.png"))
    headlines = {}
    for name, path in PAGES.items():
        if name != "Overview":
            page.locator("[data-testid='stSidebarNav'] a", has_text=name).click()
            page.wait_for_url(f"{signin.base}/{path}**")
        page.locator("[data-testid='stMain'] h1", has_text=name).wait_for()
        settle(page)
        text = page.locator("[data-testid='stMain']").inner_text()
        assert FINANCE not in text + page.locator("[data-testid='stSidebar']").inner_text(), name
        assert page.locator("[data-testid='stException']").count() == 0, name
        if name in ("Overview", "Adoption", "CoE reach"):
            headlines[name] = page.locator("[data-testid='stMain'] h2").all_inner_texts()
            assert WHOLE_ORGANISATION.search(text), (name, text[:1500])
            assert page.locator("[data-testid='stMain'] :is([data-testid='stMetric'], "
                                "[data-testid='stVegaLiteChart'])").count(), name
        tables = downloaded_tables(page, tmp_path)
        assert all(FINANCE not in table for table in tables), name
        if name == "Adoption":
            assert tables and any(f"{SALES}," in table for table in tables), tables
            heatmap = page.locator("[data-testid='stVegaLiteChart'][aria-label*='Adoption by department and month']")
            shown = tooltip(page, heatmap)
            assert SALES in shown and FINANCE not in shown, shown
        if name == "Overview":
            with page.expect_download(timeout=TIMEOUT_MS) as download:
                page.get_by_role("button", name="Download the executive brief (PDF)").click()
            download.value.save_as(tmp_path / "brief.pdf")
            from pypdf import PdfReader

            brief = "\n".join(p.extract_text() for p in PdfReader(str(tmp_path / "brief.pdf")).pages)
            assert FINANCE not in brief and "Whole organisation" in brief, brief
    # A link naming Finance opens the page as if it named no department, and the app takes the name out of the URL.
    for name in ("Overview", "Adoption"):
        page.goto(f"{signin.base}/{PAGES[name]}?dept={FINANCE}")
        page.locator("[data-testid='stMain'] h1", has_text=name).wait_for()
        settle(page)
        page.wait_for_function("() => !new URLSearchParams(location.search).has('dept')")
        assert FINANCE not in page.locator("[data-testid='stApp']").inner_text(), name
        assert page.locator("[data-testid='stMain'] h2").all_inner_texts() == headlines[name], name
    assert received.messages and received.mentions(page, SALES)
    assert not received.mentions(page, FINANCE)
    sign_out(signin, page)


def test_an_account_outside_the_allowed_domains_is_turned_away(signin):
    page = sign_in(signin, "outsider")
    refusal = page.locator("[data-testid='stAlertContentError']")
    refusal.wait_for()
    assert "This account is not allowed to use the dashboard" in refusal.inner_text()
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.locator("[data-testid='stMetric']").count() == 0
    page.goto(f"{signin.base}/data")
    page.locator("[data-testid='stAlertContentError']").wait_for()
    settle(page)
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    assert page.locator("[data-testid='stMetric']").count() == 0
    sign_out(signin, page)


def test_a_fresh_servers_first_visitor_signed_out_sees_the_sign_in_screen_without_a_menu(chromium_browser, tmp_path,
                                                                                          demo_template):
    """A server's very first run may stop at the sign-in screen before st.navigation has declared any page; it must
    show no menu then either (a pages/ folder beside dashboard.py would make Streamlit list its files). Here the
    first visitor of a server of its own, signed out, opens a page by its link. The sign-in screen never reaches the
    provider, so none is started."""
    secrets_file = write_secrets(tmp_path, free_port(), "http://127.0.0.1:9/.well-known/openid-configuration")
    location = copy_warehouse(demo_template, fresh_location(tmp_path, "fresh"))
    with open(tmp_path / "server.log", "w") as log:
        process, base = start_streamlit(location, log, options=["--secrets.files", str(secrets_file)])
        context = chromium_browser.new_context(viewport={"width": 1280, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{base}/adoption")
            page.get_by_role("button", name="Sign in").wait_for()
            settle(page)
            assert page.locator("[data-testid='stSidebarNav']").count() == 0
            assert page.locator("[data-testid='stException']").count() == 0
            assert page.locator("[data-testid='stMetric']").count() == 0
            page.goto(base)  # and the next run of the same server
            page.get_by_role("button", name="Sign in").wait_for()
            settle(page)
            assert page.locator("[data-testid='stSidebarNav']").count() == 0
        finally:
            context.close()
            stop_streamlit(process)
            warehouse.forget(location)
