"""What every page shares: the warehouse location, cached reads keyed on the data version, demo start-up and number formats."""
from __future__ import annotations

import importlib
import os
import threading

import streamlit as st

from pages import cache_keys
from queries import demo, uploads, warehouse

_demo_lock = threading.Lock()


def location() -> str:
    return warehouse.resolve_location()


def data_version() -> int:
    """The data version this script run reads at, pinned once per run by `setup` (so every number on a page comes
    from one version), else read now. It opens nothing unless the warehouse changed (warehouse.current_version)."""
    pinned = st.session_state.get("_data_version")
    return warehouse.current_version(location()) if pinned is None else pinned


def _pin_data_version() -> int:
    version = warehouse.current_version(location())
    st.session_state["_data_version"] = version
    return version


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_read(where: str, version: int, function: str, key: str, _args: tuple, _kwargs: dict):
    # Keyed on the data version: a new upload or undo bumps it, so every page reads fresh numbers. When many
    # sessions miss the same key at once (right after an import), st.cache_data computes it once: it holds a
    # lock per key while computing, and the others wait and take that result (tests/test_read_path.py checks it).
    # The arguments are keyed by their repr (pages/cache_keys.py), so the underscored ones are not hashed again.
    module_name, _, name = function.rpartition(".")
    func = getattr(importlib.import_module(module_name), name)
    return warehouse.read_at(where, version, func, *_args, **_kwargs)


def read(func, *args, **kwargs):
    """Call a queries function `func(conn, *args)` through the cache, at this run's data version.

    A miss reads through a cursor of the process's one warehouse instance; if the data moved on since the run
    pinned its version, warehouse.VersionMoved reruns the page at the new version (see pages/guard.py).
    """
    return read_at(data_version(), func, *args, **kwargs)


def read_at(version: int, func, *args, **kwargs):
    """`read` at a given data version: the path every page's reads take (threads in tests call it directly)."""
    return _cached_read(location(), version, f"{func.__module__}.{func.__qualname__}", cache_keys.key(args, kwargs),
                        args, kwargs)


def demo_enabled() -> bool:
    return os.environ.get("DASHBOARD_DEMO", "1") not in ("0", "false", "no")


def ensure_demo_loaded() -> bool:
    """On the very first run against an empty warehouse, load the demo organisation so the app shows something.
    True when it loaded it."""
    if not demo_enabled() or data_version() != 0:  # any upload, even one undone since, leaves a ledger event
        return False
    with _demo_lock:
        if not demo.is_empty(location()):
            return False
        with st.spinner("Loading the demo organisation…"):
            demo.load_demo(location())
        return True


def showing_demo_data() -> bool:
    rows = read(uploads.ledger)
    active = [r for r in rows if r["status"] != "undone"]
    return bool(active) and all(r["uploaded_by"] == "demo" for r in active)


def demo_notice() -> None:
    if showing_demo_data():
        st.info(
            "**Demo data.** You are looking at a synthetic organisation of about 1,500 people. "
            "Upload your own exports on the Data page; the demo data can be undone there.",
            icon=":material/science:",
        )


# Numbers formatted for people: 61%, +4 pts, 1.2k.
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def points(delta: float | None) -> str | None:
    return None if delta is None else f"{delta * 100:+.0f} pts"


def count(value: float | None) -> str:
    if value is None:
        return "—"
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def difference(current, previous) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


