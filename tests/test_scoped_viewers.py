"""Department-scoped viewers (docs/deploy.md#department-scoped-viewers): who is scoped and to what
(queries/access.py, `python -m queries access`), every page as a Sales head sees it, and a property: nothing about
the people of other departments changes any figure of a scoped view model, but the labelled whole-organisation line
and the stage."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import DUCKLAKE, PEPPER, ROOT, fresh_location, loader
from queries import access, metrics, views, warehouse

ACCESS = {"admins": ["boss@example.com"], "champions": ["*@comms.example.com"], "allowed_domains": ["example.com"],
          "scoped": {"*@sales.example.com": ["Sales", "Sales Ops"], "cfo@example.com": ["Finance"],
                     "head@sales.example.com": ["Marketing"]}}


# --- Who is scoped, and to what --------------------------------------------------------------------------------

@pytest.mark.parametrize("email,grant", [
    ("ann@sales.example.com", {"role": "viewer", "departments": ["Sales", "Sales Ops"]}),
    ("CFO@Example.com", {"role": "viewer", "departments": ["Finance"]}),
    # every rule an address matches, together, in the order first named
    ("head@sales.example.com", {"role": "viewer", "departments": ["Sales", "Sales Ops", "Marketing"]}),
    ("boss@example.com", {"role": "admin", "departments": None}),  # admins and champions are never scoped
    ("ana@comms.example.com", {"role": "champion", "departments": None}),
    ("someone@example.com", {"role": "viewer", "departments": None}),
])
def test_the_grant_of_an_email(email, grant):
    assert access.grant_for(email, ACCESS).as_json() == grant


def test_a_scoped_address_may_enter_outside_the_allowed_domains_and_others_may_not():
    assert access.role_for("ann@sales.example.com", ACCESS) == "viewer"  # sales.example.com is not an allowed domain
    assert access.grant_for("x@other.org", ACCESS) is None


def test_an_admin_named_in_scoped_is_still_the_whole_organisation():
    settings_ = {**ACCESS, "admins": ["*@sales.example.com"]}
    assert access.grant_for("ann@sales.example.com", settings_) == access.Grant("admin", None)


@pytest.mark.parametrize("scoped,says", [
    (["Sales"], "[access] scoped must be a table"),
    ({"*@sales.example.com": []}, '"*@sales.example.com" must name at least one department'),
    ({"*@sales.example.com": [""]}, '"*@sales.example.com" must name at least one department'),
    ({"*@sales.example.com": 3}, '"*@sales.example.com" must name at least one department'),
])
def test_scoped_settings_that_cannot_be_used_are_refused_by_name(scoped, says):
    with pytest.raises(access.AccessSettingsError) as refused:
        access.grant_for("ann@sales.example.com", {**ACCESS, "scoped": scoped})
    assert says in str(refused.value)


def test_a_single_department_may_be_written_as_a_string():
    assert access.grant_for("x@example.com", {"scoped": {"x@example.com": "Legal"}}).departments == ("Legal",)


def _cli(folder, *args):
    return subprocess.run([sys.executable, "-m", "queries", *args], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_the_access_command_prints_the_role_and_departments_of_the_settings(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[access]\nadmins = ["boss@example.com"]\nallowed_domains = ["example.com"]\n\n[access.scoped]\n'
        '"*@sales.example.com" = ["Sales", "Sales Ops"]\n"cfo@example.com" = ["Finance"]\n')
    answers = {email: _cli(tmp_path, "access", email, "--json")
               for email in ("ann@sales.example.com", "cfo@example.com", "boss@example.com", "x@example.com",
                             "x@other.org")}
    assert {email: json.loads(a.stdout) for email, a in answers.items()} == {
        "ann@sales.example.com": {"role": "viewer", "departments": ["Sales", "Sales Ops"]},
        "cfo@example.com": {"role": "viewer", "departments": ["Finance"]},
        "boss@example.com": {"role": "admin", "departments": None},
        "x@example.com": {"role": "viewer", "departments": None},
        "x@other.org": {"role": None, "departments": None},
    }
    assert [a.returncode for a in answers.values()] == [0, 0, 0, 0, 1]
    assert "may not sign in" in answers["x@other.org"].stderr
    plain = _cli(tmp_path, "access", "ann@sales.example.com")
    assert plain.stdout.strip() == "ann@sales.example.com: viewer, only Sales, Sales Ops"
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[access.scoped]\n"cfo@example.com" = []\n')
    refused = _cli(tmp_path, "access", "cfo@example.com")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == ('[access] scoped: "cfo@example.com" must name at least one department, as a '
                                      'list of names such as ["Sales", "Sales Ops"].')


# --- The scope a viewer's pages read ---------------------------------------------------------------------------

MONTHS_ = [dt.date(2026, 8, 1), dt.date(2026, 9, 1)]


def test_the_filters_are_narrowed_to_the_viewers_departments_as_organised_today():
    within = views.scope_for(MONTHS_, filters=metrics.Filters(("Finance", "Sales"), as_then=True),
                             limited_to=("Sales", "Sales Ops"))
    assert within.filters.departments == ("Sales",) and not within.filters.as_then
    outside = views.scope_for(MONTHS_, filters=metrics.Filters(("Finance",)), limited_to=("Sales", "Sales Ops"))
    assert outside.filters.departments == ("Sales", "Sales Ops")  # none of theirs chosen: all of theirs
    assert views.scope_for(MONTHS_).limited_to is None
    with pytest.raises(ValueError):
        views.scope_for(MONTHS_, limited_to=())  # never "no departments" meaning the whole organisation


def test_a_scope_naming_a_renamed_department_follows_it_to_todays_name(load, conn):
    load("roster.csv", "email,department\na@example.com,Field\nb@example.com,Legal\n", month="2026-01")
    load("roster.csv", "email,department\na@example.com,Sales\nb@example.com,Legal\n", month="2026-03")
    load("departments.csv", "month,from,to\n2026-03,Field,Sales\n")
    assert views.departments_today(conn, ("Field", "Legal", "Sales")) == ("Sales", "Legal")


# --- Every page as a Sales head sees it ------------------------------------------------------------------------

SECRETS = {
    "auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
             "client_id": "id", "client_secret": "secret",
             "server_metadata_url": "https://login.example.com/.well-known/openid-configuration"},
    "access": {"admins": ["boss@example.com"], "allowed_domains": ["example.com"],
               "scoped": {"*@sales.example.com": ["Sales"]}},
}
PAGES = ("app/pages/overview.py", "app/pages/stages.py", "app/pages/adoption.py", "app/pages/coe.py",
         "app/pages/communities.py", "app/pages/alignment.py", "app/pages/initiatives.py")


def signed_in(email: str, page: str | None = None, params: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.secrets = SECRETS
    at.user = {"is_logged_in": True, "email": email}
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def shown_text(at) -> str:
    """Everything the run drew: every element's values, tables and chart data included."""
    found = []

    def walk(node):
        for attribute in ("value", "label", "body", "options", "help", "proto"):
            try:
                value = getattr(node, attribute)
            except Exception:
                continue
            if isinstance(value, pd.DataFrame):
                found.append(value.to_csv())
            elif value is not None:
                found.append(str(value))
        for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) \
                else []:
            walk(child)

    walk(at._tree)
    return "\n".join(found)


