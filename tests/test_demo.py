"""The demo organisation: real-looking exports that load by themselves and tell a visible story."""
from pathlib import Path

from queries import adoption, demo, metrics, uploads

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"


def test_demo_files_are_real_exports_plus_canonical_files():
    names = {p.name for p in DEMO.iterdir()}
    for prefix in ("engage_activity_", "engage_groups_", "engage_devices_", "teams_activity_", "slack_members_",
                   "slack_channels_"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert {"roster.csv", "champions.csv", "training.csv", "kpis.csv", "checklist.csv", "initiatives.csv",
            "targets.csv"} <= names
    assert sum(p.stat().st_size for p in DEMO.iterdir()) < 8 * 1024 * 1024
    for path in DEMO.iterdir():
        assert b"@example.com" in path.read_bytes() or path.name.startswith(("kpis", "checklist", "engage_groups",
                                                                                 "slack_channels", "communities",
                                                                                 "initiatives", "targets"))


def test_demo_story(demo_db, conn):
    held = metrics.months(conn)
    assert len(held) == 18 and str(held[-1]) == "2026-10-01"
    first, last = metrics.org_month(conn, held[0]), metrics.org_month(conn, held[-1])
    assert 1400 <= first["headcount"] <= 1700
    assert first["adoption_rate"] < 0.25 < 0.55 < last["adoption_rate"]
    assert first["leadership_participation"] < last["leadership_participation"]
    departments = {r["group"]: r["adoption_rate"] for r in adoption.by_dimension(conn, "department", held[-1],
                                                                                 held[-1])}
    assert min(departments, key=departments.get) == "Legal"
    sources = {r["source"] for r in uploads.ledger(conn)}
    assert {"M365 Viva Engage activity user detail", "M365 Teams user activity user detail", "Slack Members CSV"} \
        <= sources
    assert all(r["uploaded_by"] == "demo" for r in uploads.ledger(conn))


def test_demo_files_load_roster_first_and_months_in_order():
    files = [p.name for p in demo.demo_files()]
    assert files[0] == "roster.csv"
    months = [demo.month_from_name(DEMO / f) for f in files if demo.month_from_name(DEMO / f)]
    assert months == sorted(months)
