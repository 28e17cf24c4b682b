"""Command line: python -m queries import | stage | metrics | ledger | undo | demo. A thin shell over the same functions the pages call."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from . import demo, metrics, stages, uploads, warehouse
from .imports import ImportRefused


def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(repr(value))


def cmd_import(args) -> int:
    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as error:
            print(f"{name}: cannot read the file ({error.strerror}).", file=sys.stderr)
            failed += 1
            continue
        try:
            result = uploads.import_file(path.name, data, location=args.db, month=args.month, kind=args.kind,
                                         actor=uploads.CLI, allow_period=args.allow_period)
        except (ImportRefused, warehouse.WarehouseBusy) as refused:
            print(str(refused), file=sys.stderr)
            failed += 1
            continue
        print(result.summary())
    return 1 if failed else 0


def _chosen_month(conn, args):
    """--month, or the latest month held; None (having said why) when the warehouse is empty."""
    month = metrics.as_month(args.month) if args.month else metrics.latest_month(conn)
    if month is None:
        print("The warehouse holds no data yet; import files first (python -m queries demo loads the demo).",
              file=sys.stderr)
    return month


def cmd_metrics(args) -> int:
    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args)
        if month is None:
            return 1
        values = metrics.org_month(conn, month)
    if args.json:
        print(json.dumps(values))
    else:
        print(f"Metrics for {month:%Y-%m}")
        for key, value in values.items():
            print(f"  {key:26} {'—' if value is None else value}")
    return 0


def cmd_stage(args) -> int:
    try:
        rubric = stages.load()
    except stages.RubricError as error:
        print(str(error), file=sys.stderr)
        return 1
    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args)
        if month is None:
            return 1
        placement = stages.evaluate(conn, month, rubric)
    if args.json:
        print(json.dumps(placement.as_json()))
        return 0
    print(f"{month:%B %Y}: stage {placement.stage} of {placement.top}, {placement.stage_name}"
          + (f" ({placement.motto})" if placement.stage else ""))
    for stage in placement.stages:
        verdict = "passes" if stage.passes else "does not pass"
        print(f"\nStage {stage.number} {stage.name}: {verdict} ({stage.met} of {stage.total} met)")
        for c in placement.of_stage(stage.number):
            line = (f"  {stages.STATUS_LABELS[c.status]:8} {c.id:3} {c.label}: {stages.shown(c.unit, c.value)}"
                    f" (needs {stages.shown_threshold(c)})")
            if c.needs:
                line += f". {c.needs}."
            print(line)
    following = placement.next_stage
    if following:
        print(f"\nTo reach stage {following.number} {following.name}:")
        for c in placement.gaps:
            projection = placement.projections.get(c.id)
            outlook = f" Projection at the last 6 months' pace: {projection.text}." if projection else ""
            print(f"  - {c.id} {c.label}: {c.hint}{outlook}")
    else:
        print("\nEvery stage passes.")
    return 0


def cmd_ledger(args) -> int:
    with warehouse.opened(args.db) as conn:
        rows = uploads.ledger(conn)
    if args.json:
        print(json.dumps(rows, default=_json_default))
        return 0
    if not rows:
        print("No uploads yet.")
    for row in rows:
        print(f"#{row['upload_id']:<4} {row['status']:9} {row['kind']:12} {row['months']:16} {row['row_count']:>7} rows  "
              f"{row['file_name']}  ({row['uploaded_at']}, {row['uploaded_by']})")
    return 0


def cmd_undo(args) -> int:
    with warehouse.opened(args.db) as conn:
        restored = uploads.undo(conn, args.upload_id, actor=uploads.CLI)
    line = f"Upload #{args.upload_id} undone."
    if restored:
        line += " Restored the data it had replaced: " + ", ".join(f"#{r}" for r in restored) + "."
    print(line)
    return 0


def cmd_maintain(args) -> int:
    location = warehouse.resolve_location(args.db)
    with warehouse.opened(location) as conn:
        warehouse.maintain(conn, location)
    print(f"Compacted {warehouse.describe(location)}.")
    return 0


def cmd_brief(args) -> int:
    from . import brief

    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args)
        if month is None:
            return 1
        if month not in metrics.months(conn):
            print(f"The warehouse holds no data for {month:%Y-%m}.", file=sys.stderr)
            return 1
        pdf = brief.build_brief(conn, month)
    Path(args.out).write_bytes(pdf)
    print(f"Wrote the {month:%B %Y} brief to {args.out}")
    return 0


def cmd_synth(args) -> int:
    from . import synth

    files = synth.write_org(args.out, people=args.people, months=args.months, end_month=args.end_month,
                            seed=args.seed, fmt=args.format)
    print(f"Wrote {len(files)} files for {args.people:,} people over {args.months} months to {args.out}")
    return 0


def cmd_demo(args) -> int:
    results = demo.load_demo(args.db, who="demo")
    for result in results:
        print(result.summary())
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m queries", description="Social business dashboard: warehouse CLI.")
    sub = top.add_subparsers(dest="command", required=True)

    def add(name, handler, help_text):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--db", help="warehouse location (overrides DASHBOARD_DB)")
        p.set_defaults(handler=handler)
        return p

    p = add("import", cmd_import, "import export files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--month", help="YYYY-MM, for files that do not say which month they cover")
    p.add_argument("--kind", help="force the kind: roster, activity, communities, champions, training, kpis, checklist")
    p.add_argument("--allow-period", action="store_true",
                   help="accept an M365 report whose period is not 30 days (needs --month)")
    p = add("metrics", cmd_metrics, "headline metrics for a month")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--json", action="store_true")
    p = add("stage", cmd_stage, "where the organisation stands among the six stages, with the evidence")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--json", action="store_true")
    p = add("ledger", cmd_ledger, "list uploads")
    p.add_argument("--json", action="store_true")
    p = add("undo", cmd_undo, "take an upload back out")
    p.add_argument("upload_id", type=int)
    add("demo", cmd_demo, "load the demo data")
    add("maintain", cmd_maintain, "compact the warehouse (on DuckLake: merge small files, drop snapshots older "
                                  "than a day); safe while the app runs")
    p = add("brief", cmd_brief, "write the one-page executive brief (PDF) for a month")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--out", required=True, help="the PDF file to write")
    p = sub.add_parser("synth", help="write the exports of a synthetic organisation (for benchmarks and trials)")
    p.add_argument("--people", type=int, default=1500)
    p.add_argument("--months", type=int, default=18)
    p.add_argument("--end-month", default="2026-10", help="YYYY-MM of the last month")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--format", choices=("vendor", "canonical"), default="vendor",
                   help="vendor: real Viva Engage, Teams and Slack exports (default); canonical: the templates")
    p.add_argument("--out", required=True, help="folder to write the files into")
    p.set_defaults(handler=cmd_synth)
    return top


def secrets_pepper() -> str | None:
    """`pepper` from the secrets.toml files Streamlit reads by default, the home folder's and then the working
    folder's (which wins), so an import run from the app's folder uses the app's pepper. Read as plain TOML: the
    CLI never imports Streamlit. None when neither file sets it; a file that is not valid TOML is an error."""
    import tomllib

    found = None
    for path in (Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        try:
            value = tomllib.loads(text).get("pepper")
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path} is not valid TOML: {error}") from None
        if value:
            found = str(value)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        warehouse.configure(pepper=secrets_pepper())
        return args.handler(args)
    except (ImportRefused, warehouse.WarehouseBusy) as error:
        print(str(error), file=sys.stderr)
        return 1
    except Exception as error:  # the CLI never shows a traceback; the message is enough to act on
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
