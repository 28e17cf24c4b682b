"""Command line: python -m queries import | stage | alerts | metrics | segments | cohorts | communities | ledger | undo
| erase | backup | restore | demo | digest | brief | maintain | synth | impact | forecast. A thin shell over the same functions the pages call."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from . import access, alerts, communities, demo, forecasts, initiatives, metrics, participation, stages, uploads, warehouse
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
                                         actor=uploads.CLI, allow_period=args.allow_period, mapping=args.mapping)
        except (ImportRefused, warehouse.WarehouseBusy) as refused:
            print(str(refused), file=sys.stderr)
            failed += 1
            continue
        print(result.summary())
    return 1 if failed else 0


def _chosen_month(conn, args, held: bool = False):
    """--month, or the latest month held; None (having said why) when the warehouse is empty, or with `held`, when
    --month names a month it holds no data for."""
    month = metrics.as_month(args.month) if args.month else metrics.latest_month(conn)
    if month is None:
        print("The warehouse holds no data yet; import files first (python -m queries demo loads the demo).",
              file=sys.stderr)
    elif held and month not in (months := metrics.months(conn)):
        shown = ", ".join(f"{m:%Y-%m}" for m in months)
        print(f"The warehouse holds no data for {month:%Y-%m}; choose from: {shown}.", file=sys.stderr)
        return None
    return month


def cmd_metrics(args) -> int:
    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args, held=True)
        if month is None:
            return 1
        filters = _cli_filters(conn, args)
        if filters is None:
            return 1
        values = metrics.cli_metrics(conn, month, filters)
    if args.json:
        print(json.dumps(values))
    else:
        print(f"Metrics for {month:%Y-%m}")
        for key, value in values.items():
            print(f"  {key:26} {'—' if value is None else value}")
    return 0


def cmd_communities(args) -> int:
    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args)
        if month is None:
            return 1
        min_group = metrics.min_group_or_default(None)
        rows = communities.of_month(conn, month, args.tool, min_group)
    on_tool = f" for {args.tool}" if args.tool else ""
    if rows is None:
        print(f"The warehouse holds no communities data{on_tool} for {month:%Y-%m}.", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(communities.as_json(rows)))
        return 0
    shown = communities.as_json(rows)
    counts = communities.status_counts(rows)
    hidden = len(rows) - len(shown)
    print(f"Communities{on_tool}, {month:%Y-%m}")
    if shown:
        width = max(len("community"), *(len(r["community"]) for r in shown))
        print(f"  {'tool':12} {'community':{width}} {'members':>8} {'posts':>7} {'reads':>8} {'reactions':>9}  status")
        for r in shown:
            cells = ["—" if r[k] is None else f"{r[k]:,}" for k in ("members", "posts", "reads", "reactions")]
            print(f"  {r['tool']:12} {r['community']:{width}} {cells[0]:>8} {cells[1]:>7} {cells[2]:>8} "
                  f"{cells[3]:>9}  {r['status']}")
    line = (f"{len(rows)} communities: {counts['active']} active, {counts['quiet']} quiet, {counts['dormant']} "
            "dormant")
    if hidden:
        line += f" ({hidden} with fewer than {min_group} members or no member count: counted, not listed)"
    print(line + ".")
    return 0


def cmd_alerts(args) -> int:
    try:
        rules = alerts.rules()
    except stages.RubricError as error:
        print(str(error), file=sys.stderr)
        return 1
    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args, held=True)
        if month is None:
            return 1
        found = alerts.alerts(conn, month, rules, today=args.today)
    if args.json:
        print(json.dumps([a.as_json() for a in found]))
        return 0
    for alert in found:
        print(f"{alert.rule}: {alert.message}")
    print(f"{len(found)} alert{'s' if len(found) != 1 else ''} for {month:%B %Y}.", file=sys.stderr)
    return 0


def cmd_access(args) -> int:
    """What the [access] settings give EMAIL: its role and the departments it may see (null: the whole
    organisation), so an operator can check the rules before anyone signs in."""
    grant = access.grant_for(args.email, secrets_section("access"))
    if grant is None:
        if args.json:
            print(json.dumps({"role": None, "departments": None}))
        print(f"{args.email} may not sign in under the [access] settings (allowed_domains).", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(grant.as_json()))
        return 0
    print(f"{args.email}: {grant.role}, "
          + ("the whole organisation" if grant.departments is None else "only " + ", ".join(grant.departments)))
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day such as 2026-11-12") from None


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
            print("  - " + stages.gap_words(c, placement.projections.get(c.id)).line)
    else:
        print("\nEvery stage passes.")
    return 0


def _cli_filters(conn, args) -> metrics.Filters | None:
    """--department, --region and --unit as Filters; None (having said which values exist) when one names nothing
    held."""
    as_then = bool(getattr(args, "as_then", False))
    options = metrics.filter_options(conn, as_then)
    for values, held, flag in ((args.department, options.departments, "--department"),
                               (args.region, options.regions, "--region"), (args.unit, options.units, "--unit")):
        unknown = [v for v in values or [] if v not in held]
        if unknown:
            print(f"{flag} {unknown[0]!r} is not in the data held; choose from: {', '.join(held) or 'none yet'}.",
                  file=sys.stderr)
            return None
    return metrics.Filters(tuple(args.department or ()), tuple(args.region or ()), tuple(args.unit or ()),
                           as_then=as_then)


def cmd_segments(args) -> int:
    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args, held=True)
        if month is None:
            return 1
        filters = _cli_filters(conn, args)
        if filters is None:
            return 1
        values = participation.segments(conn, month, filters)
        withheld = bool(metrics.withheld_months(conn, month, month, filters))
    if args.json:
        print(json.dumps(values))
        return 0
    print(f"Participation for {month:%Y-%m} (docs/metrics.md#participation)")
    if withheld:
        print(f"  Withheld: this selection holds fewer than {metrics.min_group_or_default(None)} people "
              "(docs/metrics.md#minimum-group-size).")
        return 0
    for key, value in values.items():
        shown = "—" if value is None else (f"{value:.1%}" if key == "stickiness" else f"{value:,}")
        print(f"  {key:12} {shown}")
    return 0


def cmd_cohorts(args) -> int:
    with warehouse.opened(args.db) as conn:
        last = _chosen_month(conn, args, held=True)
        if last is None:
            return 1
        filters = _cli_filters(conn, args)
        if filters is None:
            return 1
        found = participation.cohorts(conn, metrics.months(conn)[0], last, filters)
    rows = [{"cohort": f"{c['cohort']:%Y-%m}", "size": c["size"],
             "retention": {str(k): v for k, v in c["retention"].items()}} for c in found]
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("No cohort of at least the minimum group size yet (docs/metrics.md#cohort-retention).")
    for row in rows:
        shares = "  ".join(f"+{k} {v:.0%}" for k, v in row["retention"].items())
        print(f"{row['cohort']}  {row['size']:>7,}  {shares}")
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


def cmd_erase(args) -> int:
    from . import erasure, storage

    if not args.yes:
        warning = (f"Erasing {len(args.emails)} {'person' if len(args.emails) == 1 else 'people'} removes every row "
                   "of them for good and keeps them out of later imports")
        if not sys.stdin.isatty():
            print(f"{warning}; add --yes to go ahead. Nothing was erased.", file=sys.stderr)
            return 1
        if input(f"{warning}. Type yes to go ahead: ").strip().lower() != "yes":
            print("Nothing was erased.", file=sys.stderr)
            return 1
    try:
        done = storage.erase_people(args.emails, location=args.db, actor=uploads.CLI)
    except erasure.UnknownPerson as error:
        print(str(error), file=sys.stderr)
        return 1
    for line in done.lines():
        print(line)
    return 0


def cmd_backup(args) -> int:
    from . import backup

    manifest = backup.backup(args.out, args.db)
    rows = sum(manifest["tables"].values())
    print(f"Wrote a backup of {warehouse.describe(warehouse.resolve_location(args.db))} to {args.out}: "
          f"{rows:,} rows in {len(manifest['tables'])} tables, {len(manifest['erased'])} erasure-list entries "
          "(one per erased address or id).")
    return 0


def cmd_restore(args) -> int:
    from . import backup

    try:
        done = backup.restore(args.file, args.db, replace=args.replace)
    except backup.RestoreRefused as error:
        print(str(error), file=sys.stderr)
        return 1
    for line in done.lines():
        print(line)
    return 0


def cmd_maintain(args) -> int:
    from . import retention, storage

    location = warehouse.resolve_location(args.db)
    try:
        months = retention.setting(secrets_section("retention"), os.environ)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 1
    removed = {}
    with warehouse.opened(location) as conn:
        if months is not None:
            start, removed = retention.expire(conn, months, who=uploads.CLI.label)
            if start is None:
                print("Retention: the warehouse holds no month yet.")
            else:
                print(f"Retention {months} months: person-level rows before {start:%Y-%m} "
                      + ("removed: " + ", ".join(f"{n:,} rows of {t}" for t, n in sorted(removed.items()))
                         if removed else "were already gone") + ". Rollups keep every month's figures.")
    if removed:
        print(storage.purge(location))
    with warehouse.opened(location) as conn:
        warehouse.maintain(conn, location)
    print(f"Compacted {warehouse.describe(location)}.")
    return 0


def cmd_brief(args) -> int:
    from . import brief

    with warehouse.opened(args.db) as conn:
        month = _chosen_month(conn, args, held=True)
        if month is None:
            return 1
        pdf = brief.build_brief(conn, month)
    Path(args.out).write_bytes(pdf)
    print(f"Wrote the {month:%B %Y} brief to {args.out}")
    return 0


def cmd_digest(args) -> int:
    from . import digest

    if bool(args.dry_run) != bool(args.out):
        print("--dry-run and --out go together: --dry-run --out FILE.eml writes the message instead of sending it.",
              file=sys.stderr)
        return 1
    try:
        settings = digest.settings(secrets_section("digest"), os.environ)
        scoped_by = secrets_section("access")  # scoped viewers on the list get their departments' digest
        if args.dry_run:
            report = digest.write_eml(args.db, args.month, settings, args.out, resend=args.resend,
                                      access_section=scoped_by)
        else:
            report = digest.send(args.db, args.month, settings, uploads.CLI, resend=args.resend,
                                 access_section=scoped_by)
    except (digest.DigestError, stages.RubricError) as error:
        print(str(error), file=sys.stderr)
        return 1
    # Standard output holds exactly one line per recipient, for scripts; the summary goes to standard error.
    for delivery in report.deliveries:
        print(delivery.line())
    if args.dry_run:
        print(f"Wrote the {report.month:%B %Y} digest to {', '.join(str(f) for f in report.files)}; nothing was "
              "sent or recorded.", file=sys.stderr)
        return 0
    print(report.summary(), file=sys.stderr)
    # 1: someone did not get it; 3: nothing to do, everyone already had it or another run is sending it to them
    return 1 if report.failed else 3 if report.refused else 0


def cmd_impact(args) -> int:
    with warehouse.opened(args.db) as conn:
        initiative = initiatives.find(conn, args.name)
        if initiative is None:
            known = ", ".join(i.name for i in initiatives.held(conn)) or "none yet (upload an initiatives.csv)"
            print(f"No initiative is called {args.name!r}; the initiatives are: {known}.", file=sys.stderr)
            return 1
        result = initiatives.effect(conn, initiative, args.metric, args.months)
    if args.json:
        print(json.dumps(result.as_json()))
    else:
        print(f"{initiative.name} (from {initiative.start:%Y-%m}), effect on {args.metric}")
        print(f"  {result.sentence}")
    return 0


def cmd_forecast(args) -> int:
    with warehouse.opened(args.db) as conn:
        result = forecasts.of_metric(conn, args.metric, args.months)
    if result.reason:
        print(result.reason, file=sys.stderr)
    points = [{"month": f"{p.month:%Y-%m}", "value": p.value, "lo80": p.lo80, "hi80": p.hi80}
              for p in result.points]
    if args.json:
        print(json.dumps(points))
    else:
        for point in points:
            print(f"  {point['month']}  {point['value']:.1%}  (80%: {point['lo80']:.1%}–{point['hi80']:.1%})")
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


def _months(text: str) -> int:
    """A --months value: a whole number of months from 1 to 36."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 36:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of months from 1 to 36")
    return value


