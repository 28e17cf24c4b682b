"""The monthly e-mail digest: the month's stage, what it takes to reach the next one, the three biggest moves, a link
to the dashboard and the one-page brief, mailed over SMTP to the configured executives.

The CLI (`python -m queries digest`) and the Data page are two shells over `send` and `write_eml`. Settings come from
environment variables or a `[digest]` secrets section, read at the edge and passed in (docs/deploy.md#monthly-digest).
Every figure comes from the Overview's view model and the stage placement, so the digest obeys the minimum group
size as they do and names no employee. Each delivered digest is an audit event, one per recipient, keyed on a
peppered hash of the address: a second send of a month to the same people is refused unless asked for again. A run
claims its recipients in one write transaction before mailing them, so two runs at once (the schedule and an admin
on the Data page) never both mail the same person.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import smtplib
import ssl
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

import duckdb

from . import adoption, brief, metrics, named, stages, views, warehouse
from .access import Actor, PermissionDenied
from .formats import as_text, percent, points

SECURITY = ("none", "starttls", "tls")
DEFAULT_PORT = {"none": 25, "starttls": 587, "tls": 465}
# Each setting's environment variable; the [digest] secrets section uses the key on the left.
ENVIRONMENT = {"host": "DASHBOARD_SMTP_HOST", "port": "DASHBOARD_SMTP_PORT", "user": "DASHBOARD_SMTP_USER",
               "password": "DASHBOARD_SMTP_PASSWORD", "security": "DASHBOARD_SMTP_SECURITY",
               "cafile": "DASHBOARD_SMTP_CAFILE", "from": "DASHBOARD_DIGEST_FROM", "to": "DASHBOARD_DIGEST_TO",
               "url": "DASHBOARD_URL"}
SMTP_TIMEOUT_SECONDS = 30
# A claim older than this was left by a run that stopped (a crash, a killed container) and no longer holds its
# recipients back. It is far longer than a run takes (a few recipients, SMTP_TIMEOUT_SECONDS at worst each), and
# shorter than the hour between the compose service's runs, so the next one sends what a stopped run did not.
CLAIM_EXPIRY_MINUTES = 50
SENT, ALREADY_SENT, SENDING, FAILED, DRY_RUN = "sent", "already sent", "being sent", "failed", "dry run"


class DigestError(ValueError):
    """The digest cannot be sent as asked: a setting is missing or wrong, or the month holds no data."""


# --- Settings -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """Where and how to mail the digest. The password never appears in a repr or a message."""

    host: str | None
    port: int
    user: str | None
    password: str | None = field(repr=False)
    security: str
    sender: str
    recipients: tuple[str, ...]
    url: str
    cafile: str | None = None  # a CA certificate file trusted besides the system's, for a server with a private CA

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def _where(key: str) -> str:
    return f"{ENVIRONMENT[key]} (or `{key}` in the [digest] secrets section)"


def require_server(settings: Settings) -> None:
    """Raise DigestError unless a mail server is set: the digest can be composed and written without one, but not
    sent (the Data page asks before it offers the send)."""
    if not settings.host:
        raise DigestError(f"Set the mail server: {_where('host')}.")


def _addresses(value) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _is_address(text: str) -> bool:
    name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in address)


def settings(section: dict | None, environ) -> Settings:
    """The digest settings: each environment variable of ENVIRONMENT, else the same key of the `[digest]` secrets
    section. Raises DigestError naming what is missing or wrong."""
    section = {str(k).lower(): v for k, v in (section or {}).items()}

    def value(key: str):
        found = environ.get(ENVIRONMENT[key])
        if found is None or str(found).strip() == "":
            found = section.get(key)
        return None if found is None or str(found).strip() == "" else found

    security = str(value("security") or "starttls").strip().lower()
    if security not in SECURITY:
        raise DigestError(f"{_where('security')} is {security!r}; use none, starttls or tls.")
    port = value("port")
    try:
        port = int(port) if port is not None else DEFAULT_PORT[security]
    except ValueError:
        raise DigestError(f"{_where('port')} is {port!r}; give a port number such as 587.") from None
    if not 0 < port < 65536:
        raise DigestError(f"{_where('port')} is {port}; give a port number between 1 and 65535.")
    user, password = value("user"), value("password")
    if password is not None and user is None:
        raise DigestError(f"A password is set but no user: set {_where('user')} too.")
    sender = str(value("from") or "").strip()
    if not sender:
        raise DigestError(f"Set the sender address: {_where('from')}.")
    if not _is_address(sender):
        raise DigestError(f"{_where('from')} is not an e-mail address: {sender!r}.")
    recipients, seen = [], set()
    for address in _addresses(value("to")):
        if not _is_address(address):
            raise DigestError(f"{_where('to')} holds {address!r}, which is not an e-mail address.")
        if address.lower() not in seen:  # the same person listed twice gets one digest
            seen.add(address.lower())
            recipients.append(address)
    if not recipients:
        raise DigestError(f"Set who receives the digest: {_where('to')}, addresses separated by commas.")
    url = str(value("url") or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DigestError(f"Set the dashboard's address for the digest's link: {_where('url')}, for example "
                          "https://dashboard.example.com." if not url else
                          f"{_where('url')} is {url!r}; give the dashboard's http(s) address.")
    cafile = value("cafile")
    if cafile is not None:
        cafile = str(Path(str(cafile).strip()).expanduser())
        if not Path(cafile).is_file():
            raise DigestError(f"{_where('cafile')} is {cafile!r}, which is not a file; give the CA certificate "
                              "(PEM) that signed the mail server's certificate.")
    host = value("host")
    return Settings(None if host is None else str(host).strip(), port, None if user is None else str(user),
                    None if password is None else str(password), security, sender, tuple(recipients), url, cafile)


# --- When a month is complete -------------------------------------------------------------------------------------

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
class Standing:
    """Where a month's digest stands with the configured list, for the Data page's offer."""

    month: dt.date
    due: tuple[str, ...]  # neither sent it nor being sent it
    sending: tuple[str, ...]  # being sent it by a run right now
    recipients: int


def standing(location: str | None, month, settings: Settings) -> Standing:
    """Who on the list is still due the month's digest, and who is being sent it right now. Read afresh each time
    (not from a page cache): claims move no data version, and the offer must not show a send that has finished."""
    location = warehouse.resolve_location(location)
    month = metrics.as_month(month)
    pepper = warehouse.pepper_for(location)
    with warehouse.opened(location) as conn:
        due = outstanding(conn, month, settings.recipients, pepper)
        claimed = claimed_keys(conn, month)
    sending = tuple(r for r in settings.recipients if recipient_key(r, pepper) in claimed)
    return Standing(month, tuple(due), sending, len(settings.recipients))


@dataclass(frozen=True)
class _Claim:
    """What one run's claim found: whom it claimed, who already had it and who another run is mailing."""

    claimed: tuple[str, ...]
    already: dict
    sending: dict


