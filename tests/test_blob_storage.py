"""DuckLake's data files in Azure Blob Storage (docs/deploy.md#azure-blob-storage): the credential chosen from the
settings, a one-line message naming what to fix when the storage refuses, the same figures as on a local folder,
and erased bytes gone from the container. The tests that need a storage server run in the DuckLake pass on Azurite
(DASHBOARD_TEST_BACKEND=ducklake DASHBOARD_TEST_STORAGE=azurite); the others run everywhere."""
import os
import subprocess
import sys

import pytest
from conftest import (_AZ, AZURITE, AZURITE_ACCOUNT, AZURITE_KEY, DUCKLAKE, PEPPER, ROOT, _createdb,
                      azurite_connection_string, lake_files, start_streamlit, stop_streamlit)
from small_org import emails, load_org, own_location, person_key

from queries import blob_storage, metrics, storage, uploads, warehouse

on_azurite = pytest.mark.skipif(not (DUCKLAKE and AZURITE), reason="runs on Azurite "
                                "(DASHBOARD_TEST_BACKEND=ducklake DASHBOARD_TEST_STORAGE=azurite)")
VARIABLES = ("CONNECTION_STRING", "TENANT_ID", "CLIENT_ID", "CLIENT_SECRET", "ACCOUNT_NAME", "CREDENTIAL_CHAIN")


@pytest.fixture
def no_azure_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(f"DASHBOARD_AZURE_{name}", raising=False)


def test_blob_paths_are_recognised_and_name_their_container():
    assert blob_storage.is_blob("az://lake/dl/") and blob_storage.is_blob("abfss://lake/dl/")
    assert blob_storage.is_blob("azure://lake/dl/")
    assert not blob_storage.is_blob("s3://bucket/dl/") and not blob_storage.is_blob("/srv/lake")
    assert blob_storage.container("az://lake/dl/") == "lake"
    assert blob_storage.container("abfss://files/dl/") == "files"
    assert blob_storage.container("az://acct.blob.core.windows.net/lake/dl/") == "lake"


def test_each_credential_becomes_its_duckdb_secret(no_azure_env, monkeypatch):
    literal = warehouse._literal
    monkeypatch.setenv("DASHBOARD_AZURE_CONNECTION_STRING", "AccountName=a;AccountKey=k")
    chosen = blob_storage.credential(None)
    assert chosen.kind == "connection string"
    assert chosen.secret_sql("s", literal) == ("CREATE OR REPLACE SECRET s (TYPE azure, PROVIDER 'config', "
                                               "CONNECTION_STRING 'AccountName=a;AccountKey=k')")
    monkeypatch.delenv("DASHBOARD_AZURE_CONNECTION_STRING")
    # a service principal from the secrets file's [azure], one key of it overridden by the environment
    monkeypatch.setenv("DASHBOARD_AZURE_CLIENT_SECRET", "from-env")
    chosen = blob_storage.credential({"tenant_id": "t", "client_id": "c", "client_secret": "file",
                                      "account_name": "acct"})
    assert chosen.kind == "service principal"
    assert chosen.secret_sql("s", literal) == ("CREATE OR REPLACE SECRET s (TYPE azure, PROVIDER 'service_principal', "
                                               "TENANT_ID 't', CLIENT_ID 'c', CLIENT_SECRET 'from-env', "
                                               "ACCOUNT_NAME 'acct')")
    monkeypatch.delenv("DASHBOARD_AZURE_CLIENT_SECRET")
    # an account alone: the credential chain, which finds a managed identity
    chosen = blob_storage.credential({"account_name": "acct", "credential_chain": "managed_identity"})
    assert chosen.secret_sql("s", literal) == ("CREATE OR REPLACE SECRET s (TYPE azure, PROVIDER 'credential_chain', "
                                               "CHAIN 'managed_identity', ACCOUNT_NAME 'acct')")


def test_every_secret_loads_into_duckdbs_azure_extension(no_azure_env):
    import duckdb

    conn = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    conn.execute(f"LOAD {warehouse._literal(warehouse.extension_path('azure'))}")
    for settings in ({"connection_string": azurite_connection_string(1)},
                     {"tenant_id": "t", "client_id": "c", "client_secret": "s", "account_name": "acct"},
                     {"account_name": "acct"}):
        conn.execute(blob_storage.credential(settings).secret_sql("probe", warehouse._literal))
    assert conn.execute("SELECT count(*) FROM duckdb_secrets() WHERE type = 'azure'").fetchone()[0] == 1


@pytest.mark.parametrize("settings,named", [
    ({}, "DASHBOARD_AZURE_CONNECTION_STRING"),
    ({"tenant_id": "t", "client_id": "c"}, "DASHBOARD_AZURE_CLIENT_SECRET, DASHBOARD_AZURE_ACCOUNT_NAME"),
    ({"account": "acct"}, "unknown key(s) account"),
])
def test_missing_or_half_credentials_are_refused_naming_the_setting(no_azure_env, settings, named):
    with pytest.raises(blob_storage.StorageRefused) as refused:
        blob_storage.credential(settings)
    assert named in str(refused.value) and "\n" not in str(refused.value)