def _filter_arguments(p: argparse.ArgumentParser) -> None:
    for flag, what in (("--department", "department"), ("--region", "region"), ("--unit", "business unit")):
        p.add_argument(flag, action="append", metavar="NAME", help=f"only this {what} (repeat for several)")
    p.add_argument("--as-then", action="store_true",
                   help="departments as organised then, under the names each month's roster had (default: as "
                        "organised today, docs/metrics.md#departments-as-organised-today)")


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
    p.add_argument("--kind", help="force the kind: roster, activity, communities, champions, training, kpis, checklist, "
                                           "departments")
    p.add_argument("--allow-period", action="store_true",
                   help="accept an M365 report whose period is not 30 days (needs --month)")
    p.add_argument("--mapping", metavar="NAME",
                   help="read an HR export as a roster with the column mapping saved under NAME on the Data page "
                        "(without it, a file no built-in format reads uses the one mapping saved for its exact columns, if any)")
    p = add("metrics", cmd_metrics, "headline metrics for a month, for the whole organisation or a scope")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--json", action="store_true")
    _filter_arguments(p)
    p = add("communities", cmd_communities, "community health for a month: each community's members, posts, "
                                             "reads, reactions and status (active, quiet, dormant)")
    p.description = ("Community health for a month (docs/metrics.md#community-health). Communities belong to no "
                     "department, so there is no department, region or business unit filter; --tool applies. "
                     "Communities with fewer members than the minimum group size (or no member count) are counted "
                     "in the totals line but not listed.")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--tool", help="only this tool's communities: viva-engage, slack, or a tool of communities.csv")
    p.add_argument("--json", action="store_true")
    p = add("segments", cmd_segments, "participation segments, habitual people and stickiness for a month")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--json", action="store_true")
    _filter_arguments(p)
    p = add("cohorts", cmd_cohorts, "cohort retention: each month's newcomers, and the share active in later months")
    p.add_argument("--month", help="YYYY-MM: the last month counted (default: the latest month held)")
    p.add_argument("--json", action="store_true")
    _filter_arguments(p)
    p = add("alerts", cmd_alerts, "what needs attention in a month: drops, dormant communities, the stage, lost "
                                   "criteria, late exports and targets off course")
    p.description = ("The month's alerts under the rules of the settings file's [[alerts]] tables "
                     "(docs/metrics.md#alerts), one per line, or with --json a list of {rule, department, community, "
                     "value, previous, message}; rates are shares from 0 to 1.")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--today", type=_day, help="YYYY-MM-DD: judge late exports as of this day (default: today)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("access", help="the role and departments a signed-in email gets under the [access] settings "
                                      "of .streamlit/secrets.toml")
    p.description = ("Prints the role (admin, champion, viewer) an email gets and, for a viewer named in [access] "
                     "scoped, the departments it is limited to; with --json {\"role\", \"departments\"}, where null "
                     "departments means the whole organisation (docs/deploy.md#department-scoped-viewers). Exits 1 "
                     "when the email may not sign in.")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_access)
    p = add("stage", cmd_stage, "where the organisation stands among the six stages, with the evidence")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--json", action="store_true")
    p = add("impact", cmd_impact, "an initiative's measured effect on adoption or contribution: a difference-in-"
                                  "differences against the departments it did not cover (docs/metrics.md#initiative-effect)")
    p.add_argument("--name", required=True, help="the initiative's name, as uploaded")
    p.add_argument("--metric", choices=tuple(initiatives.METRICS), default="adoption")
    p.add_argument("--months", type=_months, default=initiatives.DEFAULT_MONTHS,
                   help="k: months before and from the start that are compared (default 3)")
    p.add_argument("--json", action="store_true")
    p = add("forecast", cmd_forecast, "adoption or contribution forecast for the months ahead, with an 80%% "
                                      "prediction interval (docs/metrics.md#forecasts)")
    p.add_argument("--metric", choices=tuple(forecasts.METRICS), default="adoption")
    p.add_argument("--months", type=_months, default=6)
    p.add_argument("--json", action="store_true")
    p = add("ledger", cmd_ledger, "list uploads")
    p.add_argument("--json", action="store_true")
    p = add("undo", cmd_undo, "take an upload back out")
    p.add_argument("upload_id", type=int)
    p = add("erase", cmd_erase, "erase people on request (GDPR Art. 17): every row of them in every table, their "
                                "bytes in storage, and keep them out of later imports (docs/metrics.md#erasure)")
    p.add_argument("emails", nargs="+", metavar="EMAIL")
    p.add_argument("--yes", action="store_true", help="go ahead without asking")
    p = add("backup", cmd_backup, "write one consistent backup file of the whole warehouse (safe while the app "
                                  "runs; docs/deploy.md#backup-and-restore)")
    p.add_argument("--out", required=True, help="the backup file to write (.zip)")
    p = add("restore", cmd_restore, "load a backup into an empty warehouse of either backend (--replace: into a "
                                    "held one); erased people stay erased")
    p.add_argument("file", help="a file written by backup")
    p.add_argument("--replace", action="store_true", help="replace what the warehouse holds")
    add("demo", cmd_demo, "load the demo data")
    add("maintain", cmd_maintain, "expire person-level rows beyond the retention window (DASHBOARD_RETENTION_MONTHS "
                                  "or [retention] person_months; none by default) and remove their bytes, then "
                                  "compact the warehouse (on DuckLake: merge small files, drop snapshots older "
                                  "than a day); safe while the app runs")
    p = add("brief", cmd_brief, "write the one-page executive brief (PDF) for a month")
    p.add_argument("--month", help="YYYY-MM (default: the latest month held)")
    p.add_argument("--out", required=True, help="the PDF file to write")
    p = add("digest", cmd_digest, "mail the month's digest (stage, next steps, alerts, the three biggest moves, a "
                                  "link, the brief attached) over SMTP; settings from DASHBOARD_SMTP_* and "
                                  "DASHBOARD_DIGEST_* or the [digest] secrets section (docs/deploy.md#monthly-digest)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--dry-run", action="store_true", help="write the message to --out instead of sending it")
    p.add_argument("--out", help="the .eml file --dry-run writes (with scoped recipients, one per scope, the scope in "
                                  "its name)")
    p.add_argument("--resend", action="store_true",
                   help="send again to recipients who already had this month's digest")
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


