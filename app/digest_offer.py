"""The Data page's offer to mail the monthly digest once the latest month is complete; an admin confirms the send."""
from __future__ import annotations

import os

import streamlit as st

from app import cache, signin, turns
from queries import access, digest, stages, warehouse


def offer(me: access.Actor) -> None:
    """When the latest month has every kind of data the month before had, offer to mail its digest to the configured
    list (queries/digest/). Only an admin can confirm; the send is recorded in the audit trail."""
    state = cache.read(digest.latest_completeness)
    if state is None or not state.complete:
        return
    month = f"{state.month:%B %Y}"
    st.header("Monthly digest")
    try:
        settings = digest.settings(signin.secrets_section("digest"), os.environ)
        digest.require_server(settings)  # no Send button that could only fail
    except digest.DigestError as error:
        st.info(f"{month} is complete. To mail its digest to the executives, configure the digest. {error} "
                "See *Monthly digest* in docs/deploy.md.", icon=":material/mail:")
        return
    standing = digest.standing(cache.location(), state.month, settings)
    due = standing.due
    if not due:
        if standing.sending:
            st.caption(f"The {month} digest is being sent right now to {len(standing.sending)} of the "
                       f"{standing.recipients} recipients; the others have it.")
        else:
            st.caption(f"The {month} digest has been sent to everyone on the list ({standing.recipients}).")
        return
    st.write(f"{month} is complete: it has every kind of data {state.compared_with:%B %Y} had. Its digest (the "
             "stage, what it takes to reach the next one, the three biggest moves, a link to the dashboard and the "
             f"brief attached) has not been sent to {len(due)} of the {standing.recipients} recipients yet.")
    st.caption("To: " + ", ".join(due))
    if not digest.may_send(me):
        st.caption("An admin confirms the send.")
        return
    confirmed = st.checkbox(f"Send the {month} digest to {len(due)} recipient{'s' if len(due) != 1 else ''}",
                            key="digest_confirm")
    if st.button("Send the digest", type="primary", icon=":material/send:", disabled=not confirmed,
                 key="digest_send"):
        try:
            with st.spinner(f"Mailing the {month} digest…"), turns.aside():
                report = digest.send(cache.location(), state.month, settings, me,
                                     access_section=signin.secrets_section("access"))
        except (digest.DigestError, stages.RubricError, warehouse.WarehouseBusy) as error:
            st.session_state["import_errors"] = [f"The digest was not sent. {error}"]
        else:
            # Shown at the top of the page after the rerun, with the upload messages.
            st.session_state["import_messages"] = [f"The {month} digest was sent to {d.recipient}."
                                                   for d in report.sent]
            # Another run (the schedule, another admin) claimed these first: it mails them, this one does not.
            st.session_state["import_messages"] += [f"The {month} digest is being sent to {d.recipient} {d.reason}."
                                                    for d in report.deliveries if d.outcome == digest.SENDING]
            st.session_state["import_errors"] = [f"The {month} digest was not sent to {d.recipient}: {d.reason}."
                                                 for d in report.failed]
            if report.failed:
                st.session_state["import_errors"].append(
                    f"{len(report.failed)} of {len(report.deliveries)} recipients did not get the digest; the offer "
                    "stays until they have it.")
        st.session_state.pop("digest_confirm", None)
        st.rerun()
