"""The digest's settings: where and how to mail it, from environment variables or a [digest] secrets section."""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from .. import access

SECURITY = ("none", "starttls", "tls")
DEFAULT_PORT = {"none": 25, "starttls": 587, "tls": 465}
# Each setting's environment variable; the [digest] secrets section uses the key on the left.
ENVIRONMENT = {"host": "DASHBOARD_SMTP_HOST", "port": "DASHBOARD_SMTP_PORT", "user": "DASHBOARD_SMTP_USER",
               "password": "DASHBOARD_SMTP_PASSWORD", "security": "DASHBOARD_SMTP_SECURITY",
               "cafile": "DASHBOARD_SMTP_CAFILE", "from": "DASHBOARD_DIGEST_FROM", "to": "DASHBOARD_DIGEST_TO",
               "url": "DASHBOARD_URL"}


class DigestError(ValueError):
    """The digest cannot be sent as asked: a setting is missing or wrong, or the month holds no data."""


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
    # [digest.scopes]: a recipient's address (lower case) -> the departments their digest is limited to. It wins over
    # what [access] says of them (audiences).
    scopes: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def configured_by(key: str) -> str:
    return f"{ENVIRONMENT[key]} (or `{key}` in the [digest] secrets section)"


def require_server(settings: Settings) -> None:
    """Raise DigestError unless a mail server is set: the digest can be composed and written without one, but not
    sent (the Data page asks before it offers the send)."""
    if not settings.host:
        raise DigestError(f"Set the mail server: {configured_by('host')}.")


def _addresses(value) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _is_address(text: str) -> bool:
    name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in address)


def _scopes(table) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """[digest.scopes], checked: each recipient's address and the list of departments their digest covers."""
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise DigestError('[digest.scopes] must be a table of a recipient\'s address to a list of departments, such '
                          'as "cfo@example.com" = ["Finance"].')
    found = {}
    for address, departments in table.items():
        if not _is_address(str(address)):
            raise DigestError(f'[digest.scopes] names "{address}", which is not an e-mail address; name each '
                              'recipient by their address, such as "cfo@example.com" = ["Finance"].')
        if (not isinstance(departments, (list, tuple)) or not departments
                or not all(isinstance(d, str) and d.strip() for d in departments)):
            raise DigestError(f'[digest.scopes] "{address}" must be a list of department names, such as '
                              '["Finance"] or ["Sales", "Sales Ops"].')
        found[parseaddr(str(address))[1].lower()] = tuple(dict.fromkeys(d.strip() for d in departments))
    return tuple(found.items())


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
        raise DigestError(f"{configured_by('security')} is {security!r}; use none, starttls or tls.")
    port = value("port")
    try:
        port = int(port) if port is not None else DEFAULT_PORT[security]
    except ValueError:
        raise DigestError(f"{configured_by('port')} is {port!r}; give a port number such as 587.") from None
    if not 0 < port < 65536:
        raise DigestError(f"{configured_by('port')} is {port}; give a port number between 1 and 65535.")
    user, password = value("user"), value("password")
    if password is not None and user is None:
        raise DigestError(f"A password is set but no user: set {configured_by('user')} too.")
    sender = str(value("from") or "").strip()
    if not sender:
        raise DigestError(f"Set the sender address: {configured_by('from')}.")
    if not _is_address(sender):
        raise DigestError(f"{configured_by('from')} is not an e-mail address: {sender!r}.")
    recipients, seen = [], set()
    for address in _addresses(value("to")):
        if not _is_address(address):
            raise DigestError(f"{configured_by('to')} holds {address!r}, which is not an e-mail address.")
        if address.lower() not in seen:  # the same person listed twice gets one digest
            seen.add(address.lower())
            recipients.append(address)
    if not recipients:
        raise DigestError(f"Set who receives the digest: {configured_by('to')}, addresses separated by commas.")
    url = str(value("url") or "").strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DigestError(f"Set the dashboard's address for the digest's link: {configured_by('url')}, for example "
                          "https://dashboard.example.com." if not url else
                          f"{configured_by('url')} is {url!r}; give the dashboard's http(s) address.")
    cafile = value("cafile")
    if cafile is not None:
        cafile = str(Path(str(cafile).strip()).expanduser())
        if not Path(cafile).is_file():
            raise DigestError(f"{configured_by('cafile')} is {cafile!r}, which is not a file; give the CA certificate "
                              "(PEM) that signed the mail server's certificate.")
    host = value("host")
    return Settings(None if host is None else str(host).strip(), port, None if user is None else str(user),
                    None if password is None else str(password), security, sender, tuple(recipients), url, cafile,
                    _scopes(section.get("scopes")))


@dataclass(frozen=True)
class Audience:
    """The recipients who get the same digest: the whole organisation's (departments None) or one scope's."""

    departments: tuple[str, ...] | None
    recipients: tuple[str, ...]


def audiences(settings: Settings, access_section: dict | None) -> tuple[Audience, ...]:
    """The recipients grouped by the digest each gets, the whole organisation's first: a recipient named in
    [digest.scopes] gets that scope's; else a viewer scoped in [access] (access.grant_for) gets their departments';
    everyone else (admins, champions, viewers of the whole organisation, and addresses [access] does not let in,
    as before scopes) the whole organisation's. Raises DigestError when [access] scoped cannot be used."""
    explicit = dict(settings.scopes)
    groups: dict[tuple[str, ...] | None, list[str]] = {None: []}
    for recipient in settings.recipients:
        departments = explicit.get(parseaddr(recipient)[1].lower())
        if departments is None:
            try:
                grant = access.grant_for(parseaddr(recipient)[1], access_section)
            except access.AccessSettingsError as error:
                raise DigestError(f"Cannot tell which recipients are scoped: {error}") from None
            departments = grant.departments if grant is not None else None
        groups.setdefault(departments, []).append(recipient)
    return tuple(Audience(departments, tuple(recipients)) for departments, recipients in groups.items()
                 if recipients)