def _claim(location: str, month: dt.date, recipients: tuple[str, ...], pepper: str, resend: bool) -> _Claim:
    """Claim every recipient this run may mail, in one write transaction that first reads who was sent it and who is
    claimed: writers are serialised (WRITE_LOCK in a process, the file lock on an embedded warehouse, the write
    token on DuckLake, where the loser of a race runs again and then sees the winner's claims), so of two runs at
    once exactly one claims each recipient."""

    def work() -> _Claim:
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
            return _Claim(tuple(claimed), already, sending)

    with warehouse.opened(location) as conn, warehouse.WRITE_LOCK:
        return warehouse.retrying(work)


def _settle(location: str, month: dt.date, claimed: tuple[str, ...], sent: list[str], who: str, pepper: str) -> None:
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


# --- What it says -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    numbered: bool = False


@dataclass(frozen=True)
class Digest:
    """One month's digest: its subject, its sections (said the same way in the text and the HTML part), the link
    and the brief."""

    month: dt.date
    subject: str
    sections: tuple[Section, ...]
    link: str
    footer: str
    pdf: bytes

    @property
    def attachment_name(self) -> str:
        return f"social-business-brief-{self.month:%Y-%m}.pdf"

    def text(self) -> str:
        lines = [self.subject, ""]
        for section in self.sections:
            lines += [section.title, "-" * len(section.title)]
            lines += list(section.paragraphs)
            lines += [f"  {n}. {item}" if section.numbered else f"  - {item}"
                      for n, item in enumerate(section.items, start=1)]
            lines.append("")
        lines += [f"Open the dashboard: {self.link}",
                  f"The one-page brief is attached ({self.attachment_name}).", "", "-- ", self.footer, ""]
        return "\n".join(lines)

    def html(self) -> str:
        e = html.escape
        body = [f"<h1 style=\"font-size:20px\">{e(self.subject)}</h1>"]
        for section in self.sections:
            body.append(f"<h2 style=\"font-size:16px;margin-bottom:4px\">{e(section.title)}</h2>")
            body += [f"<p>{e(p)}</p>" for p in section.paragraphs]
            if section.items:
                tag = "ol" if section.numbered else "ul"
                body.append(f"<{tag}>" + "".join(f"<li>{e(item)}</li>" for item in section.items) + f"</{tag}>")
        body.append(f"<p><a href=\"{e(self.link, quote=True)}\">Open the dashboard</a></p>")
        body.append(f"<p>The one-page brief is attached ({e(self.attachment_name)}).</p>")
        body.append(f"<p style=\"color:#6b7280;font-size:12px\">{e(self.footer)}</p>")
        return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + e(self.subject)
                + "</title></head><body style=\"font-family:Arial,Helvetica,sans-serif;color:#1f2937\">"
                + "".join(body) + "</body></html>")


