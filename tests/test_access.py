"""Sign-in and roles: signed out, viewer, champion, admin and local mode, checked in the app and in the core."""
import pytest

from conftest import ROSTER_SEPT, app
from queries import access, uploads, warehouse

SECRETS = {
    "auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
             "client_id": "id", "client_secret": "secret",
             "server_metadata_url": "https://login.example.com/.well-known/openid-configuration"},
    "access": {"admins": ["boss@example.com"], "champions": ["*@comms.example.com"],
               "allowed_domains": ["example.com", "comms.example.com"]},
}


def hosted(email=None, page=None):
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.secrets = SECRETS
    at.user = {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email}
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def page_titles(at):
    return [t.value for t in at.title]


@pytest.mark.parametrize("email,role", [
    ("boss@example.com", "admin"), ("ana@comms.example.com", "champion"), ("Ana@Comms.Example.com", "champion"),
    ("someone@example.com", "viewer"), ("intruder@other.org", None), ("", None),
])
def test_role_for(email, role):
    assert access.role_for(email, SECRETS["access"]) == role


def test_without_allowed_domains_everyone_signed_in_is_a_viewer():
    assert access.role_for("x@anywhere.org", {"admins": ["a@b.c"]}) == "viewer"


def test_signed_out_sees_only_the_sign_in_screen(demo_db):
    at = hosted(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.sidebar.children if hasattr(at.sidebar, "children") else not at.metric


def test_signed_out_sees_the_sign_in_screen_even_when_the_warehouse_cannot_be_read(demo_db, monkeypatch):
    """The sign-in screen reads nothing: a warehouse that is busy or down must not stand between a visitor and it."""
    def unreadable(location=None):
        raise warehouse.WarehouseBusy("The warehouse is busy with another import.")

    monkeypatch.setattr(warehouse, "current_version", unreadable)
    at = hosted(None)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not any("import is running" in i.value for i in at.info)


def test_viewer_sees_views_but_no_data_page_and_cannot_reach_it(demo_db):
    at = hosted("someone@example.com")
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Adoption"] == "64%"
    assert not any("Local mode" in w.value for w in at.warning)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app/pages/data.py")  # not registered in the viewer's navigation: no menu entry, no URL


def test_viewer_on_an_empty_warehouse_is_not_linked_to_the_data_page(db):
    at = hosted("someone@example.com")
    assert not at.exception
    assert any("ask them" in c.value for c in at.caption)


def test_viewer_is_refused_by_the_core_functions(db):
    viewer = access.Actor("viewer", "viewer 123")
    with pytest.raises(access.PermissionDenied):
        uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=db, month="2026-09", actor=viewer)
    champion = access.Actor("champion", "champion 456")
    result = uploads.import_file("roster.csv", ROSTER_SEPT.encode(), location=db, month="2026-09", actor=champion)
    from queries import warehouse

    with warehouse.opened(db) as conn:
        with pytest.raises(access.PermissionDenied):
            uploads.undo(conn, result.upload_id, actor=champion)
        assert uploads.ledger(conn)[0]["uploaded_by"] == "champion 456"


def test_champion_uploads_but_cannot_undo(demo_db):
    at = hosted("ana@comms.example.com", "app/pages/data.py")
    assert not at.exception
    assert "Data" in page_titles(at)
    assert [f for f in at.get("file_uploader")]
    assert not [b for b in at.button if b.label == "Undo this upload"]


def test_admin_can_undo(demo_db):
    at = hosted("boss@example.com", "app/pages/data.py")
    assert not at.exception
    assert [b for b in at.button if b.label == "Undo this upload"]


def test_outsider_is_turned_away(demo_db):
    at = hosted("intruder@other.org")
    assert any("not allowed" in e.value for e in at.error)
    assert not at.metric


def test_local_mode_has_full_access_and_a_banner(demo_db):
    at = app("app/pages/data.py")
    assert any("Local mode" in w.value for w in at.warning)
    assert [b for b in at.button if b.label == "Undo this upload"]


def test_audit_labels_hold_no_email(db):
    label = access.label_for("Boss@Example.com", "admin", "pepper")
    assert label.startswith("admin ") and "@" not in label and "boss" not in label.lower()
    assert label == access.label_for("boss@example.com ", "admin", "pepper")


def test_the_dashboard_passes_the_pepper_from_its_secrets_to_the_core(demo_db, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from conftest import ROOT
    from queries import warehouse

    monkeypatch.setattr(warehouse, "_configured_pepper", None)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.secrets = {"pepper": "from-secrets"}
    at.run()
    assert not at.exception
    assert warehouse._configured_pepper == "from-secrets"
    with monkeypatch.context() as env:
        env.delenv("DASHBOARD_PEPPER")
        assert warehouse.pepper_for(demo_db) == "from-secrets"
    at.secrets = {}  # a secrets file without a pepper (or none at all): the setting is cleared on the next run
    at.run()
    assert not at.exception and warehouse._configured_pepper is None
