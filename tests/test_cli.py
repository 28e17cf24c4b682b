"""The command line: python -m queries import | metrics | ledger | undo | demo, with --db and DASHBOARD_DB."""
import json
import os
import subprocess
import sys

from conftest import ACTIVITY_SEPT, ROOT, ROSTER_SEPT, fresh_location
from queries.metrics import CLI_KEYS


def cli(*args, env_db=None, min_group=None):
    env = {**os.environ, "DASHBOARD_PEPPER": "test-pepper"}
    if min_group is not None:
        env["DASHBOARD_MIN_GROUP_SIZE"] = str(min_group)
    env.pop("DASHBOARD_DB", None)
    if env_db:
        env["DASHBOARD_DB"] = env_db
    return subprocess.run([sys.executable, "-m", "queries", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_import_prints_one_line_per_file_and_metrics_json_has_exactly_the_keys(tmp_path):
    db = fresh_location(tmp_path)
    roster = write(tmp_path, "roster.csv", ROSTER_SEPT)
    activity = write(tmp_path, "activity.csv", ACTIVITY_SEPT)
    done = cli("import", roster, activity, "--month", "2026-09", "--db", db)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2 and "roster.csv" in lines[0] and "activity.csv" in lines[1]
    done = cli("metrics", "--month", "2026-09", "--json", "--db", db, min_group=1)
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert list(values) == list(CLI_KEYS)
    assert values["headcount"] == 4 and values["adoption_rate"] == 0.5 and values["kpis_on_target_share"] is None
    # Four people are fewer than the default minimum group size: the CLI withholds every figure about them too.
    withheld = json.loads(cli("metrics", "--month", "2026-09", "--json", "--db", db, min_group=5).stdout)
    assert list(withheld) == list(CLI_KEYS) and withheld["headcount"] is None and withheld["adoption_rate"] is None


def test_refusal_exits_non_zero_with_the_message_on_stderr_and_no_traceback(tmp_path):
    db = fresh_location(tmp_path)
    bad = write(tmp_path, "bad.csv", "month,email,tool,posts\n2026-09,a@x.com,slack,-1\n")
    done = cli("import", bad, "--db", db)
    assert done.returncode != 0
    assert "bad.csv: row 2" in done.stderr and "negative" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    ledger = json.loads(cli("ledger", "--json", "--db", db).stdout)
    assert ledger == []


def test_env_location_and_db_flag_precedence(tmp_path):
    env_db = fresh_location(tmp_path, "env")
    flag_db = fresh_location(tmp_path, "flag")
    roster = write(tmp_path, "roster.csv", ROSTER_SEPT)
    assert cli("import", roster, "--month", "2026-09", env_db=env_db).returncode == 0
    assert cli("import", roster, "--month", "2026-09", "--db", flag_db, env_db=env_db).returncode == 0
    assert len(json.loads(cli("ledger", "--json", env_db=env_db).stdout)) == 1
    assert len(json.loads(cli("ledger", "--json", "--db", flag_db, env_db=env_db).stdout)) == 1
    assert env_db != flag_db


def test_ledger_and_undo(tmp_path):
    db = fresh_location(tmp_path)
    roster = write(tmp_path, "roster.csv", ROSTER_SEPT)
    cli("import", roster, "--month", "2026-09", "--db", db)
    cli("import", roster, "--month", "2026-09", "--db", db)
    ledger = json.loads(cli("ledger", "--json", "--db", db).stdout)
    assert [(r["upload_id"], r["status"]) for r in ledger] == [(2, "active"), (1, "replaced")]
    done = cli("undo", "2", "--db", db)
    assert done.returncode == 0 and "Restored" in done.stdout and "#1" in done.stdout
    ledger = json.loads(cli("ledger", "--json", "--db", db).stdout)
    assert [(r["upload_id"], r["status"]) for r in ledger] == [(2, "undone"), (1, "active")]
    done = cli("undo", "2", "--db", db)
    assert done.returncode != 0 and "already undone" in done.stderr and "Traceback" not in done.stderr


def test_missing_file_and_bad_month(tmp_path):
    db = fresh_location(tmp_path)
    done = cli("import", str(tmp_path / "nope.csv"), "--db", db)
    assert done.returncode != 0 and "nope.csv" in done.stderr
    done = cli("metrics", "--month", "2026-13", "--json", "--db", db)
    assert done.returncode != 0 and "not a month" in done.stderr and "Traceback" not in done.stderr


def test_a_slack_file_named_for_its_range_needs_month_and_is_told_which_month_its_name_suggests(tmp_path):
    """The CLI never takes the month from a file name (docs/formats.md#slack-file-names)."""
    db = fresh_location(tmp_path)
    named = str(ROOT / "tests" / "corpus" / "real" / "Example Corp Member Analytics Prior 30 Days - Apr 17, 2026.csv")
    done = cli("import", named, "--db", db)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Its name suggests 2026-04" in done.stderr and "pass --month 2026-04" in done.stderr
    assert cli("ledger", "--db", db).stdout.strip() == "No uploads yet."  # nothing imported
    done = cli("import", named, "--month", "2026-04", "--db", db)
    assert done.returncode == 0, done.stderr
    assert "imported 3 rows of activity (Slack Members CSV) for 2026-04" in done.stdout


NO_STREAMLIT = ("import sys; from queries.__main__ import main; code = main(sys.argv[1:]); "
                "assert 'streamlit' not in sys.modules, 'the CLI imported streamlit'; sys.exit(code)")


def test_import_takes_the_pepper_from_the_working_folders_secrets_toml_without_streamlit(tmp_path):
    import hashlib

    import duckdb

    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('pepper = "from-secrets"\n')
    db = str(tmp_path / "w.duckdb")  # an embedded file: without a pepper it would generate one beside it
    roster = write(tmp_path, "roster.csv", ROSTER_SEPT)
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_PEPPER", "DASHBOARD_DB")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", NO_STREAMLIT, "import", roster, "--month", "2026-09", "--db", db],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not os.path.exists(db + ".pepper")
    with duckdb.connect(db, read_only=True) as conn:
        keys = {r[0] for r in conn.execute("SELECT person_key FROM roster").fetchall()}
    assert hashlib.sha256(b"from-secrets" + b"ann@example.com").hexdigest() in keys
