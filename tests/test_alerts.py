"""Alerts (queries/alerts.py, docs/metrics.md#alerts) on a small organisation counted by hand, one alert of every rule
in June 2026: the rules' settings, a rename that is no drop, groups under the minimum group size left out, the viewer's
departments, the CLI's JSON, the Overview's "Needs attention" and the digest."""
from __future__ import annotations

import datetime as dt
import html as html_text
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, app, copy_warehouse
from queries import alerts, rubric, warehouse

MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")
SIZES = {"Legal": 10, "Sales": 10, "Tiny": 3}
# People active each month, per department. Legal falls from 6 of 10 to 3 of 10 in June (30 points); Tiny (3 people,
# under the minimum group size of 5) falls to nobody, and must never be named. The organisation: 14 of 23 active in
# May (61%), 8 of 23 in June (35%), so the test rubric's criterion 2a (adoption at least 45%) is lost and the stage
# falls from 2 to 1.
ACTIVE = {"Legal": [6, 6, 6, 6, 6, 3], "Sales": [5, 5, 5, 5, 5, 5], "Tiny": [3, 3, 3, 3, 3, 0]}
# June's roster names Legal "Legal & Compliance" and Sales "Revenue", and departments.csv records both renames: the
# drop is Legal's under today's name, and Sales, unchanged but renamed, is no drop.
TODAY = {"Legal": "Legal & Compliance", "Sales": "Revenue", "Tiny": "Tiny"}
RENAMES = "month,from,to\n2026-06,Legal,Legal & Compliance\n2026-06,Sales,Revenue\n"
# Slack communities from March: Phoenix posts in April, then none in May and June, so it goes dormant in June; Old
# Guard has been dormant since April; Tiny Club does the same as Phoenix with 3 members, under the minimum.
COMMUNITIES = {"Phoenix": (12, [3, 5, 0, 0]), "Old Guard": (12, [0, 0, 0, 0]), "Tiny Club": (3, [2, 4, 0, 0]),
               "Lively": (20, [9, 9, 9, 9])}
# An organisation's target far above its course, and one for a department under the minimum group size.
TARGETS = "metric,value,by,department\nadoption,90%,2026-12,\nadoption,80%,2026-12,Tiny\n"
RUBRIC = """
[settings]
min_group_size = 5

[[stages]]
number = 1
name = "Presence"
motto = "Be there"

[[stages]]
number = 2
name = "Engagement"
motto = "Take part"

[[criteria]]
id = "1a"
stage = 1
label = "Activity uploaded"
measure = "activity_uploaded"
threshold = 1

[[criteria]]
id = "2a"
stage = 2
label = "Adoption at least 45%"
measure = "adoption_rate"
threshold = 0.45
"""
JUNE = dt.date(2026, 6, 1)
# Eleven days after June ended: June's Teams activity (which May had) is late; July has not ended.
LATE = dt.date(2026, 7, 11)


def fill_once(load):
    people = {d: [f"{d.lower()}{i}@example.com" for i in range(n)] for d, n in SIZES.items()}
    for index, month in enumerate(MONTHS):
        renamed = month == "2026-06"
        load(f"roster-{month}.csv", "month,email,department,region,business_unit,level\n" + "".join(
            f"{month},{p},{TODAY[d] if renamed else d},EMEA,Commercial,staff\n"
            for d, ps in people.items() for p in ps))
        rows = [f"{month},{p},viva-engage,1,0,0,3,,\n" for d, ps in people.items() for p in ps[:ACTIVE[d][index]]]
        if not renamed:  # Sales's active people on Teams too, until June's Teams export does not come
            rows += [f"{month},{p},teams,1,0,0,,,\n" for p in people["Sales"][:5]]
        load(f"activity-{month}.csv", "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n"
             + "".join(rows))
        if index >= 2:
            load(f"communities-{month}.csv", "month,community,tool,members,posts,reads,reactions\n" + "".join(
                f"{month},{name},slack,{members},{posts[index - 2]},10,1\n"
                for name, (members, posts) in COMMUNITIES.items()))
    load("departments.csv", RENAMES)
    load("targets.csv", TARGETS)


@pytest.fixture
def org(db, filled_once, tmp_path, monkeypatch):
    """The organisation at the test's DASHBOARD_DB, under the test rubric (its settings file)."""
    settings = tmp_path / "stages.toml"
    settings.write_text(RUBRIC)
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(settings))
    copy_warehouse(filled_once[0], db)
    return db


def june(location, **options):
    with warehouse.opened(location) as conn:
        return alerts.alerts(conn, JUNE, today=options.pop("today", LATE), **options)


