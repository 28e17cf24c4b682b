"""Benchmark (not a test): the same imports and page data as bench/run.py, on the DuckLake backend.

    python bench/lake.py [--people 200000] [--months 3] [--runs 3] [--storage folder|azurite|both]

It starts a throwaway PostgreSQL cluster on loopback (Debian's postgresql; run as root it uses `runuser -u
postgres`), loads the last --months months of the synthetic organisation that bench/run.py generated (or generates
one) into a DuckLake warehouse with its data under bench/out/, times each file kind's import of the last month
against raw read_csv, and each page's uncached data, then stops the cluster. It writes bench/out/ducklake.json,
which bench/run.py puts in RESULTS.md beside the embedded file's figures.

`--storage azurite` puts the data files in Azure Blob Storage instead: Azurite, Microsoft's emulator
(`npm ci --prefix tests/azurite`), on loopback. `--storage both` loads the same months into a folder and into
Azurite in the same run, taking turns, times both, and writes the comparison into its own marked section of
bench/RESULTS.md (docs/deploy.md#azure-blob-storage); e.g. `python bench/lake.py --people 10000 --months 3
--storage both` takes a few minutes.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import statistics
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import load  # noqa: E402  (its RESULTS.md section writer)
import run  # noqa: E402  (sets the pepper and paths the same way)

from queries import views, warehouse  # noqa: E402

ROOT = BENCH.parent
CONTAINER = "lake"
# Azurite's one account and the key Microsoft publishes for it: no secret.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _as_postgres(args: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + args, check=True, capture_output=True, text=True)


def start_postgres(root: Path) -> dict:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("PostgreSQL is not installed: apt-get install postgresql")
    binaries = os.path.dirname(found[-1])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    _as_postgres([f"{binaries}/initdb", "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "--no-sync"])
    _as_postgres([f"{binaries}/pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"), "-w", "-o",
                  f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"])
    for name in ("bench", "bench_blob"):
        subprocess.run([f"{binaries}/createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", name], check=True)
    return {"bin": binaries, "port": port, "root": root}


def start_azurite(root: Path) -> tuple[subprocess.Popen, str]:
    """Azurite's blob service on a free loopback port with one container; (process, connection string)."""
    binary = ROOT / "tests" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        sys.exit("Azurite is not installed: npm ci --prefix tests/azurite")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
                                str(root), "--skipApiVersionCheck", "--loose", "--silent"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connection = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
                  f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;")
    from azure.storage.blob import BlobServiceClient

    deadline = time.monotonic() + 60
    while True:
        try:
            BlobServiceClient.from_connection_string(connection).create_container(CONTAINER)
            return process, connection
        except Exception:  # not listening yet
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.3)


def measure(locations: dict[str, str], folder: Path, months: list[str], runs: int) -> dict[str, dict]:
    """Load every month but the last, time each file of the last month's import and each page's uncached data, on
    every location given ({storage: location}). The storages take turns file by file and page run by page run, so
    a shared machine's changing load falls on all of them alike."""
    found = {storage: {"history_s": 0.0, "imports": [], "pages": {}} for storage in locations}
    for month in months[:-1]:
        for kind, path in run.month_files(folder, month):
            for storage, location in locations.items():
                start = time.perf_counter()
                run.import_one(location, kind, path, month)
                found[storage]["history_s"] += time.perf_counter() - start
        run.log(f"  loaded {month} into DuckLake on {', '.join(locations)}")
    for kind, path in run.month_files(folder, months[-1]):
        raw = run.raw_read(path)
        for storage, location in locations.items():
            start = time.perf_counter()
            result = run.import_one(location, kind, path, months[-1])
            seconds = time.perf_counter() - start
            found[storage]["imports"].append({"kind": kind, "file": path.name, "rows": result.row_count,
                                              "import_s": seconds, "raw_s": raw})
            run.log(f"  {path.name}: import {seconds:.3f} s on DuckLake on {storage}")
    scopes = {}
    for storage, location in locations.items():
        with warehouse.opened(location) as conn:
            scopes[storage] = run.page_scope(conn)
    for page in views.PAGES:
        times = {storage: [] for storage in locations}
        for _ in range(runs):
            for storage, location in locations.items():
                start = time.perf_counter()
                with warehouse.opened(location) as conn:
                    run.run_page(conn, page, scopes[storage])
                times[storage].append(time.perf_counter() - start)
        for storage in locations:
            found[storage]["pages"][page] = statistics.median(times[storage])
    for storage in locations:
        run.log(f"pages on DuckLake on {storage}: "
                + ", ".join(f"{p} {s * 1000:.0f} ms" for p, s in found[storage]["pages"].items()))
    return found