@pytest.mark.parametrize("page", PAGES)
def test_a_sales_head_sees_no_other_department_on_any_page(demo_db, page):
    with warehouse.opened(demo_db) as conn:
        options = metrics.filter_options(conn)
    held = options.departments
    # other departments' names (a business unit or region of the same name is a filter option: not looked for)
    others = [d for d in held if d != "Sales" and d not in options.units + options.regions]
    assert "Sales" in held and "Finance" in others
    at = signed_in("ann@sales.example.com", page, {"dept": "Finance", "organised": "then"})
    assert not at.exception, at.exception
    assert at.multiselect(key="f_departments").options == ["Sales"]
    assert not [r for r in at.radio if r.key == "f_organised"]  # a scope names today's departments
    assert "dept" not in at.query_params and "organised" not in at.query_params
    text = shown_text(at)
    leaked = [d for d in others if d in text]
    assert not leaked, f"{page} shows {leaked}"
    if page in ("app/pages/overview.py", "app/pages/adoption.py", "app/pages/coe.py"):
        assert "Whole organisation, " in text
    assert "Signed in as viewer, for Sales." in text


def test_the_sales_heads_overview_shows_sales_figures_and_the_whole_organisation_line(demo_db):
    with warehouse.opened(demo_db) as conn:
        month = metrics.months(conn)[-1]
        sales = metrics.org_month(conn, month, metrics.Filters(("Sales",)))
        whole = metrics.org_month(conn, month)
    at = signed_in("ann@sales.example.com")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Adoption"] == f"{sales['adoption_rate']:.0%}" and tiles["Headcount"] == f"{sales['headcount']:,}"
    assert "KPIs on target" not in tiles  # the organisation's KPIs: not a figure of Sales
    line = [c.value for c in at.caption if "Whole organisation, " in c.value]
    assert line and f"adoption {whole['adoption_rate']:.0%}" in line[0]
    # an unscoped viewer sees every department, and no comparison line
    everyone = signed_in("someone@example.com")
    assert "Finance" in everyone.multiselect(key="f_departments").options
    assert not [c for c in everyone.caption if "Whole organisation, " in c.value]