def _gap_line(gap: stages.CriterionResult, projection: stages.Projection | None) -> str:
    # Worded as the Where we stand page words it (views.standing), in plain text.
    if gap.status == stages.NO_DATA:
        status = f"no data yet. {gap.needs}." if gap.needs else "no data yet."
    elif gap.is_checklist:
        status = "answered no on the checklist."
    else:
        status = f"now {stages.shown(gap.unit, gap.value)}, needs {stages.shown_threshold(gap)}."
    line = f"{gap.label} ({gap.id}): {status}"
    if gap.hint:
        line += f" {gap.hint.rstrip('.')}."
    if projection and projection.months is not None:
        line += f" At the last {stages.TREND_MONTHS} months' pace it would be met {projection.text}."
    return line


def _link(url: str, month: dt.date) -> str:
    """The dashboard's address, opening at the digest's month (the sidebar reads `month` from the URL)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + [("month", f"{month:%Y-%m}")]
    return urllib.parse.urlunsplit(parts._replace(path=parts.path or "/", query=urllib.parse.urlencode(query)))


def compose(conn: duckdb.DuckDBPyConnection, month, url: str) -> Digest:
    """The digest of a month, for the whole organisation compared with the month before."""
    month = metrics.as_month(month)
    held = metrics.months(conn)
    if month not in held:
        raise DigestError(f"The warehouse holds no data for {month:%Y-%m}, so there is no digest to send.")
    rubric = stages.load()
    scope = views.scope_for(held, month)
    model = views.overview(conn, scope, rubric)  # the Overview's model: the same figures, suppressed the same way
    placement = stages.evaluate(conn, month, rubric)

    stage = [as_text(model.stage.title) + (f", “{placement.motto}”." if placement.stage else ".")]
    following = placement.next_stage
    if following is None:
        stage.append("Every stage of the rubric passes: keep every criterion met.")
        gaps = ()
    else:
        stage.append(f"To reach stage {following.number}, {following.name} ({following.met} of {following.total} "
                     "criteria met), it takes:")
        gaps = tuple(_gap_line(g, placement.projections.get(g.id)) for g in placement.gaps)
    sections = [Section("Where we stand", tuple(stage), gaps)]

    if model.withheld:  # too few people: the Overview shows no figure, and neither does the digest
        withheld = (f"Fewer than {scope.min_group} people are counted in {month:%B %Y}, so the digest shows no "
                    "figures about them: the dashboard never shows a figure about so few people.")
        sections.append(Section("Headline", (withheld,)))
        sections.append(Section("The three biggest moves", (withheld,)))
    else:
        tiles = " · ".join(f"{t.label} {t.value}" + (f" ({t.delta})" if t.delta else "") for t in model.tiles[0])
        sections.append(Section("Headline", (as_text(model.headline), tiles)))
        # The Overview's "departments that moved most": departments under the minimum group size are left out.
        moved = adoption.movers(conn, scope.month, scope.compare_to, scope.filters, scope.min_group, top=3)
        items = tuple(f"{m['department']}: adoption {percent(m['adoption_rate'])}, {points(m['change'])} since "
                      f"{scope.compare_to:%B %Y}" for m in moved)
        sections.append(Section("The three biggest moves", () if items else (as_text(model.movers_note),), items,
                                numbered=True))

    subject = (f"Social business digest, {month:%B %Y}: stage {placement.stage} of {placement.top}, "
               f"{placement.stage_name if placement.stage else 'not started'}")
    footer = (f"Whole organisation, {month:%B %Y} compared with {scope.compare_to:%B %Y}. Figures about fewer than "
              f"{scope.min_group} people are never shown. You receive this digest as one of the dashboard's "
              "configured recipients; ask your dashboard admin to change the list.")
    return Digest(month, subject, tuple(sections), _link(url, month), footer, brief.build_brief(conn, month))


def as_message(digest: Digest, settings: Settings) -> EmailMessage:
    """The e-mail: a plain-text part, its HTML alternative and the brief attached, addressed to the whole list."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid("digest", domain=parseaddr(settings.sender)[1].rpartition("@")[2])
    message.set_content(digest.text())
    message.add_alternative(digest.html(), subtype="html")
    message.add_attachment(digest.pdf, maintype="application", subtype="pdf", filename=digest.attachment_name)
    return message