def test_every_rule_on_the_organisation_counted_by_hand(org):
    found = june(org)
    assert [(a.rule, a.department, a.community) for a in found] == [
        ("stage_fell", None, None), ("criterion_lost", None, None), ("department_drop", "Legal & Compliance", None),
        ("target_off_course", None, None), ("community_dormant", None, "Phoenix"), ("export_late", None, None)]
    stage, criterion, drop, target, community, late = found
    assert (stage.value, stage.previous) == (1, 2)
    assert stage.message == ("The organisation fell from stage 2 (Engagement) in May 2026 to stage 1 (Presence) in "
                             "June 2026.")
    assert criterion.value == pytest.approx(8 / 23) and criterion.previous == pytest.approx(14 / 23)
    assert criterion.message == ("Criterion 2a · Adoption at least 45% is no longer met in June 2026: 35%, needs "
                                 "≥ 45% (61% in May 2026).")
    assert (drop.value, drop.previous) == (pytest.approx(0.3), pytest.approx(0.6))
    assert drop.message == "Adoption in Legal & Compliance fell 30 pts in June 2026, from 60% in May 2026 to 30%."
    assert drop.link == "adoption?month=2026-06&dept=Legal+%26+Compliance"
    assert target.value == pytest.approx(8 / 23) and "off course" in target.message
    assert target.message.startswith("Adoption 90% by December 2026: 35% in June 2026, off course")
    assert (community.value, community.previous) == (0, 5)
    assert community.message == ("The community Phoenix (slack) went dormant in June 2026: no posts in May or June "
                                 "2026, after 5 in April 2026.")
    assert community.link == "communities?month=2026-06&tool=slack"
    assert (late.value, late.previous) == (11, None)
    assert late.message == ("The activity (teams) export for June 2026 is missing, 11 days after the month ended; "
                            "May 2026 had it.")
    assert [a.link for a in (stage, criterion, target, late)] == [
        "stages?month=2026-06", "stages?month=2026-06", "?month=2026-06", "data"]
    # Nothing names or counts a group under the minimum group size.
    assert not any("Tiny" in a.message or a.department == "Tiny" for a in found)


def test_a_rename_is_no_drop_and_a_drop_is_told_under_today_s_name(org):
    with warehouse.opened(org) as conn:
        found = alerts.alerts(conn, JUNE, ["department_drop"])
    assert [(a.department, a.previous) for a in found] == [("Legal & Compliance", pytest.approx(0.6))]
    assert not any("Sales" in a.message or "Revenue" in a.message for a in found)


def test_the_drop_is_at_least_drop_points(org):
    assert len(june(org, rules={"department_drop": {"drop_points": 30}})) == 1
    assert june(org, rules={"department_drop": {"drop_points": 31}}) == []


def test_an_export_is_late_days_late_days_after_its_month_and_the_next_month_s_too(org):
    assert june(org, rules=["export_late"], today=dt.date(2026, 7, 9)) == []
    assert [a.value for a in june(org, rules={"export_late": {"days_late": 9}}, today=dt.date(2026, 7, 9))] == [9]
    later = june(org, rules=["export_late"], today=dt.date(2026, 8, 11))
    assert [a.message for a in later] == [
        "The activity (teams) export for June 2026 is missing, 42 days after the month ended; May 2026 had it.",
        # July holds nothing: its monthly exports are late; the roster carries forward, and renames are no export.
        "The activity (viva-engage) export for July 2026 is missing, 11 days after the month ended; June 2026 had it.",
        "The communities (slack) export for July 2026 is missing, 11 days after the month ended; June 2026 had it."]


def test_earlier_months_have_their_own_alerts(org):
    with warehouse.opened(org) as conn:
        may = alerts.alerts(conn, "2026-05", today=LATE)
        first = alerts.alerts(conn, "2026-01", today=LATE)
    assert may == []  # Phoenix was quiet, not dormant; Old Guard went dormant in April without posting before
    assert first == []  # nothing to compare with


def test_a_viewer_of_some_departments_sees_only_theirs(org):
    legal = june(org, departments={"Legal & Compliance"})
    assert [a.rule for a in legal] == ["department_drop", "export_late"]
    assert [a.rule for a in june(org, departments={"Revenue"})] == ["export_late"]
    assert [a.rule for a in june(org, departments=set())] == ["export_late"]


def test_the_settings_file_switches_rules_off_and_changes_their_settings(org, tmp_path):
    settings = tmp_path / "stages.toml"
    settings.write_text(RUBRIC + '\n[[alerts]]\nrule = "department_drop"\ndrop_points = 31\n'
                                 '\n[[alerts]]\nrule = "export_late"\nenabled = false\n')
    chosen = alerts.rules()
    assert chosen["department_drop"] == {"drop_points": 31} and "export_late" not in chosen
    assert set(chosen) == set(alerts.RULES) - {"export_late"}
    with warehouse.opened(org) as conn:
        rules = [a.rule for a in alerts.alerts(conn, JUNE, today=LATE)]
    assert "department_drop" not in rules and "export_late" not in rules and "stage_fell" in rules
    assert alerts.parse_rules({}) == {**{name: {} for name in alerts.RULES}, "department_drop": {"drop_points": 5},
                                      "export_late": {"days_late": 10}}


