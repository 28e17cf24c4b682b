"""The sidebar every page shares: its filters, persisted across pages and mirrored in the URL, and what a run
needs before a page draws (sign-in, the pinned data version, demo data on first start)."""
from __future__ import annotations

import dataclasses
import os
import threading

import streamlit as st

from app import cache, signin
from queries import demo, metrics, views, warehouse

ALL_TOOLS = "All tools"
_URL_KEYS = {"f_month": "month", "f_compare": "compare", "f_units": "unit", "f_regions": "region",
             "f_departments": "dept", "f_tool": "tool", "f_organised": "organised"}
# Departments as organised today (the default) or then (docs/metrics.md#departments-as-organised-today).
ORGANISED = {"today": "As organised today", "then": "As organised then"}
_demo_lock = threading.Lock()


def demo_enabled() -> bool:
    return os.environ.get("DASHBOARD_DEMO", "1") not in ("0", "false", "no")


def ensure_demo_loaded() -> bool:
    """On the very first run against an empty warehouse, load the demo organisation so the app shows something.
    True when it loaded it."""
    if not demo_enabled() or cache.data_version() != 0:  # any upload, even one undone since, leaves a ledger event
        return False
    with _demo_lock:
        if not demo.is_empty(cache.location()):
            return False
        with st.spinner("Loading the demo organisation…"):
            demo.load_demo(cache.location())
        return True


def as_then() -> bool:
    """Whether this run shows departments as organised then: the sidebar's choice, taken from the URL on a session's
    first run. Read before the frame, whose department list follows it."""
    state = st.session_state
    if signin.limited_to() is not None:  # a scope names today's departments (views.scope_for)
        return False
    if not state.get("_organised_seeded"):
        state["_organised_seeded"] = True
        if st.query_params.get("organised") in ORGANISED:
            state["f_organised"] = st.query_params.get("organised")
    return state.get("f_organised", "today") == "then"


def _seed_from_url(months, options) -> None:
    """On a session's first run, take the filters from the URL so bookmarked views open as shared."""
    if st.session_state.get("_filters_seeded"):
        return
    st.session_state["_filters_seeded"] = True
    params = st.query_params
    labels = {m.strftime("%Y-%m"): m for m in months}
    if params.get("month") in labels:
        st.session_state["f_month"] = labels[params.get("month")]
    if params.get("compare") in views.COMPARISONS:
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
    if state.get("f_organised", "today") != "today":
        values["organised"] = state["f_organised"]
    current = {k: (st.query_params.get_all(k) if isinstance(v, list) else st.query_params.get(k))
               for k, v in values.items()}
    if current != values or set(st.query_params.keys()) != set(values):
        st.query_params.from_dict(values)


def sidebar(frame: views.Frame, limited_to: tuple[str, ...] | None = None) -> views.Scope | None:
    """Draw the shared sidebar and return the scope it selects (None while the warehouse is empty). A scoped
    viewer (`limited_to`: their departments as named today) is offered only those departments, and departments as
    organised today only."""
    months = list(frame.months)
    with st.sidebar:
        if not months:
            return None
        options = frame.options
        if limited_to is not None:
            options = dataclasses.replace(options, departments=[d for d in options.departments if d in limited_to])
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
        comparison = st.radio("Compare with", list(views.COMPARISONS), key="f_compare",
                              format_func=views.COMPARISONS.get, horizontal=True)
        units = st.multiselect("Business unit", options.units, key="f_units", placeholder="All business units")
        regions = st.multiselect("Region", options.regions, key="f_regions", placeholder="All regions")
        departments = st.multiselect("Department", options.departments, key="f_departments",
                                     placeholder="All departments" if limited_to is None else "All your departments")
        organised = "today"
        if limited_to is None:
            organised = st.radio("Departments", list(ORGANISED), key="f_organised", format_func=ORGANISED.get,
                                 help="History under today's department names (renames and mergers recorded on the "
                                      "Data page), or under the names each month's roster had.")
        tool = st.selectbox("Tool", [ALL_TOOLS, *options.tools], key="f_tool")
        if frame.refreshed:
            st.caption(f"Last data refresh: {frame.refreshed:%d %b %Y, %H:%M} UTC")
    _write_url()
    return views.scope_for(months, month, comparison,
                           metrics.Filters(tuple(departments), tuple(regions), tuple(units),
                                           None if tool == ALL_TOOLS else tool, organised == "then"),
                           limited_to=limited_to)


def pin_version(signed_in: bool) -> None:
    """This run's data version, pinned before the run takes its turn (dashboard.py): every read of the run is
    answered at it (app/cache.py). Not for a visitor who has not signed in: the sign-in screen reads nothing, and
    must show even when the warehouse cannot be read."""
    warehouse.serve()
    st.session_state.pop("_data_version", None)  # a version pinned by an earlier run never stands for this one
    if signed_in:
        cache.pin_data_version()


def setup() -> views.Scope | None:
    """What every run needs before a page draws, once its version is pinned (pin_version): sign-in and role, demo
    data on first start, the shared sidebar."""
    signin.sign_in()
    if "_data_version" not in st.session_state:  # signed in during this run
        cache.pin_data_version()
    if ensure_demo_loaded():
        cache.pin_data_version()
    frame = cache.read(views.frame, as_then())
    limited_to = signin.limited_to()
    if limited_to is not None:  # as named today: a department renamed since the settings were written is followed
        limited_to = cache.read(views.departments_today, tuple(limited_to))
    result = sidebar(frame, limited_to)
    st.session_state["_frame"] = frame
    st.session_state["_scope"] = result
    return result


def scope() -> views.Scope | None:
    """The scope the sidebar selected in this run (dashboard.py sets it up before the page runs)."""
    return st.session_state.get("_scope")


def frame() -> views.Frame | None:
    return st.session_state.get("_frame")

