"""Who has had a month's digest and who a run is mailing right now (the claims), and when a month is complete."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb

from .. import metrics, named, warehouse
from .configuration import Settings


# A claim older than this was left by a run that stopped (a crash, a killed container) and no longer holds its
# recipients back. It is far longer than a run takes (a few recipients, SMTP_TIMEOUT_SECONDS at worst each), and
# shorter than the hour between the compose service's runs, so the next one sends what a stopped run did not.
CLAIM_EXPIRY_MINUTES = 50


@dataclass(frozen=True)
class Completeness:
    """Whether a month has every kind of data (and tool) the last month before it had."""

    month: dt.date
    compared_with: dt.date | None
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.compared_with is not None and not self.missing


def completeness(conn: duckdb.DuckDBPyConnection, month) -> Completeness:
    month = metrics.as_month(month)
    rows = named.rows(conn, "digest.expected_kinds", {"month": month})
    missing = tuple(r["kind"] + (f" ({r['tool']})" if r["tool"] else "") for r in rows if not r["present"])
    return Completeness(month, rows[0]["compared_with"] if rows else None, missing)


def month_complete(conn: duckdb.DuckDBPyConnection, month) -> bool:
    """A month is complete when all the kinds of data the month before it had are present. The first month held
    has nothing to compare with, so it is never complete by this rule (the CLI can still send it)."""
    return completeness(conn, month).complete


def latest_completeness(conn: duckdb.DuckDBPyConnection) -> Completeness | None:
    """The completeness of the latest month any upload holds, or None when nothing is held."""
    month = named.rows(conn, "digest.latest_month")[0]["month"]
    return None if month is None else completeness(conn, month)


# --- Who has had it -----------------------------------------------------------------------------------------------

def recipient_key(address: str, pepper: str) -> str:
    """A short peppered hash of a recipient's address: what the audit trail stores instead of the address."""
    return hashlib.sha256((pepper + address.strip().lower()).encode()).hexdigest()[:10]


def _prefix(month: dt.date) -> str:
    return f"{month:%Y-%m} to recipient "


def sent_keys(conn: duckdb.DuckDBPyConnection, month) -> dict[str, dt.datetime]:
    """The recipient keys a month's digest was sent to, with when it was last sent to each."""
    month = metrics.as_month(month)
    return {r["recipient_key"]: r["sent_at"] for r in named.rows(conn, "digest.sent", {"prefix": _prefix(month)})}


def _claim_prefix(month: dt.date) -> str:
    return f"digest claim {month:%Y-%m} "


def claimed_keys(conn: duckdb.DuckDBPyConnection, month) -> dict[str, dt.datetime]:
    """The recipient keys a run is mailing a month's digest to right now, with when it claimed each (UTC). Claims
    older than CLAIM_EXPIRY_MINUTES are left out: the run that made them stopped."""
    month = metrics.as_month(month)
    return {r["recipient_key"]: r["claimed_at"] for r in named.rows(
        conn, "digest.claims", {"claim_prefix": _claim_prefix(month), "expiry_seconds": CLAIM_EXPIRY_MINUTES * 60})}


def outstanding(conn: duckdb.DuckDBPyConnection, month, recipients, pepper: str) -> list[str]:
    """The recipients a month's digest is still due to: neither sent it nor being sent it by a run right now."""
    done = sent_keys(conn, month) | claimed_keys(conn, month)
    return [r for r in recipients if recipient_key(r, pepper) not in done]


@dataclass(frozen=True)
class DigestStatus:
    """Where a month's digest stands with the configured list, for the Data page's offer."""

    month: dt.date
    due: tuple[str, ...]  # neither sent it nor being sent it
    sending: tuple[str, ...]  # being sent it by a run right now
    recipients: int


def standing(location: str | None, month, settings: Settings) -> DigestStatus:
    """Who on the list is still due the month's digest, and who is being sent it right now. Read afresh each time
    (not from a page cache): claims move no data version, and the offer must not show a send that has finished."""
    location = warehouse.resolve_location(location)
    month = metrics.as_month(month)
    pepper = warehouse.pepper_for(location)
    with warehouse.opened(location) as conn:
        due = outstanding(conn, month, settings.recipients, pepper)
        claimed = claimed_keys(conn, month)
    sending = tuple(r for r in settings.recipients if recipient_key(r, pepper) in claimed)
    return DigestStatus(month, tuple(due), sending, len(settings.recipients))


@dataclass(frozen=True)
class Claim:
    """What one run's claim found: whom it claimed, who already had it and who another run is mailing."""

    claimed: tuple[str, ...]
    already: dict
    sending: dict


def claim(location: str, month: dt.date, recipients: tuple[str, ...], pepper: str, resend: bool) -> Claim:
    """Claim every recipient this run may mail, in one write transaction that first reads who was sent it and who is
    claimed: writers are serialised (WRITE_LOCK in a process, the file lock on an embedded warehouse, the write
    token on DuckLake, where the loser of a race runs again and then sees the winner's claims), so of two runs at
    once exactly one claims each recipient."""

    def work() -> Claim:
        with warehouse.transaction(conn):
            sent, claims = sent_keys(conn, month), claimed_keys(conn, month)
            claimed, already, sending = [], {}, {}
            for recipient in recipients:
                key = recipient_key(recipient, pepper)
                if key in claims:
                    sending[recipient] = claims[key]
                elif key in sent and not resend:
                    already[recipient] = sent[key]
                else:
                    named.run(conn, "digest.release", {"key": _claim_prefix(month) + key})  # an expired claim
                    named.run(conn, "digest.claim", {"key": _claim_prefix(month) + key})
                    claimed.append(recipient)
            return Claim(tuple(claimed), already, sending)

    with warehouse.opened(location) as conn, warehouse.WRITE_LOCK:
        return warehouse.retrying(work)


def settle(location: str, month: dt.date, claimed: tuple[str, ...], sent: list[str], who: str, pepper: str) -> None:
    """Record each delivery in the audit trail and give up the run's claims, in one transaction: a recipient it
    failed to reach is free again, so the next run (or the page's offer) sends to them."""

    def work() -> None:
        with warehouse.transaction(conn):
            for address in sent:
                named.run(conn, "digest.record_sent",
                          {"who": who, "detail": _prefix(month) + recipient_key(address, pepper)})
            for address in claimed:
                named.run(conn, "digest.release", {"key": _claim_prefix(month) + recipient_key(address, pepper)})

    with warehouse.opened(location) as conn, warehouse.WRITE_LOCK:
        warehouse.retrying(work)
