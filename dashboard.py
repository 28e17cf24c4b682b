"""Entry point of the social business dashboard: sign-in and roles, first-run demo data, the shared sidebar filters and the pages each role may see."""
import streamlit as st

from app import filters, guard, signin
from queries import access, warehouse

st.set_page_config(page_title="Social business dashboard", page_icon=":material/hub:", layout="wide")


def secret(name: str) -> str | None:
    """A top-level value of Streamlit secrets, or None (also when there is no secrets file: local use)."""
    try:
        value = st.secrets.get(name)
    except FileNotFoundError:  # Streamlit's "no secrets found" (and "cannot parse them") error is one
        return None
    return str(value) if value else None


def secrets_section(name: str) -> dict | None:
    """A section of Streamlit secrets such as [azure], as a plain dict, or None."""
    try:
        value = st.secrets.get(name)
    except FileNotFoundError:
        return None
    return dict(value) if hasattr(value, "keys") else None


def prepare() -> None:
    """Before the run takes its turn (app/turns.py): the pepper, and the data version pinned, which on DuckLake is
    a catalog round trip that the runs queued behind this one need not wait for."""
    # Secrets are read here, at the edge; queries/ never imports Streamlit. Every run passes the pepper again, so
    # a changed secrets file takes effect as the rest of the secrets do.
    warehouse.configure(pepper=secret("pepper"), azure=secrets_section("azure"))
    filters.pin_version(signed_in=not signin.exposed_without_sign_in()
                        and (not signin.auth_configured() or st.user.is_logged_in))


def app() -> None:
    role = signin.role()
    pages = [
        st.Page("app/pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("app/pages/stages.py", title="Where we stand", icon=":material/stairs:"),
        st.Page("app/pages/adoption.py", title="Adoption", icon=":material/trending_up:"),
        st.Page("app/pages/coe.py", title="CoE reach", icon=":material/groups:"),
        st.Page("app/pages/communities.py", title="Communities", icon=":material/forum:"),
        st.Page("app/pages/alignment.py", title="Business alignment", icon=":material/target:"),
        st.Page("app/pages/initiatives.py", title="Initiatives", icon=":material/flag:"),
    ]
    # Viewers do not get the Data page at all: not in the menu, not by URL. Someone not let in yet gets no page
    # either way (setup() shows the sign-in screen or the refusal and stops), but a link to any page still finds it.
    if (role is None and not signin.exposed_without_sign_in()) or (role is not None and access.may(role, "upload")):
        pages.append(st.Page("app/pages/data.py", title="Data", icon=":material/upload_file:"))
    # Declared before sign-in draws anything, and hidden until someone is let in: a run that stops at the sign-in
    # screen would otherwise keep the menu an earlier run of the session declared.
    page = st.navigation(pages, position="sidebar" if role else "hidden")
    filters.setup()
    page.run()


guard.run(app, local_mode=not signin.auth_configured(), before_turn=prepare)