def test_the_sales_heads_brief_covers_sales_only(demo_db):
    from pypdf import PdfReader

    from queries import brief

    with warehouse.opened(demo_db) as conn:
        month = metrics.months(conn)[-1]
        held = metrics.filter_options(conn).departments
        pdf = brief.build_brief(conn, month, limited_to=("Sales",))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "department Sales" in text and "Compared with the whole organisation" in text
    assert not [d for d in held if d != "Sales" and d in text]


# --- Nothing about other departments reaches a scoped model ----------------------------------------------------

MONTHS = ("2026-07", "2026-08", "2026-09")
SALES = [f"s{i}@example.com" for i in range(6)]
OTHERS = [f"o{i}@example.com" for i in range(10)]
HEADER = "email,department,region,business_unit,level\n"
SALES_ACTIVE = {"2026-07": SALES[:3], "2026-08": SALES[1:5], "2026-09": SALES}


@dataclasses.dataclass(frozen=True)
class Others:
    """What hypothesis varies about the ten people outside Sales: their department each month (Finance or Legal,
    or off the roster), whether and how they were active, and who of them is a champion or trained."""

    departments: tuple  # per month, per person: "Finance", "Legal" or None
    active: tuple  # per month, per person: posts (None: not active)
    champions: frozenset
    trained: frozenset


OTHERS_DRAWN = st.builds(
    Others,
    departments=st.tuples(*[st.tuples(*[st.sampled_from(("Finance", "Legal", None)) for _ in OTHERS])
                            for _ in MONTHS]),
    active=st.tuples(*[st.tuples(*[st.none() | st.integers(0, 4) for _ in OTHERS]) for _ in MONTHS]),
    champions=st.frozensets(st.sampled_from(OTHERS), max_size=3),
    trained=st.frozensets(st.sampled_from(OTHERS), max_size=4),
)
BASELINE = Others(tuple(tuple("Finance" if i < 5 else "Legal" for i in range(10)) for _ in MONTHS),
                  tuple(tuple(1 if i % 2 else None for i in range(10)) for _ in MONTHS), frozenset(), frozenset())