# --- Sending ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    recipient: str
    outcome: str  # sent, already sent, being sent (by another run), failed, dry run
    reason: str = ""

    def line(self) -> str:
        return f"{self.recipient}: {self.outcome}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class Report:
    """What became of one run: one delivery per recipient on the list."""

    month: dt.date
    deliveries: tuple[Delivery, ...]

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.outcome == FAILED]

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.outcome == SENT]

    @property
    def refused(self) -> bool:
        """Nothing was sent because everyone on the list already had this month's digest or another run is sending
        it to them right now."""
        return all(d.outcome in (ALREADY_SENT, SENDING) for d in self.deliveries)

    def summary(self) -> str:
        if self.failed:
            return (f"{len(self.failed)} of {len(self.deliveries)} recipients did not get the {self.month:%B %Y} "
                    "digest (reasons above). Run the command again to send it to them; the others are not sent "
                    "it twice.")
        sending = [d for d in self.deliveries if d.outcome == SENDING]
        if self.refused and sending:
            return (f"Not sent: another run is sending the {self.month:%B %Y} digest to {len(sending)} of the "
                    f"{len(self.deliveries)} recipients right now, and the others already had it.")
        if self.refused:
            return (f"Not sent: the {self.month:%B %Y} digest was already sent to everyone on the list. "
                    "Use --resend to send it again.")
        return f"Sent the {self.month:%B %Y} digest to {len(self.sent)} recipient{'s' if len(self.sent) != 1 else ''}."


def may_send(actor: Actor) -> bool:
    """Only admins send the digest: it goes to the executives in the organisation's name."""
    return actor.role == "admin"


