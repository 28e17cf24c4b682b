"""The read path every page takes: the warehouse location, the data version pinned once per run, and reads cached
on that version (one cached call per view model)."""
from __future__ import annotations

import importlib
import weakref

import streamlit as st

from app import cache_keys, turns
from queries import warehouse


def location() -> str:
    return warehouse.resolve_location()


def data_version() -> int:
    """The data version this script run reads at, pinned once per run by filters.pin_version (so every number on a
    page comes from one version), else read now. It opens nothing unless the warehouse changed
    (warehouse.current_version)."""
    pinned = st.session_state.get("_data_version")
    return warehouse.current_version(location()) if pinned is None else pinned


def pin_data_version() -> int:
    version = warehouse.current_version(location())
    st.session_state["_data_version"] = version
    return version


@st.cache_resource(show_spinner=False, max_entries=1024)
def _cached_read(where: str, version: int, function: str, key: str, _args: tuple, _kwargs: dict):
    # Keyed on the data version: a new upload or undo bumps it, so every page reads fresh numbers. When many
    # sessions miss the same key at once (right after an import), it is computed once: Streamlit's caches hold a
    # lock per key while computing, and the others wait and take that result (tests/test_read_path.py checks it).
    # The arguments are keyed by their repr (app/cache_keys.py), so the underscored ones are not hashed again.
    # Every run that reads a key gets the same view model, not a copy of it (st.cache_data would unpickle one for
    # each run, a tenth of a warm page's time), so what the pages derive from it (layout.shown) is made once too.
    # Pages only read their view models; tests/test_warm_runs.py checks that no page changes one.
    module_name, _, name = function.rpartition(".")
    func = getattr(importlib.import_module(module_name), name)
    turns.step_aside()  # the queued runs go on while this one waits on the warehouse; read_at takes the place back
    return warehouse.read_at(where, version, func, *_args, **_kwargs)


def read(func, *args, **kwargs):
    """Call a queries function `func(conn, *args)` through the cache, at this run's data version: a page reads its
    view model this way (`cache.read(views.overview, scope)`).

    A miss reads through a cursor of the process's one warehouse instance; if the data moved on since the run
    pinned its version, warehouse.VersionMoved reruns the page at the new version (see app/guard.py).
    """
    return read_at(data_version(), func, *args, **kwargs)


def read_at(version: int, func, *args, **kwargs):
    """`read` at a given data version: the path every page's reads take (threads in tests call it directly)."""
    try:
        return _cached_read(location(), version, f"{func.__module__}.{func.__qualname__}",
                            cache_keys.key(args, kwargs), args, kwargs)
    finally:
        turns.come_back()  # after the cache has let go of its lock on the key (app/turns.py)


_derived: dict[tuple[str, int], object] = {}
_NOT_MADE = object()


def once_per(part, what: str, make):
    """`make()` for `part` of a shared view model (a DataFrame, a Chart), made once and forgotten with the part.
    Every run that reads a view model gets the same object (see _cached_read), so what a page sends for it (the
    Arrow table of a DataFrame, the spec of a Chart) is made by the first run, not again by every run. `part` must
    take weak references: what was made is forgotten when it dies, before its id can be reused."""
    key = (what, id(part))
    made = _derived.get(key, _NOT_MADE)
    if made is _NOT_MADE:
        made = make()
        weakref.finalize(part, _derived.pop, key, None)  # first: a part without weak references is refused here
        _derived[key] = made
    return made
