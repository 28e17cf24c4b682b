"""What a viewer sees when a page cannot be drawn: a short, kind message, never a traceback or a server path.

The details of an unexpected error go to the server log under a reference code that the message shows, so an
admin can find them. Only the person running the dashboard locally (no sign-in configured, and Streamlit's
`client.showErrorDetails` left on) sees the details in the page as well; docs/architecture.md has the rules.
"""
from __future__ import annotations

import logging
import os
import secrets

import streamlit as st

from app import turns
from queries import blob_storage, warehouse

log = logging.getLogger("dashboard")
if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

BUSY_REFRESH_SECONDS = 3
MAX_VERSION_RERUNS = 3


def run(body, local_mode: bool, before_turn=None) -> None:
    """Run the app's body (sign-in, sidebar and the page) in the run's turn, after `before_turn` (what need not
    hold the turn: waiting on the warehouse for the data version), and catch what a viewer must not see."""
    try:
        if before_turn is not None:
            before_turn()
        # runs take turns, first come first served (app/turns.py); a run started again because the data moved
        # while it read has waited its turn once already
        with turns.turn(first=st.session_state.pop("_turn_first", False)):
            body()
            turns.freeze_the_code()
        st.session_state.pop("_version_reruns", None)
    except warehouse.VersionMoved:
        # An upload landed while this run read: run again at the new version, so no page mixes two. While uploads
        # land faster than the page can read (a long import committing file after file), say so instead.
        reruns = st.session_state.get("_version_reruns", 0) + 1
        st.session_state["_version_reruns"] = reruns
        if reruns > MAX_VERSION_RERUNS:
            st.session_state.pop("_version_reruns", None)
            busy()
        else:
            st.session_state["_turn_first"] = True
            st.rerun()
    except warehouse.WarehouseBusy:
        busy()
    except Exception as error:  # Streamlit's own rerun and stop are BaseExceptions and pass through
        if os.environ.get("DASHBOARD_RAISE_ERRORS") == "1":  # the test suite sees the exception itself
            raise
        unexpected(error, local_mode)


def busy() -> None:
    st.session_state.pop("_busy_waited", None)  # a wait left over from a page the viewer has left
    st.info("**An import is running;** this page will refresh by itself in a moment.", icon=":material/sync:")

    @st.fragment(run_every=BUSY_REFRESH_SECONDS)
    def refresh_when_free():
        if st.session_state.get("_busy_waited"):
            st.session_state.pop("_busy_waited")
            st.rerun(scope="app")
        st.session_state["_busy_waited"] = True

    refresh_when_free()


def unexpected(error: BaseException, local_mode: bool) -> str:
    """Log the error under a new reference code and show the code; returns the code."""
    code = secrets.token_hex(3).upper()
    if isinstance(error, blob_storage.StorageRefused):  # a setting to fix, and its one line says which
        log.error("The warehouse's storage refused (shown to a viewer as reference %s): %s", code, error)
    else:
        log.error("Unexpected error shown to a viewer as reference %s", code, exc_info=error)
    st.error(f"Something went wrong while drawing this page, and it has been logged. Try again in a minute; if it "
             f"keeps happening, give your dashboard admin the reference **{code}**.", icon=":material/error:")
    if local_mode and str(st.get_option("client.showErrorDetails")).lower() in ("true", "full", "stacktrace"):
        with st.expander("Details (shown only when the dashboard runs locally without sign-in)"):
            st.exception(error)
    return code