def blob_section(people: int, months: int, folder: dict, blob: dict, seconds: float) -> str:
    """The comparison as Markdown, for its marked section of RESULTS.md."""
    ratio = lambda a, b: f"{a / b:.2f}x" if b else "-"  # noqa: E731

    def total(found: dict, what: str) -> float:
        return sum(found["pages"].values()) if what == "pages" else sum(i["import_s"] for i in found["imports"])

    lines = [f"## DuckLake on Azure Blob Storage against a local folder (bench/lake.py --storage both, "
             f"written {time.strftime('%Y-%m-%d %H:%M')})", "",
             f"{people:,} people x {months} months, loaded into two catalogs on one PostgreSQL server in one run "
             f"({seconds / 60:.1f} minutes), with the data files in a local folder and in Azure Blob Storage served by "
             f"Azurite on loopback, so without a network's latency: a storage account in another building adds its "
             f"round trips. The two take turns file by file and page run by page run, so the shared machine's load "
             f"falls on both alike; absolute times move with that load (load average {os.getloadavg()[0]:.1f} on 2 "
             f"cores at the end), so read the ratios.", "",
             f"In all: page data {total(blob, 'pages'):.1f} s on blob against {total(folder, 'pages'):.1f} s on the "
             f"folder ({ratio(total(blob, 'pages'), total(folder, 'pages'))}); the last month's imports "
             f"{total(blob, 'imports'):.1f} s against {total(folder, 'imports'):.1f} s "
             f"({ratio(total(blob, 'imports'), total(folder, 'imports'))}).", "",
             "| Page (uncached data, median) | folder | blob | blob / folder |", "| --- | ---: | ---: | ---: |"]
    for page, seconds_folder in folder["pages"].items():
        seconds_blob = blob["pages"][page]
        lines.append(f"| {page} | {seconds_folder * 1000:.0f} ms | {seconds_blob * 1000:.0f} ms | "
                     f"{ratio(seconds_blob, seconds_folder)} |")
    lines += ["", "| Import of the last month (file) | rows | folder | blob | blob / folder |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for on_folder, on_blob in zip(folder["imports"], blob["imports"]):
        lines.append(f"| {on_folder['file']} | {on_folder['rows']:,} | {on_folder['import_s']:.2f} s | "
                     f"{on_blob['import_s']:.2f} s | {ratio(on_blob['import_s'], on_folder['import_s'])} |")
    lines += ["", f"Loading the months before it: {folder['history_s']:.1f} s on the folder, "
                  f"{blob['history_s']:.1f} s on blob storage.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=3, help="months loaded (the last one is the one timed)")
    parser.add_argument("--runs", type=int, default=3, help="page runs (median)")
    parser.add_argument("--storage", choices=("folder", "azurite", "both"), default="folder",
                        help="where DuckLake keeps its data files (both: compared in one run)")
    args = parser.parse_args(argv)
    folder, _ = run.generate((args.people, 24))
    if not (folder / "monthly").exists():
        run.split_by_month(folder)
    months = run.months_of(folder)[-args.months:]
    began = time.perf_counter()
    cluster = start_postgres(run.OUT / "pg")
    azurite = None
    locations = {}
    try:
        # Each warehouse is attached once with its own data path, and stays attached (docs/architecture.md), so both
        # can be open in this process at once.
        if args.storage in ("folder", "both"):
            data = run.OUT / "lake-data"
            shutil.rmtree(data, ignore_errors=True)
            os.environ["DASHBOARD_DATA_PATH"] = str(data)
            locations["folder"] = f"ducklake:postgres:dbname=bench host=127.0.0.1 port={cluster['port']} user=postgres"
            with warehouse.opened(locations["folder"]):
                pass
        if args.storage in ("azurite", "both"):
            azurite, connection = start_azurite(run.OUT / "azurite")
            os.environ["DASHBOARD_AZURE_CONNECTION_STRING"] = connection
            os.environ["DASHBOARD_DATA_PATH"] = f"az://{CONTAINER}/bench/"
            locations["blob"] = (f"ducklake:postgres:dbname=bench_blob host=127.0.0.1 port={cluster['port']} "
                                 "user=postgres")
            with warehouse.opened(locations["blob"]):
                pass
        found = measure(locations, folder, months, args.runs)
        first = found.get("folder") or found["blob"]
        report = {"people": args.people, "months": len(months), "storage": args.storage, **first}
        (run.OUT / "ducklake.json").write_text(json.dumps(report, indent=2))
        if args.storage == "both":
            load.write_section(blob_section(args.people, len(months), found["folder"], found["blob"],
                                           time.perf_counter() - began), run.BLOB_SECTION)
            run.log(f"wrote the comparison to {load.RESULTS_MD}")
    finally:
        warehouse.forget()
        _as_postgres([f"{cluster['bin']}/pg_ctl", "-D", str(cluster["root"] / "data"), "-m", "fast", "-w", "stop"])
        if azurite is not None:
            azurite.terminate()
            try:
                azurite.wait(timeout=10)
            except subprocess.TimeoutExpired:
                azurite.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