def cli(*args, env: dict):
    return subprocess.run([sys.executable, "-m", "queries", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DASHBOARD_PEPPER": PEPPER, **env})


@on_azurite
@pytest.mark.parametrize("case", ["wrong key", "no container", "no credential"])
def test_a_wrong_credential_or_missing_container_is_one_line_naming_what_to_fix(tmp_path, case):
    location = _createdb(f"refused_{abs(hash(case)) % 10**8}")  # a new catalog: nothing attached in this process
    wrong_key = AZURITE_KEY.replace("Eby8", "Xby8")
    env = {"wrong key": {"DASHBOARD_AZURE_CONNECTION_STRING": azurite_connection_string(_AZ["port"], wrong_key)},
           "no container": {"DASHBOARD_DATA_PATH": "az://no-such-container/dl/"},
           "no credential": {"DASHBOARD_AZURE_CONNECTION_STRING": ""}}[case]
    done = cli("ledger", "--db", location, env=env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert wrong_key not in done.stderr and AZURITE_ACCOUNT + ";AccountKey" not in done.stderr
    expected = {"wrong key": "refused the connection string (DASHBOARD_AZURE_CONNECTION_STRING)",
                "no container": "The container 'no-such-container' named by DASHBOARD_DATA_PATH",
                "no credential": "no credential is set: set DASHBOARD_AZURE_CONNECTION_STRING"}[case]
    assert expected in lines[0], lines[0]


@on_azurite
def test_a_server_with_a_wrong_credential_logs_one_line_and_shows_viewers_a_reference(tmp_path):
    import http.client
    import json

    location = _createdb(f"served_refused_{os.urandom(4).hex()}")
    wrong = azurite_connection_string(_AZ["port"], AZURITE_KEY.replace("Eby8", "Xby8"))
    with open(tmp_path / "server.log", "w") as log:
        process, base = start_streamlit(location, log, env={"DASHBOARD_AZURE_CONNECTION_STRING": wrong,
                                                            "DASHBOARD_RAISE_ERRORS": "0"},
                                        options=["--server.enableAgentApi", "true"])
        try:
            connection = http.client.HTTPConnection(base.split("//")[1], timeout=240)
            connection.request("POST", "/_stcore/agent/interact", json.dumps({"page": ""}),
                               {"Content-Type": "application/json"})
            answer = connection.getresponse().read().decode()
        finally:
            stop_streamlit(process)
    assert "give your dashboard admin the reference" in answer and "AccountKey" not in answer
    logged = (tmp_path / "server.log").read_text()
    refused = [line for line in logged.splitlines() if "storage refused" in line]
    assert refused and "refused the connection string (DASHBOARD_AZURE_CONNECTION_STRING)" in refused[0], logged[-2000:]
    assert "Traceback" not in logged and "Xby8" not in logged


def figures(location: str) -> dict:
    with warehouse.opened(location) as conn:
        rollups = {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                   for t in ("org_rollup", "cohort_rollup", "segment_moves", "month_status")}
        return {"rollups": rollups, "months": {str(m): metrics.org_month(conn, m) for m in metrics.months(conn)}}


@pytest.fixture
def org_on_blob(tmp_path, monkeypatch) -> tuple[str, str, list[str]]:
    """(location, its data path in the container, the people) of the small organisation loaded on blob storage
    of its own (own_location)."""
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DATA_PATH", os.environ["DASHBOARD_DATA_PATH"])  # own_location sets its own
    people = emails()
    location = own_location(tmp_path, "on_blob")
    load_org(location, people)
    return location, os.environ["DASHBOARD_DATA_PATH"], people


@on_azurite
def test_blob_storage_gives_the_same_figures_as_a_local_folder(org_on_blob, tmp_path, monkeypatch, every_group_shown):
    on_blob, blob_path, people = org_on_blob
    assert blob_path.startswith("az://") and any(name.endswith(".parquet") for name, _ in lake_files(blob_path))
    monkeypatch.setenv("DASHBOARD_DATA_PATH", str(tmp_path / "folder"))
    on_folder = _createdb("on_folder_" + os.urandom(4).hex())
    load_org(on_folder, people)
    assert list((tmp_path / "folder").rglob("*.parquet"))
    folder_figures = figures(on_folder)
    monkeypatch.setenv("DASHBOARD_DATA_PATH", blob_path)
    assert figures(on_blob) == folder_figures


@on_azurite
def test_an_erasure_deletes_the_persons_blobs_from_the_container(org_on_blob):
    location, data_path, people = org_on_blob
    gone = person_key(people[0]).encode()
    before = dict(lake_files(data_path))  # listed through Azure's own client, not DuckDB
    holding = {name for name, data in before.items() if gone in data}
    assert holding, "the uncompressed Parquet files hold the person's key before the erasure"
    storage.erase_people([people[0]], location=location, actor=uploads.CLI)
    warehouse.forget(location)
    after = dict(lake_files(data_path))
    assert not holding & set(after), "every blob that held the person is deleted"
    assert not any(gone in data for data in after.values())
    assert any(person_key(people[1]).encode() in data for data in after.values()), "the others' rows stay"