def safe_csv(frame) -> bytes:
    """A table as CSV, with cells that a spreadsheet would run as a formula (= + - @) neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype).startswith(("string", "str")):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
    return safe.to_csv(index=False).encode("utf-8")


# --- Sidebar filters, shared by every page, persisted across pages and mirrored in the URL -----------------------
from dataclasses import dataclass  # noqa: E402
import datetime as _dt  # noqa: E402

from queries import metrics as _metrics, rubric as _rubric  # noqa: E402

COMPARISONS = {"previous": "previous month", "year": "same month last year"}
ALL_TOOLS = "All tools"
_URL_KEYS = {"f_month": "month", "f_compare": "compare", "f_units": "unit", "f_regions": "region",
             "f_departments": "dept", "f_tool": "tool"}


@dataclass(frozen=True)
class Scope:
    """What the sidebar selects: the as-of month, the month compared with, and the org/tool filters."""

    month: _dt.date
    compare_to: _dt.date
    comparison: str
    filters: _metrics.Filters
    months: tuple

    @property
    def compare_label(self) -> str:
        return "last month" if self.comparison == "previous" else "a year earlier"

    def trailing(self, count: int = 12) -> _dt.date:
        earlier = [m for m in self.months if m <= self.month][-count:]
        return earlier[0] if earlier else self.month

    def has(self, month: _dt.date) -> bool:
        return month in self.months


def min_group() -> int:
    return _rubric.min_group_size()


def _same_month_last_year(month: _dt.date) -> _dt.date:
    return month.replace(year=month.year - 1)


def _seed_from_url(months: list, options) -> None:
    """On a session's first run, take the filters from the URL so bookmarked views open as shared."""
    if st.session_state.get("_filters_seeded"):
        return
    st.session_state["_filters_seeded"] = True
    params = st.query_params
    month = params.get("month")
    labels = {m.strftime("%Y-%m"): m for m in months}
    if month in labels:
        st.session_state["f_month"] = labels[month]
    if params.get("compare") in COMPARISONS:
        st.session_state["f_compare"] = params.get("compare")
    for key, allowed in (("f_units", options.units), ("f_regions", options.regions),
                         ("f_departments", options.departments)):
        chosen = [v for v in params.get_all(_URL_KEYS[key]) if v in allowed]
        if chosen:
            st.session_state[key] = chosen
    if params.get("tool") in options.tools:
        st.session_state["f_tool"] = params.get("tool")


def _write_url() -> None:
    values = {}
    state = st.session_state
    if state.get("f_month"):
        values["month"] = state["f_month"].strftime("%Y-%m")
    if state.get("f_compare", "previous") != "previous":
        values["compare"] = state["f_compare"]
    for key in ("f_units", "f_regions", "f_departments"):
        if state.get(key):
            values[_URL_KEYS[key]] = list(state[key])
    if state.get("f_tool") and state["f_tool"] != ALL_TOOLS:
        values["tool"] = state["f_tool"]
    current = {k: (st.query_params.get_all(k) if isinstance(v, list) else st.query_params.get(k))
               for k, v in values.items()}
    if current != values or set(st.query_params.keys()) != set(values):
        st.query_params.from_dict(values)


def sidebar_filters() -> Scope | None:
    """Draw the shared sidebar and return the scope it selects (None while the warehouse is empty)."""
    months = read(_metrics.months)
    with st.sidebar:
        refreshed = read(uploads.latest_refresh)
        if not months:
            st.session_state.pop("_scope", None)
            return None
        options = read(_metrics.filter_options)
        _seed_from_url(months, options)
        state = st.session_state
        if state.get("f_month") not in months:
            state["f_month"] = months[-1]
        for key, allowed in (("f_units", options.units), ("f_regions", options.regions),
                             ("f_departments", options.departments)):
            if key in state:
                state[key] = [v for v in state[key] if v in allowed]
        if state.get("f_tool") not in (ALL_TOOLS, *options.tools):
            state["f_tool"] = ALL_TOOLS
        st.header("Filters")
        month = st.selectbox("As of", list(reversed(months)), key="f_month",
                             format_func=lambda m: m.strftime("%B %Y"))
        comparison = st.radio("Compare with", list(COMPARISONS), key="f_compare",
                              format_func=COMPARISONS.get, horizontal=True)
        units = st.multiselect("Business unit", options.units, key="f_units", placeholder="All business units")
        regions = st.multiselect("Region", options.regions, key="f_regions", placeholder="All regions")
        departments = st.multiselect("Department", options.departments, key="f_departments",
                                     placeholder="All departments")
        tool = st.selectbox("Tool", [ALL_TOOLS, *options.tools], key="f_tool")
        if refreshed:
            st.caption(f"Last data refresh: {refreshed:%d %b %Y, %H:%M} UTC")
    _write_url()
    compare_to = _metrics.previous_month(month) if comparison == "previous" else _same_month_last_year(month)
    scope = Scope(month, compare_to, comparison,
                  _metrics.Filters(tuple(departments), tuple(regions), tuple(units),
                                   None if tool == ALL_TOOLS else tool), tuple(months))
    st.session_state["_scope"] = scope
    return scope


def setup() -> Scope | None:
    """What every run needs before a page draws: sign-in and role, demo data on first start, the shared sidebar."""
    warehouse.serve()
    sign_in()
    _pin_data_version()
    if ensure_demo_loaded():
        _pin_data_version()
    result = sidebar_filters()
    st.session_state["_setup_done"] = True
    return result


