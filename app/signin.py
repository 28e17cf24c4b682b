"""Sign-in and roles, read at the edge: who is here, from Streamlit's sign-in and the [auth]/[access] secrets."""
from __future__ import annotations

import streamlit as st

from app import cache
from queries import access, warehouse


def secrets_section(name: str) -> dict | None:
    try:
        if name not in st.secrets:
            return None
        return {k: (dict(v) if hasattr(v, "keys") else v) for k, v in st.secrets[name].items()}
    except Exception:  # no secrets file at all: local mode
        return None


def auth_configured() -> bool:
    return secrets_section("auth") is not None


def exposed_without_sign_in() -> bool:
    """Local mode (full admin rights, no sign-in) is for a server on loopback only: one that listens beyond it
    without [auth] lets nobody in (queries/access.py)."""
    return not auth_configured() and access.serves_beyond_loopback(st.get_option("server.address"))


def _provider() -> str | None:
    """The [auth.<provider>] section to sign in with, when several or a named one are configured."""
    auth = secrets_section("auth") or {}
    access_config = secrets_section("access") or {}
    if access_config.get("provider"):
        return str(access_config["provider"])
    if "client_id" in auth:
        return None
    named = [k for k, v in auth.items() if isinstance(v, dict)]
    return named[0] if named else None


def role() -> str | None:
    """The role of whoever is here, read without drawing anything: admin in local mode, the role of a signed-in
    account that is let in, None for a visitor who has not signed in or an account turned away (sign_in() shows
    them their screen)."""
    if exposed_without_sign_in():
        return None
    if not auth_configured():
        return access.LOCAL.role
    if not st.user.is_logged_in:
        return None
    try:
        return access.role_for(str(st.user.get("email") or ""), secrets_section("access"))
    except access.AccessSettingsError:  # sign_in() says so
        return None


def sign_in() -> access.Actor:
    """Resolve who is here. Signed-out users see only the sign-in screen; people outside the allowed domains
    are turned away; without [auth] the app runs in local mode with full access and says so, on loopback only."""
    if exposed_without_sign_in():
        st.session_state.pop("_actor", None)
        st.title("Social business dashboard")
        st.error(access.EXPOSED_WITHOUT_SIGN_IN, icon=":material/lock:")
        st.stop()
    if not auth_configured():
        actor_ = access.LOCAL
        st.warning("**Local mode:** sign-in is not configured, so anyone who can open this page has full access. "
                   "Do not host the dashboard like this; configure `[auth]` and `[access]` as the README shows.",
                   icon=":material/lock_open:")
        st.session_state["_actor"] = actor_
        st.session_state["_limited_to"] = None
        return actor_
    if not st.user.is_logged_in:
        st.session_state.pop("_actor", None)
        st.title("Social business dashboard")
        st.write("Sign in with your organisation account to see where your organisation stands.")
        provider = _provider()
        st.button("Sign in", type="primary", icon=":material/login:",
                  on_click=(lambda: st.login(provider)) if provider else st.login)
        st.stop()
    email = str(st.user.get("email") or "")
    try:
        grant = access.grant_for(email, secrets_section("access"))
    except access.AccessSettingsError as error:
        st.session_state.pop("_actor", None)
        st.error(f"The dashboard's access settings cannot be used: {error} Ask your dashboard admin to correct "
                 "`.streamlit/secrets.toml`.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    role_ = grant.role if grant else None
    if role_ is None:
        st.session_state.pop("_actor", None)
        st.error("This account is not allowed to use the dashboard. Sign in with your organisation account, or "
                 "ask an admin to add you.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    actor_ = access.Actor(role_, access.label_for(email, role_, warehouse.pepper_for(cache.location())))
    st.session_state["_actor"] = actor_
    st.session_state["_limited_to"] = grant.departments
    with st.sidebar:
        st.caption(f"Signed in as {role_}" + (f", for {', '.join(grant.departments)}." if grant.scoped else "."))
        st.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")
    return actor_


def limited_to() -> tuple[str, ...] | None:
    """The departments a scoped viewer signed in this run may see, as configured (None: the whole organisation).
    Set by sign_in(), which every run calls before a page draws."""
    return st.session_state.get("_limited_to")


def actor() -> access.Actor:
    """The person acting in this run (local mode: a full-access local admin)."""
    current = st.session_state.get("_actor")
    if current is None:
        current = sign_in()
    return current