@pytest.mark.parametrize("entries, message", [
    ('rule = "adoption_fell"',
     r"alerts #1: rule = 'adoption_fell' is not a rule; use one of stage_fell, criterion_lost"),
    ('rule = "department_drop"\ndrop_points = 0', r"alerts #1 \(department_drop\): drop_points = 0 must be a number "
                                                   r"from 0.1 to 100"),
    ('rule = "export_late"\ndays_late = 2.5', r"days_late = 2.5 must be a whole number from 0 to 366"),
    ('rule = "export_late"\ndrop_points = 5', r"unknown setting 'drop_points'; export_late takes enabled, days_late"),
    ('rule = "stage_fell"\nenabled = "no"', r"enabled = 'no' must be true or false"),
    ('rule = "stage_fell"\n\n[[alerts]]\nrule = "stage_fell"', r"alerts #2 \(stage_fell\): the rule is listed twice"),
])
def test_a_wrong_setting_is_refused_naming_the_file_the_entry_and_the_setting(tmp_path, entries, message):
    settings = tmp_path / "stages.toml"
    settings.write_text(RUBRIC + "\n[[alerts]]\n" + entries + "\n")
    with pytest.raises(rubric.RubricError, match=message) as refused:
        alerts.rules(settings)
    assert str(refused.value).startswith(f"{settings}: alerts #")


def test_the_command_line_prints_the_alerts_as_json(org, tmp_path):
    done = subprocess.run([sys.executable, "-m", "queries", "alerts", "--month", "2026-06", "--today", "2026-07-11",
                           "--json", "--db", org], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed == [a.as_json() for a in june(org)]
    assert printed[2] == {"rule": "department_drop", "department": "Legal & Compliance", "community": None,
                          "value": pytest.approx(0.3), "previous": pytest.approx(0.6),
                          "message": "Adoption in Legal & Compliance fell 30 pts in June 2026, from 60% in May 2026 "
                                     "to 30%."}
    assert all(set(a) == {"rule", "department", "community", "value", "previous", "message"} for a in printed)


def test_the_overview_says_what_needs_attention_with_links_to_the_views(org):
    at = app()
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "Needs attention" in shown
    assert "(adoption?month=2026-06&dept=Legal+%26+Compliance)" in shown
    assert "Legal \\& Compliance fell 30 pts" in shown
    assert "(communities?month=2026-06&tool=slack)" in shown and "(stages?month=2026-06)" in shown
    assert "Tiny" not in shown


def test_links_use_the_sidebar_s_url_parameters():
    from app import filters

    parameters = set(filters._URL_KEYS.values())
    assert {"month", "dept", "tool"} <= parameters


def test_the_digest_carries_the_alerts_with_their_links(org):
    from test_digest import Mailbox, mail_env, parts  # skips without aiosmtpd, as the digest's own tests do
    from aiosmtpd.controller import Controller

    from conftest import free_port
    from queries import access, digest

    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report = digest.send(org, "2026-06", digest.settings(None, mail_env(port)), access.CLI)
    finally:
        controller.stop()
    assert len(report.sent) == 2
    text, html, _ = parts(mailbox.received[0][2])
    text = text.replace("\r\n", "\n")
    expected = june(org, today=alerts.utc_today())  # the digest judges late exports on the day it is sent
    assert {a.rule for a in expected} == set(alerts.RULES)
    assert "Needs attention" in text and "Needs attention" in html
    for alert in expected:
        assert f"  - {alert.message}\n    {alert.url('https://dashboard.example.com')}\n" in text
        link = html_text.escape(alert.url("https://dashboard.example.com"))
        assert re.search(f'<a href="{re.escape(link)}"[^>]*>{re.escape(html_text.escape(alert.message))}</a>', html)
    assert "https://dashboard.example.com/adoption?month=2026-06&dept=Legal+%26+Compliance" in text
    assert "Tiny" not in text


def test_wrong_settings_leave_the_overview_saying_why_it_has_no_alerts(org, tmp_path):
    from queries import metrics, stages, views

    (tmp_path / "stages.toml").write_text(RUBRIC + '\n[[alerts]]\nrule = "department_drop"\ndrop_points = -1\n')
    with warehouse.opened(org) as conn:
        model = views.overview(conn, views.scope_for(metrics.months(conn), "2026-06"), stages.load(), today=LATE)
    assert model.needs_attention == ()
    assert model.alerts_note.startswith(f"No alerts: {tmp_path / 'stages.toml'}: alerts #1 (department_drop): "
                                        "drop_points = -1 must be a number from 0.1 to 100")
    at = app()
    assert any("drop_points = -1 must be" in c.value.replace("\\", "") for c in at.caption)


def test_the_overview_of_a_viewer_of_some_departments_has_only_their_alerts(org):
    from queries import metrics, stages, views

    with warehouse.opened(org) as conn:
        scope = views.scope_for(metrics.months(conn), "2026-06", limited_to=("Legal & Compliance",))
        model = views.overview(conn, scope, stages.load(), today=LATE)
    assert [a.rule for a in model.needs_attention] == ["department_drop", "export_late"]
