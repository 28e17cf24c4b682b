"""Benchmark (not a test): the same imports and page data as bench/run.py, on the DuckLake backend.

    python bench/lake.py [--people 200000] [--months 3] [--runs 3]

It starts a throwaway PostgreSQL cluster on loopback (Debian's postgresql; run as root it uses `runuser -u
postgres`), loads the last --months months of the synthetic organisation that bench/run.py generated (or generates
one) into a DuckLake warehouse with its data under bench/out/, times each file kind's import of the last month
against raw read_csv, and each page's uncached data, then stops the cluster. It writes bench/out/ducklake.json,
which bench/run.py puts in RESULTS.md beside the embedded file's figures.
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
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run  # noqa: E402  (sets the pepper and paths the same way)

from queries import warehouse  # noqa: E402


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
    subprocess.run([f"{binaries}/createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "bench"], check=True)
    return {"bin": binaries, "port": port, "root": root}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=3, help="months loaded (the last one is the one timed)")
    parser.add_argument("--runs", type=int, default=3, help="page runs (median)")
    args = parser.parse_args(argv)
    folder, _ = run.generate((args.people, 24))
    if not (folder / "monthly").exists():
        run.split_by_month(folder)
    months = run.months_of(folder)[-args.months:]
    cluster = start_postgres(run.OUT / "pg")
    data = run.OUT / "lake-data"
    shutil.rmtree(data, ignore_errors=True)
    os.environ["DASHBOARD_DATA_PATH"] = str(data)
    location = f"ducklake:postgres:dbname=bench host=127.0.0.1 port={cluster['port']} user=postgres"
    try:
        start = time.perf_counter()
        for month in months[:-1]:
            for kind, path in run.month_files(folder, month):
                run.import_one(location, kind, path, month)
            run.log(f"  loaded {month} into DuckLake")
        history = time.perf_counter() - start
        imports = []
        for kind, path in run.month_files(folder, months[-1]):
            start = time.perf_counter()
            result = run.import_one(location, kind, path, months[-1])
            seconds = time.perf_counter() - start
            imports.append({"kind": kind, "file": path.name, "rows": result.row_count, "import_s": seconds,
                            "raw_s": run.raw_read(path)})
            run.log(f"  {path.name}: import {seconds:.3f} s on DuckLake")
        pages = run.time_pages(location, args.runs)["pages"]
        report = {"people": args.people, "months": len(months), "history_s": history, "imports": imports,
                  "pages": pages}
        (run.OUT / "ducklake.json").write_text(json.dumps(report, indent=2))
        run.log("pages on DuckLake: " + ", ".join(f"{p} {s * 1000:.0f} ms" for p, s in pages.items()))
    finally:
        warehouse.forget()
        _as_postgres([f"{cluster['bin']}/pg_ctl", "-D", str(cluster["root"] / "data"), "-m", "fast", "-w", "stop"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
