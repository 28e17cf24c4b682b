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


def role_for(email: str | None, access: dict | None) -> str | None:
    """The role of a signed-in email under an [access] table, or None when it may not enter at all.

    admins and champions hold emails or patterns such as "*@comms.example.com"; allowed_domains, when set,
    limits who may sign in at all; everyone else who signs in is a viewer.
    """
    if not email:
        return None
    access = access or {}
    if _matches(email, access.get("admins")):
        return "admin"
    if _matches(email, access.get("champions")):
        return "champion"
    domains = [str(d).strip().lower().lstrip("@") for d in access.get("allowed_domains") or []]
    if domains and email.strip().lower().rsplit("@", 1)[-1] not in domains:
        return None
    return "viewer"


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
