"""The monthly e-mail digest: the month's stage, what it takes to reach the next one, what needs attention (the
alerts), the three biggest moves, a link to the dashboard and the one-page brief, mailed over SMTP to the configured
executives.

The CLI (`python -m queries digest`) and the Data page are two shells over `send` and `write_eml`. Settings come from
environment variables or a `[digest]` secrets section, read at the edge and passed in (docs/deploy.md#monthly-digest).
Every figure comes from the Overview's view model (its alerts too) and the stage placement, so the digest obeys the
minimum group size as they do and names no employee. A recipient scoped to some departments ([digest.scopes], else
[access] scoped) gets the digest of the Overview limited to them, in a message of its own (configuration.audiences).
Each delivered digest is an audit event, one per recipient, keyed on a peppered hash of the address: a second send
of a month to the same people is refused unless asked for again. A run claims its recipients in one write transaction
before mailing them, so two runs at once (the schedule and an admin on the Data page) never both mail the same
person.

One module per job: configuration (the settings), content (what it says), layout (its HTML part, in tables with
inline styles), ledger (who has had it, the claims and when a month is complete) and transport (SMTP); `send` and
`write_eml` here tie them together.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .. import warehouse
from ..access import Actor, PermissionDenied
from .content import Digest, Ladder, Section, as_message, compose, written
from .ledger import (CLAIM_EXPIRY_MINUTES, Completeness, DigestStatus, claim, claimed_keys, completeness,
                     latest_completeness, month_complete, outstanding, recipient_key, sent_keys, settle, standing)
from .configuration import (DEFAULT_PORT, ENVIRONMENT, SECURITY, Audience, DigestError, Settings, audiences,
                            require_server, settings)
from .transport import (ALREADY_SENT, DRY_RUN, FAILED, SENDING, SENT, SMTP_TIMEOUT_SECONDS, Delivery, Report,
                        deliver)


def may_send(actor: Actor) -> bool:
    """Only admins send the digest: it goes to the executives in the organisation's name."""
    return actor.role == "admin"


def _composed(conn, month, settings: Settings, access_section: dict | None) -> list[tuple[Audience, Digest]]:
    """Each audience's digest, composed once per distinct scope (the whole organisation's once, each set of
    departments once)."""
    return [(audience, compose(conn, month, settings.url, audience.departments))
            for audience in audiences(settings, access_section)]


def _already(recipient: str, when) -> Delivery:
    return Delivery(recipient, ALREADY_SENT, f"on {when:%Y-%m-%d %H:%M} UTC; not sent again without --resend")


def _sending(recipient: str, when) -> Delivery:
    retry = when + dt.timedelta(minutes=CLAIM_EXPIRY_MINUTES)
    return Delivery(recipient, SENDING, f"by another run since {when:%H:%M} UTC; if that run stopped, it can be sent "
                                        f"again from {retry:%H:%M} UTC")


def send(location: str | None, month, settings: Settings, actor: Actor, resend: bool = False,
         access_section: dict | None = None) -> Report:
    """Mail a month's digest to everyone on the list who has not had it (everyone, with `resend`) and whom no other
    run is mailing right now, then record each delivery in the audit trail. At most once per month and recipient:
    the recipients are claimed before mailing and the claims given up after (see `ledger.claim`). The warehouse is not
    held while mailing, so pages and imports go on meanwhile.

    Each recipient gets the digest of what they may see (`audiences`: [digest.scopes], else the `[access]` settings
    passed in): the whole organisation's, or their departments', each in its own message addressed to its audience."""
    if not may_send(actor):
        raise PermissionDenied(f"Your role ({actor.role}) may not send the digest. Ask an admin.")
    require_server(settings)
    location = warehouse.resolve_location(location)
    pepper = warehouse.pepper_for(location)
    with warehouse.opened(location) as conn:
        composed = _composed(conn, month, settings, access_section)
    digest = composed[0][1]
    run = claim(location, digest.month, settings.recipients, pepper, resend)
    delivered = {}
    for audience, composed_digest in composed:
        claimed = [r for r in audience.recipients if r in run.claimed]
        if claimed:
            message = as_message(composed_digest, settings, audience.recipients)
            delivered.update({d.recipient: d for d in deliver(message, settings, claimed)})
    sent = [r for r, d in delivered.items() if d.outcome == SENT]
    if run.claimed:
        try:
            settle(location, digest.month, run.claimed, sent, actor.label, pepper)
        except Exception as error:  # mailed, but a re-run could not know: say so rather than let it send twice
            raise DigestError(f"The {digest.month:%B %Y} digest was sent to {', '.join(sent) or 'nobody'}, but the "
                              f"send could not be recorded ({error}). Do not run the digest for this month again "
                              "without checking with them.") from None
    return Report(digest.month, tuple(
        delivered[r] if r in delivered else _already(r, run.already[r]) if r in run.already
        else _sending(r, run.sending[r]) for r in settings.recipients))


def eml_paths(out: str | Path, groups: list[tuple[Audience, Digest]]) -> list[Path]:
    """Where `write_eml` writes each audience's message: `out` itself when everyone gets the same digest; else `out`
    with the scope in its name, "digest-whole-organisation.eml", "digest-sales.eml", "digest-sales-sales-ops.eml"."""
    out = Path(out)
    if len(groups) == 1:
        return [out]
    paths: list[Path] = []
    for audience, _ in groups:
        words = "-".join(audience.departments) if audience.departments is not None else "whole organisation"
        stem = f"{out.stem}-{re.sub(r'[^a-z0-9]+', '-', words.lower()).strip('-') or 'scope'}"
        path, n = out.with_name(stem + out.suffix), 1
        while path in paths:  # two scopes whose names read alike ("Sales Ops" and "Sales", "Ops")
            n += 1
            path = out.with_name(f"{stem}-{n}{out.suffix}")
        paths.append(path)
    return paths


def write_eml(location: str | None, month, settings: Settings, out: str | Path, resend: bool = False,
              access_section: dict | None = None) -> Report:
    """Write the digest that `send` would mail to an .eml file instead, and say who would get it. Records nothing.
    With scoped recipients each audience's message goes to its own file (`eml_paths`), and the report names each
    recipient's file."""
    location = warehouse.resolve_location(location)
    pepper = warehouse.pepper_for(location)
    with warehouse.opened(location) as conn:
        composed = _composed(conn, month, settings, access_section)
        digest = composed[0][1]
        sent, claims = sent_keys(conn, digest.month), claimed_keys(conn, digest.month)
    written_to = {}
    for (audience, composed_digest), path in zip(composed, eml_paths(out, composed)):
        path.write_bytes(bytes(as_message(composed_digest, settings, audience.recipients)))
        written_to.update(dict.fromkeys(audience.recipients, path))

    def delivery(recipient: str) -> Delivery:
        key = recipient_key(recipient, pepper)
        if key in claims:
            return _sending(recipient, claims[key])
        if key in sent and not resend:
            return _already(recipient, sent[key])
        return Delivery(recipient, DRY_RUN, f"would be sent; written to {written_to[recipient]}")

    return Report(digest.month, tuple(delivery(r) for r in settings.recipients),
                  tuple(dict.fromkeys(written_to.values())))
