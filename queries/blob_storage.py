"""DuckLake's data files in Azure Blob Storage (az://, abfss://): which credential to use, the DuckDB secret that
carries it, and one-line messages that name what to fix when the storage refuses (docs/deploy.md#azure-blob-storage).

Credentials come from the environment or the `[azure]` section of the secrets file (the edge passes it to
`warehouse.configure`), never from the command line. The environment wins, key by key.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

SCHEMES = ("az://", "azure://", "abfss://")
KEYS = ("connection_string", "tenant_id", "client_id", "client_secret", "account_name", "credential_chain")
SETUP = "docs/deploy.md#azure-blob-storage"


class StorageRefused(RuntimeError):
    """The blob storage cannot be used as configured; the message says what to fix, in one line."""


def is_blob(data_path: str | None) -> bool:
    return bool(data_path) and data_path.lower().startswith(SCHEMES)


def container(data_path: str) -> str:
    """The container (or ADLS file system) a data path names: az://lake/dl/ → lake. A fully qualified path
    (az://account.blob.core.windows.net/lake/dl/) names it after the account's host."""
    parts = data_path.split("://", 1)[1].split("/")
    return parts[1] if "." in parts[0] and len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class Credential:
    kind: str                # "connection string", "service principal" or "credential chain"
    settings: tuple[str, ...]  # the settings it came from, as a person sets them
    options: tuple[tuple[str, str], ...]

    def secret_sql(self, name: str, literal) -> str:
        """CREATE SECRET for DuckDB's azure extension: TYPE azure with PROVIDER config, service_principal or
        credential_chain."""
        options = ", ".join(f"{key} {literal(value)}" for key, value in self.options)
        return f"CREATE OR REPLACE SECRET {name} (TYPE azure, {options})"


def _setting(name: str, configured: dict) -> str | None:
    value = os.environ.get(f"DASHBOARD_AZURE_{name.upper()}")
    if value is None or not value.strip():
        value = configured.get(name)
    return str(value).strip() if value is not None and str(value).strip() else None


def credential(configured: dict | None) -> Credential:
    """The one credential the settings choose: a connection string, else a service principal, else the credential
    chain (a managed identity, the Azure CLI's sign-in, …) for an account. Refuses half a service principal."""
    configured = {str(k).lower(): v for k, v in (configured or {}).items()}
    unknown = sorted(set(configured) - set(KEYS))
    if unknown:
        raise StorageRefused(f"[azure] in the secrets file has unknown key(s) {', '.join(unknown)}; the keys are "
                             f"{', '.join(KEYS)} ({SETUP}).")
    value = {key: _setting(key, configured) for key in KEYS}
    env = "DASHBOARD_AZURE_"
    if value["connection_string"]:
        return Credential("connection string", (env + "CONNECTION_STRING",),
                          (("PROVIDER", "config"), ("CONNECTION_STRING", value["connection_string"])))
    principal = ("tenant_id", "client_id", "client_secret", "account_name")
    if any(value[key] for key in principal[:3]):
        missing = [env + key.upper() for key in principal if not value[key]]
        if missing:
            raise StorageRefused(f"A service principal for Azure Blob Storage also needs {', '.join(missing)} "
                                 f"(or the same keys in [azure] of the secrets file; {SETUP}).")
        return Credential("service principal", tuple(env + key.upper() for key in principal),
                          (("PROVIDER", "service_principal"),) + tuple((key.upper(), value[key]) for key in principal))
    if value["account_name"]:
        options = [("PROVIDER", "credential_chain"), ("ACCOUNT_NAME", value["account_name"])]
        if value["credential_chain"]:
            options.insert(1, ("CHAIN", value["credential_chain"]))
        return Credential("credential chain", (env + "ACCOUNT_NAME",), tuple(options))
    raise StorageRefused("DASHBOARD_DATA_PATH is in Azure Blob Storage but no credential is set: set "
                         "DASHBOARD_AZURE_CONNECTION_STRING, or DASHBOARD_AZURE_TENANT_ID, _CLIENT_ID, _CLIENT_SECRET "
                         "and _ACCOUNT_NAME (a service principal), or DASHBOARD_AZURE_ACCOUNT_NAME alone (a managed "
                         f"identity through the credential chain); or the same keys in [azure] of the secrets file "
                         f"({SETUP}).")


def probe_sql(data_path: str, literal) -> str:
    """A listing under the data path: cheap, and it fails as the first write or read would (no container, refused
    credentials, no network)."""
    return f"SELECT count(*) FROM glob({literal(data_path.rstrip('/') + '/dashboard-probe-*')})"


def explain(error: Exception, data_path: str, used: Credential) -> StorageRefused:
    """DuckDB's error from the azure extension as one line that names what to fix."""
    text = " ".join(str(error).split("LINE 1:")[0].split())
    settings = ", ".join(used.settings)
    where = f"DASHBOARD_DATA_PATH ({data_path})"
    if "ContainerNotFound" in text or "FilesystemNotFound" in text:
        return StorageRefused(f"The container '{container(data_path)}' named by {where} does not exist in the storage "
                              f"account: create it, or correct DASHBOARD_DATA_PATH ({SETUP}).")
    if "AuthorizationPermissionMismatch" in text:
        return StorageRefused(f"Azure Blob Storage refused the {used.kind} ({settings}) for {where}: give its identity "
                              f"the role Storage Blob Data Contributor on the storage account or container ({SETUP}).")
    if re.search(r"Authori[sz]ationFailure|AuthenticationFailed|InvalidAuthenticationInfo|\b403\b", text):
        return StorageRefused(f"Azure Blob Storage refused the {used.kind} ({settings}) for {where}: check the "
                              f"account name and key in it ({SETUP}).")
    if "GetToken" in text or "TokenCredential" in text or "ClientSecretCredential" in text:
        return StorageRefused(f"No token could be had for the {used.kind} ({settings}): check the tenant, client id "
                              f"and secret, or that this machine has a managed identity ({SETUP}). "
                              f"Detail: {text[:160]}")
    if "Fail to get a new connection" in text or "Could not resolve" in text or "Could not connect" in text:
        return StorageRefused(f"Azure Blob Storage could not be reached for {where} with the {used.kind} ({settings}): "
                              f"check the account's endpoint in it and this machine's network. Detail: {text[:160]}")
    return StorageRefused(f"Azure Blob Storage refused {where} with the {used.kind} ({settings}): {text[:200]} "
                          f"({SETUP}).")
