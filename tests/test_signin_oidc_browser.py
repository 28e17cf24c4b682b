"""Sign-in through a real OpenID Connect provider, in a real browser.

A loopback `oidc-provider` (tests/oidc/provider.js, accounts in tests/oidc/realm.json) is the identity provider; a
`streamlit run` server reads `[auth]` (pointing at the provider's discovery URL) and `[access]` from its own
secrets file. Chromium signs in on the provider's login form as a viewer, a champion, an admin and an account
outside `allowed_domains`, and signs out through the provider's end-session endpoint. docs/deploy.md has what this
taught about hosting sign-in.
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
# The app's own role rules (README, "Hosting and sign-in"): admins by address, champions by pattern, and only
# these domains may enter; everyone else allowed in is a viewer.
ACCESS = {"admins": [ACCOUNTS["admin"]["email"]], "champions": ["*@comms.example.com"],
          "allowed_domains": ["example.com", "comms.example.com"]}
TIMEOUT_MS = 180_000


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


def write_secrets(folder: Path, app_port: int, discovery: str) -> Path:
    """The server's own secrets file: `[auth]` for the test client at `discovery`, and the app's `[access]` rules."""
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT["client_id"]}"\n'
        f'client_secret = "{CLIENT["client_secret"]}"\n'
        f'server_metadata_url = "{discovery}"\n'
        "\n[access]\n" + "".join(f"{key} = {toml_list(values)}\n" for key, values in ACCESS.items()))
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


def sign_in(signin, who: str, password: str | None = None):
    """Open the dashboard signed out, press Sign in, and sign in on the provider's own login form."""
    account = ACCOUNTS[who]
    page = new_page(signin)
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
    page = sign_in(signin, "viewer")
    page.get_by_text("Signed in as viewer.").wait_for()
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
