"""What every page shares: the warehouse location, cached reads keyed on the data version, demo start-up and number formats."""
from __future__ import annotations

import importlib
import os
import threading

import streamlit as st

from queries import demo, uploads, warehouse

_demo_lock = threading.Lock()


def location() -> str:
    return warehouse.resolve_location()


def data_version() -> int:
    """The ledger's latest event id, read fresh on every script run (a cheap query)."""
    with warehouse.opened(location()) as conn:
        return warehouse.data_version(conn)


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_read(where: str, version: int, function: str, args: tuple, kwargs: tuple):
    del version  # part of the cache key only: a new upload or undo bumps it, so every page reads fresh numbers
    module_name, _, name = function.rpartition(".")
    func = getattr(importlib.import_module(module_name), name)
    with warehouse.opened(where) as conn:
        return func(conn, *args, **dict(kwargs))


def read(func, *args, **kwargs):
    """Call a queries function `func(conn, *args)` through the cache, keyed on the data version.

    Each call opens its own connection: DuckDB connections are not shared between sessions or threads.
    """
    return _cached_read(location(), data_version(), f"{func.__module__}.{func.__qualname__}", args,
                        tuple(sorted(kwargs.items())))


def demo_enabled() -> bool:
    return os.environ.get("DASHBOARD_DEMO", "1") not in ("0", "false", "no")


def ensure_demo_loaded() -> None:
    """On the very first run against an empty warehouse, load the demo organisation so the app shows something."""
    if not demo_enabled():
        return
    with _demo_lock:
        if demo.is_empty(location()):
            with st.spinner("Loading the demo organisation…"):
                demo.load_demo(location())


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