def _secrets_files() -> list[dict]:
    """The secrets.toml files Streamlit reads by default, parsed: the home folder's, then the working folder's
    (which wins). Read as plain TOML: the CLI never imports Streamlit. A file that is not valid TOML is an error."""
    import tomllib

    found = []
    for path in (Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        try:
            found.append(tomllib.loads(text))
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path} is not valid TOML: {error}") from None
    return found


def secrets_pepper() -> str | None:
    """`pepper` from the secrets files, so an import run from the app's folder uses the app's pepper. None when
    neither file sets it."""
    found = None
    for secrets in _secrets_files():
        if secrets.get("pepper"):
            found = str(secrets["pepper"])
    return found


def secrets_section(name: str) -> dict | None:
    """A section of the secrets files, such as [digest]; the working folder's keys win. None when neither has it."""
    found = None
    for secrets in _secrets_files():
        if isinstance(secrets.get(name), dict):
            found = {**(found or {}), **secrets[name]}
    return found


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        warehouse.configure(pepper=secrets_pepper(), azure=secrets_section("azure"))
        return args.handler(args)
    except (ImportRefused, warehouse.WarehouseBusy, access.AccessSettingsError) as error:
        print(str(error), file=sys.stderr)
        return 1
    except Exception as error:  # the CLI never shows a traceback; the message is enough to act on
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