def _response(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    return f"{error.smtp_code} {text}".strip()


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """The system's trusted CAs, plus the configured CA file: certificates and host names are always verified."""
    context = ssl.create_default_context()
    if settings.cafile:
        try:
            context.load_verify_locations(cafile=settings.cafile)
        except (OSError, ssl.SSLError) as error:
            raise DigestError(f"cannot read the CA file {settings.cafile} ({_where('cafile')}): {error}; give a "
                              "PEM certificate") from None
    return context


def _untrusted(settings: Settings, error: ssl.SSLCertVerificationError) -> DigestError:
    return DigestError(f"the mail server {settings.server} sent a certificate that is not trusted "
                       f"({error.verify_message or error}); if your organisation's own CA signed it, give that CA's "
                       f"certificate in {_where('cafile')}")


def _connect(settings: Settings) -> smtplib.SMTP:
    """A session with the mail server, secured and signed in as configured. Raises DigestError saying why not."""
    context = _tls_context(settings)
    try:
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    except ssl.SSLCertVerificationError as error:
        raise _untrusted(settings, error) from None
    except (OSError, smtplib.SMTPException) as error:
        raise DigestError(f"cannot reach the mail server {settings.server}: {error}") from None
    try:
        if settings.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DigestError(f"the mail server {settings.server} does not offer STARTTLS; set "
                                  "DASHBOARD_SMTP_SECURITY to tls or none to match it")
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except smtplib.SMTPAuthenticationError as error:
        smtp.close()
        raise DigestError(f"the mail server {settings.server} refused the sign-in of {settings.user}: "
                          f"{_response(error)}") from None
    except smtplib.SMTPNotSupportedError:
        smtp.close()
        raise DigestError(f"the mail server {settings.server} does not offer sign-in (AUTH) on this connection; "
                          "use starttls or tls, or leave the user unset") from None
    except DigestError:
        smtp.close()
        raise
    except ssl.SSLCertVerificationError as error:
        smtp.close()
        raise _untrusted(settings, error) from None
    except (OSError, smtplib.SMTPException) as error:
        smtp.close()
        raise DigestError(f"the mail server {settings.server} failed while connecting: {error}") from None
    return smtp


def _deliver(message: EmailMessage, settings: Settings, recipients: list[str]) -> list[Delivery]:
    """Send the message to each recipient in its own mail transaction, so that one refused address does not stop the
    others; every recipient ends up sent or failed with the server's reason."""
    try:
        smtp = _connect(settings)
    except DigestError as error:
        return [Delivery(r, FAILED, str(error)) for r in recipients]
    deliveries: list[Delivery] = []
    try:
        for index, recipient in enumerate(recipients):
            try:
                smtp.send_message(message, from_addr=parseaddr(settings.sender)[1], to_addrs=[recipient])
            except smtplib.SMTPRecipientsRefused as error:
                code, text = error.recipients.get(recipient, (None, b""))
                reason = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                deliveries.append(Delivery(recipient, FAILED, f"the mail server refused this address: {reason}"))
            except smtplib.SMTPResponseException as error:
                deliveries.append(Delivery(recipient, FAILED, f"the mail server refused the message: "
                                                              f"{_response(error)}"))
            except (OSError, smtplib.SMTPException) as error:  # the connection is gone: nobody after this gets it
                reason = f"the connection to the mail server was lost: {error or type(error).__name__}"
                deliveries += [Delivery(r, FAILED, reason) for r in recipients[index:]]
                return deliveries
            else:
                deliveries.append(Delivery(recipient, SENT))
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return deliveries


def _compose(location: str, month, settings: Settings) -> Digest:
    with warehouse.opened(location) as conn:
        return compose(conn, month, settings.url)


def _already(recipient: str, when) -> Delivery:
    return Delivery(recipient, ALREADY_SENT, f"on {when:%Y-%m-%d %H:%M} UTC; not sent again without --resend")


def _sending(recipient: str, when) -> Delivery:
    retry = when + dt.timedelta(minutes=CLAIM_EXPIRY_MINUTES)
    return Delivery(recipient, SENDING, f"by another run since {when:%H:%M} UTC; if that run stopped, it can be sent "
                                        f"again from {retry:%H:%M} UTC")


def send(location: str | None, month, settings: Settings, actor: Actor, resend: bool = False) -> Report:
    """Mail a month's digest to everyone on the list who has not had it (everyone, with `resend`) and whom no other
    run is mailing right now, then record each delivery in the audit trail. At most once per month and recipient:
    the recipients are claimed before mailing and the claims given up after (see `_claim`). The warehouse is not
    held while mailing, so pages and imports go on meanwhile."""
    if not may_send(actor):
        raise PermissionDenied(f"Your role ({actor.role}) may not send the digest. Ask an admin.")
    require_server(settings)
    location = warehouse.resolve_location(location)
    pepper = warehouse.pepper_for(location)
    digest = _compose(location, month, settings)
    message = as_message(digest, settings)
    claim = _claim(location, digest.month, settings.recipients, pepper, resend)
    delivered = {d.recipient: d for d in _deliver(message, settings, list(claim.claimed))} if claim.claimed else {}
    sent = [r for r, d in delivered.items() if d.outcome == SENT]
    if claim.claimed:
        try:
            _settle(location, digest.month, claim.claimed, sent, actor.label, pepper)
        except Exception as error:  # mailed, but a re-run could not know: say so rather than let it send twice
            raise DigestError(f"The {digest.month:%B %Y} digest was sent to {', '.join(sent) or 'nobody'}, but the "
                              f"send could not be recorded ({error}). Do not run the digest for this month again "
                              "without checking with them.") from None
    return Report(digest.month, tuple(
        delivered[r] if r in delivered else _already(r, claim.already[r]) if r in claim.already
        else _sending(r, claim.sending[r]) for r in settings.recipients))


def write_eml(location: str | None, month, settings: Settings, out: str | Path, resend: bool = False) -> Report:
    """Write the digest that `send` would mail to an .eml file instead, and say who would get it. Records nothing."""
    location = warehouse.resolve_location(location)
    pepper = warehouse.pepper_for(location)
    with warehouse.opened(location) as conn:
        digest = compose(conn, month, settings.url)
        sent, claims = sent_keys(conn, digest.month), claimed_keys(conn, digest.month)
    Path(out).write_bytes(bytes(as_message(digest, settings)))

    def delivery(recipient: str) -> Delivery:
        key = recipient_key(recipient, pepper)
        if key in claims:
            return _sending(recipient, claims[key])
        if key in sent and not resend:
            return _already(recipient, sent[key])
        return Delivery(recipient, DRY_RUN, f"would be sent; written to {out}")

    return Report(digest.month, tuple(delivery(r) for r in settings.recipients))
