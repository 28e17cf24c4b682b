"""Who may do what: roles from the [access] configuration, and the checks the write functions enforce."""
from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass

# What each role may do. Viewers only look; champions upload and answer the checklist; admins also undo and
# erase people (docs/metrics.md#erasure), and set targets (docs/metrics.md#targets).
PERMISSIONS = {
    "viewer": set(),
    "champion": {"upload", "answer"},
    "admin": {"upload", "answer", "undo", "erase", "target"},
}


class PermissionDenied(PermissionError):
    """The signed-in person's role does not allow this action."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a role and a label safe to store (never an email)."""

    role: str
    label: str

    def may(self, action: str) -> bool:
        return may(self.role, action)


def may(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, set())


LOCAL = Actor("admin", "local")
CLI = Actor("admin", "cli")


def _matches(email: str, patterns) -> bool:
    email = email.strip().lower()
    return any(fnmatch.fnmatchcase(email, str(p).strip().lower()) for p in (patterns or []))


class AccessSettingsError(ValueError):
    """The [access] settings cannot be used as written; the message names the key to fix."""


def role_for(email: str | None, access: dict | None) -> str | None:
    """The role of a signed-in email under an [access] table, or None when it may not enter at all.

    admins and champions hold emails or patterns such as "*@comms.example.com"; allowed_domains, when set,
    limits who may sign in at all; everyone else who signs in is a viewer. A viewer named in `scoped` may enter
    whatever allowed_domains says: naming them there is letting them in (grant_for).
    """
    if not email:
        return None
    access = access or {}
    if _matches(email, access.get("admins")):
        return "admin"
    if _matches(email, access.get("champions")):
        return "champion"
    if _scoped_departments(email, access) is not None:
        return "viewer"
    domains = [str(d).strip().lower().lstrip("@") for d in access.get("allowed_domains") or []]
    if domains and email.strip().lower().rsplit("@", 1)[-1] not in domains:
        return None
    return "viewer"


@dataclass(frozen=True)
class Grant:
    """What a signed-in person may see: a role, and the departments (as named today) a scoped viewer is limited
    to. `departments` None is the whole organisation (docs/deploy.md#department-scoped-viewers)."""

    role: str
    departments: tuple[str, ...] | None = None

    @property
    def scoped(self) -> bool:
        return self.departments is not None

    def as_json(self) -> dict:
        return {"role": self.role, "departments": None if self.departments is None else list(self.departments)}


def scoped_rules(access: dict | None) -> dict[str, tuple[str, ...]]:
    """[access] scoped: an email or pattern -> the departments it may see, checked. Raises AccessSettingsError."""
    table = (access or {}).get("scoped") or {}
    if not isinstance(table, dict):
        raise AccessSettingsError('[access] scoped must be a table of an email or pattern to a list of departments, '
                                  'such as "*@sales.example.com" = ["Sales", "Sales Ops"].')
    rules = {}
    for pattern, departments in table.items():
        if isinstance(departments, str):
            departments = [departments]
        if (not isinstance(departments, (list, tuple)) or not departments
                or not all(isinstance(d, str) and d.strip() for d in departments)):
            raise AccessSettingsError(f'[access] scoped: "{pattern}" must name at least one department, as a list '
                                      'of names such as ["Sales", "Sales Ops"].')
        rules[str(pattern)] = tuple(d.strip() for d in departments)
    return rules


def _scoped_departments(email: str, access: dict) -> tuple[str, ...] | None:
    """Every department of the scoped rules `email` matches, in the order first named; None when none matches."""
    found: list[str] = []
    matched = False
    for pattern, departments in scoped_rules(access).items():
        if _matches(email, [pattern]):
            matched = True
            found += [d for d in departments if d not in found]
    return tuple(found) if matched else None


def grant_for(email: str | None, access: dict | None) -> Grant | None:
    """The one place that decides what a person may see: their role, and for a viewer named in [access] scoped
    the departments they are limited to (every rule they match, together). Admins and champions are never
    scoped. None when they may not enter. Raises AccessSettingsError when `scoped` is not usable."""
    role = role_for(email, access)
    if role is None:
        return None
    if role != "viewer":
        return Grant(role)
    return Grant(role, _scoped_departments(email or "", access or {}))


def label_for(email: str, role: str, pepper: str) -> str:
    """A pseudonymous audit label: the role and a short peppered hash, so no table or log holds the email."""
    digest = hashlib.sha256((pepper + email.strip().lower()).encode()).hexdigest()[:10]
    return f"{role} {digest}"


LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def serves_beyond_loopback(address: str | None) -> bool:
    """Does a server bound to `address` (Streamlit's server.address) answer beyond this machine? No address means
    every interface, Streamlit's default."""
    address = (address or "").strip().lower()
    return not address or not (address in LOOPBACK or address.startswith("127."))


# Shown by a server that listens beyond loopback without sign-in configured: it shows no data and no Data page.
EXPOSED_WITHOUT_SIGN_IN = (
    "This dashboard listens beyond this machine, and sign-in is not configured, so it shows nothing: anyone who "
    "can reach it would have full admin rights. Configure `[auth]` (and `[access]`) in `.streamlit/secrets.toml` "
    "as the README's \"Sign-in\" section shows, or serve it on this machine only (`--server.address localhost`).")


def require(actor: Actor, action: str) -> None:
    if not actor.may(action):
        raise PermissionDenied(f"Your role ({actor.role}) may not {action}. Ask an admin for access.")