def _files(others: Others) -> list[tuple[str, str, str | None]]:
    files = []
    for index, month in enumerate(MONTHS):
        rows = [f"{p},Sales,EMEA,Commercial,{'executive' if i == 0 else 'staff'}\n" for i, p in enumerate(SALES)]
        rows += [f"{p},{d},{'NA' if i % 2 else 'EMEA'},Corporate,{'executive' if i == 3 else 'staff'}\n"
                 for i, (p, d) in enumerate(zip(OTHERS, others.departments[index])) if d]
        files.append((f"roster-{month}.csv", HEADER + "".join(rows), month))
        activity = [f"{month},{p},slack,{(i % 3) + 1},1,2\n" for i, p in enumerate(SALES_ACTIVE[month])]
        activity += [f"{month},{p},slack,{posts},0,1\n" for p, posts in zip(OTHERS, others.active[index])
                     if posts is not None]
        files.append((f"activity-{month}.csv", "month,email,tool,posts,replies,reactions\n" + "".join(activity),
                      None))
    champions = ["s1@example.com,Sales"] + [f"{p},Finance" for p in sorted(others.champions)]
    files.append(("champions.csv", "email,department\n" + "\n".join(champions) + "\n", "2026-08"))
    trained = ["2026-08-10,Basics,s2@example.com"] + [f"2026-09-03,Basics,{p}" for p in sorted(others.trained)]
    files.append(("training.csv", "date,program,email\n" + "\n".join(trained) + "\n", None))
    files.append(("kpis.csv", "month,kpi,department,value,target,unit,higher_is_better,objective\n"
                              "2026-09,Win rate,,31,30,%,true,Grow\n2026-09,Win rate,Sales,33,30,%,true,Grow\n"
                              "2026-09,Win rate,Finance,20,30,%,true,Grow\n", None))
    return files


# What a scoped model may hold about the whole organisation, labelled as such: the comparison line and the stage
LABELLED = {"whole_organisation", "stage", "placement"}
STANDING_LABELLED = {"headline", "ladder", "complete"}


def _figures(value, page: str):
    """A model as plain data to compare, without its labelled whole-organisation parts."""
    if isinstance(value, views.Chart):
        return (value.builder.__name__, _figures(value.args, page), _figures(value.kwargs, page))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        skip = LABELLED | (STANDING_LABELLED if page == "stages" else set())
        return {f.name: _figures(getattr(value, f.name), page) for f in dataclasses.fields(value)
                if f.name not in skip}
    if isinstance(value, pd.DataFrame):
        return value.to_dict("split")
    if isinstance(value, dict):
        return {str(k): _figures(v, page) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_figures(v, page) for v in value]
    return value


def _scoped_models(location: str) -> dict:
    with warehouse.opened(location) as conn:
        scope = views.scope_for(metrics.months(conn), "2026-09", min_group=3, limited_to=("Sales",))
        return {page: _figures(model(conn, scope), page) for page, model in views.PAGES.items()}


def _build(tmp_path_factory, others: Others) -> str:
    location = fresh_location(tmp_path_factory.mktemp("scoped"), "scoped")
    load = loader(location)
    for name, text, month in _files(others):
        load(name, text, month=month)
    warehouse.forget(location)
    return location


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DASHBOARD_PEPPER", PEPPER)
        patch.setenv("DASHBOARD_DEMO", "0")
        location = _build(tmp_path_factory, BASELINE)
        return _scoped_models(location)


@pytest.mark.slow
# Each example builds a warehouse of ten imports: four on DuckLake, where that takes most of a minute
@settings(max_examples=4 if DUCKLAKE else 8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(others=OTHERS_DRAWN)
def test_no_scoped_model_holds_a_figure_of_another_department(baseline, tmp_path_factory, monkeypatch, others):
    """Change anything about the people outside Sales (their departments, activity, champions, training, whether
    they are on the roster): every page's model for a Sales head stays the same, figure for figure."""
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DEMO", "0")
    changed = _scoped_models(_build(tmp_path_factory, others))
    for page in views.PAGES:
        assert changed[page] == baseline[page], f"the {page} model of a Sales head changed with other departments"


def test_the_property_would_see_a_leak(baseline, tmp_path_factory, monkeypatch):
    """The same comparison on an unscoped model does see the other departments (so the property can fail)."""
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    monkeypatch.setenv("DASHBOARD_DEMO", "0")
    location = _build(tmp_path_factory, dataclasses.replace(BASELINE, active=tuple(
        tuple(3 for _ in OTHERS) for _ in MONTHS)))
    with warehouse.opened(location) as conn:
        scope = views.scope_for(metrics.months(conn), "2026-09", min_group=3)
        whole = _figures(views.PAGES["adoption"](conn, scope), "adoption")
        limited = _figures(views.PAGES["adoption"](conn, views.scope_for(
            metrics.months(conn), "2026-09", min_group=3, limited_to=("Sales",))), "adoption")
    assert whole != baseline["adoption"] and limited == baseline["adoption"]