# --- Sign-in and roles ----------------------------------------------------------------------------------------------
from queries import access as _access  # noqa: E402


def _secrets_section(name: str) -> dict | None:
    try:
        if name not in st.secrets:
            return None
        return {k: (dict(v) if hasattr(v, "keys") else v) for k, v in st.secrets[name].items()}
    except Exception:  # no secrets file at all: local mode
        return None


def auth_configured() -> bool:
    return _secrets_section("auth") is not None


def _provider() -> str | None:
    """The [auth.<provider>] section to sign in with, when several or a named one are configured."""
    auth = _secrets_section("auth") or {}
    access_config = _secrets_section("access") or {}
    if access_config.get("provider"):
        return str(access_config["provider"])
    if "client_id" in auth:
        return None
    named = [k for k, v in auth.items() if isinstance(v, dict)]
    return named[0] if named else None


def sign_in() -> _access.Actor:
    """Resolve who is here. Signed-out users see only the sign-in screen; people outside the allowed domains
    are turned away; without [auth] the app runs in local mode with full access and says so."""
    if not auth_configured():
        actor = _access.LOCAL
        st.warning("**Local mode:** sign-in is not configured, so anyone who can open this page has full access. "
                   "Do not host the dashboard like this; configure `[auth]` and `[access]` as the README shows.",
                   icon=":material/lock_open:")
        st.session_state["_actor"] = actor
        return actor
    if not st.user.is_logged_in:
        st.session_state.pop("_actor", None)
        st.title("Social business dashboard")
        st.write("Sign in with your organisation account to see where your organisation stands.")
        provider = _provider()
        st.button("Sign in", type="primary", icon=":material/login:",
                  on_click=(lambda: st.login(provider)) if provider else st.login)
        st.stop()
    email = str(st.user.get("email") or "")
    role = _access.role_for(email, _secrets_section("access"))
    if role is None:
        st.session_state.pop("_actor", None)
        st.error("This account is not allowed to use the dashboard. Sign in with your organisation account, or "
                 "ask an admin to add you.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    actor = _access.Actor(role, _access.label_for(email, role, warehouse.pepper_for(location())))
    st.session_state["_actor"] = actor
    with st.sidebar:
        st.caption(f"Signed in as {role}.")
        st.button("Sign out", on_click=st.logout, key="sign_out", icon=":material/logout:")
    return actor


def actor() -> _access.Actor:
    """The person acting in this run (local mode: a full-access local admin)."""
    current = st.session_state.get("_actor")
    if current is None:
        current = sign_in()
    return current


def scope() -> Scope | None:
    """The scope the sidebar selected in this run (dashboard.py sets it up before the page runs)."""
    if not st.session_state.pop("_setup_done", False):
        _run_through_dashboard()
    return st.session_state.get("_scope")


def _run_through_dashboard() -> None:
    """Streamlit decides once per server whether an app uses the legacy pages/ folder, and says yes when that
    folder exists, until st.navigation first runs. So when a fresh server's first request is a deep link such as
    /adoption, it runs pages/adoption.py alone, with the wrong menu and no sidebar. Switch the server to
    st.navigation, exactly as dashboard.py's first run would, and run again: the same page now runs through
    dashboard.py (page identity is the URL path in both modes)."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def link_to_data() -> None:
    """A link to the Data page, for the roles that have it; viewers are told who fills the gap instead."""
    if actor().may("upload"):
        st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    else:
        st.caption("Your champions or CoE lead upload the data; ask them to fill this gap.")


def no_data_yet() -> None:
    """The empty state every view shows before the first upload."""
    st.info("No data yet. Upload your first exports on the Data page: start with the HR roster, then an "
            "activity export from Viva Engage, Teams or Slack.", icon=":material/upload_file:")
    link_to_data()
    st.stop()


def download_table(frame, name: str, label: str = "Download this table (CSV)") -> None:
    # No rerun on click: the page has nothing new to show, and a rerun would replace the page's other download
    # buttons (the brief's file is made on demand) under a viewer who clicks one next.
    st.download_button(label, safe_csv(frame), f"{name}.csv", "text/csv", icon=":material/download:",
                       key=f"download_{name}", on_click="ignore")


def plain(text: str) -> str:
    """User-supplied text made safe inside markdown: every ASCII punctuation mark is backslash-escaped, so a
    department called "[x](https://…)" shows as typed instead of becoming a link, emphasis or a heading."""
    import re

    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", str(text))
