"""Mailing the digest over SMTP, one mail transaction per recipient, and what became of each."""
from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from .configuration import DigestError, Settings, configured_by

SMTP_TIMEOUT_SECONDS = 30
SENT, ALREADY_SENT, SENDING, FAILED, DRY_RUN = "sent", "already sent", "being sent", "failed", "dry run"


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
    files: tuple = ()  # a dry run's .eml files (Paths), one per audience

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
            raise DigestError(f"cannot read the CA file {settings.cafile} ({configured_by('cafile')}): {error}; give a "
                              "PEM certificate") from None
    return context


def _untrusted(settings: Settings, error: ssl.SSLCertVerificationError) -> DigestError:
    return DigestError(f"the mail server {settings.server} sent a certificate that is not trusted "
                       f"({error.verify_message or error}); if your organisation's own CA signed it, give that CA's "
                       f"certificate in {configured_by('cafile')}")


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


def deliver(message: EmailMessage, settings: Settings, recipients: list[str]) -> list[Delivery]:
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
