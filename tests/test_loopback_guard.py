"""Nobody in by accident: local mode (no sign-in, full admin rights) is served on loopback only. A server that
listens beyond it without [auth] shows no data and no Data page, and says how to configure sign-in."""
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, SETTLED, require_browser, start_streamlit, stop_streamlit

from queries import access, warehouse


@pytest.mark.parametrize("address,beyond", [("localhost", False), ("127.0.0.1", False), ("::1", False),
                                            ("0.0.0.0", True), ("", True), (None, True), ("192.168.1.5", True),
                                            ("::", True)])
def test_which_addresses_answer_beyond_this_machine(address, beyond):
    assert access.serves_beyond_loopback(address) is beyond


def test_local_mode_serves_on_loopback_by_default():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"


def test_the_image_and_compose_listen_beyond_loopback_so_they_need_sign_in():
    assert "--server.address=0.0.0.0" in (ROOT / "Dockerfile").read_text()


@pytest.mark.browser
def test_a_server_on_every_interface_without_sign_in_shows_no_figure_and_no_data_page(demo_db, tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    empty_secrets = tmp_path / "secrets.toml"
    empty_secrets.write_text("")  # no [auth], whatever the machine's own secrets say
    warehouse.forget(demo_db)
    with open(tmp_path / "server.log", "w") as log:
        process, base = start_streamlit(demo_db, log, options=["--server.address", "0.0.0.0",
                                                               "--secrets.files", str(empty_secrets)])
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                for path in ("", "data", "adoption"):
                    page.goto(f"{base}/{path}")
                    page.wait_for_function(SETTLED, timeout=60_000)
                    text = page.inner_text("[data-testid='stMain']")
                    assert "sign-in is not configured" in text and "[auth]" in text
                    for figure in ("stVegaLiteChart", "stMetric", "stDataFrame", "stPlotlyChart", "stFileUploader"):
                        assert page.locator(f"[data-testid='{figure}']").count() == 0, figure
                    assert page.locator("[data-testid='stSidebarNav']").count() == 0
            finally:
                browser.close()
    finally:
        stop_streamlit(process)
