"""Each canonical template imports to the exact canonical rows, with its kind detected from the header."""
import datetime as dt
import hashlib

import pytest

from queries.imports import read_upload, templates

PEPPER = "p"


def key(email: str) -> str:
    return hashlib.sha256((PEPPER + email.strip().lower()).encode()).hexdigest()


def read(text: str, month=None, kind=None):
    return read_upload("file.csv", text.encode("utf-8"), pepper=PEPPER, month=month, kind=kind)


SEPT = dt.date(2026, 9, 1)


def test_roster():
    pending = read("Email,Department,Region,Business Unit,Level\nA@x.com,Sales,EMEA,Commercial,Executive\n"
                   "b@x.com,,EMEA,Commercial,staff\n", month="2026-09")
    assert pending.kind == "roster"
    assert pending.rows.to_pylist() == [
        {"month": SEPT, "person_key": key("a@x.com"), "department": "Sales", "region": "EMEA",
         "business_unit": "Commercial", "level": "executive", "identity_key": None},
        {"month": SEPT, "person_key": key("b@x.com"), "department": "Unassigned", "region": "EMEA",
         "business_unit": "Commercial", "level": "staff", "identity_key": None},
    ]


def test_roster_with_month_column_holds_several_months():
    pending = read("month,email,department,region,business_unit,level\n2026-08,a@x.com,S,E,C,staff\n"
                   "2026-09,a@x.com,S,E,C,staff\n")
    assert pending.months == [dt.date(2026, 8, 1), SEPT]


def test_activity():
    pending = read("month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n"
                   "2026-09,a@x.com,Viva Engage,\"1,204\",,3,10,,\n2026-09,a@x.com,slack,0,1,0,,,4\n")
    assert pending.kind == "activity"
    assert pending.tools == ["slack", "viva-engage"]
    assert pending.rows.to_pylist() == [
        {"month": SEPT, "person_key": key("a@x.com"), "tool": "viva-engage", "concealed": False, "posts": 1204,
         "replies": None, "reactions": 3, "reads": 10, "other_actions": None, "active_days": None,
         "identity_key": None},
        {"month": SEPT, "person_key": key("a@x.com"), "tool": "slack", "concealed": False, "posts": 0,
         "replies": 1, "reactions": 0, "reads": None, "other_actions": None, "active_days": 4,
         "identity_key": None},
    ]


def test_communities():
    pending = read("month,community,tool,members,posts,reads,reactions\n2026-09,Cloud Guild,slack,85,64,,210\n")
    assert pending.rows.to_pylist() == [{"month": SEPT, "tool": "slack", "community": "Cloud Guild",
                                         "members": 85, "posts": 64, "reads": None, "reactions": 210}]


def test_champions_need_a_month_and_take_it_from_the_upload():
    pending = read("email,department,role\na@x.com,Sales,Champion\n", month="2026-09")
    assert pending.kind == "champions"
    assert pending.rows.to_pylist() == [{"month": SEPT, "person_key": key("a@x.com"), "department": "Sales",
                                         "role": "Champion"}]


def test_training_month_comes_from_each_date():
    pending = read("date,program,email\n2026-09-14,Working Out Loud,a@x.com\n2026-10-02,WOL,b@x.com\n")
    assert pending.kind == "training"
    assert pending.months == [SEPT, dt.date(2026, 10, 1)]
    assert pending.rows.to_pylist()[0] == {"month": SEPT, "date": dt.date(2026, 9, 14), "program": "Working Out Loud",
                                           "person_key": key("a@x.com")}


def test_kpis():
    pending = read("month,kpi,department,value,target,unit,higher_is_better,objective\n"
                   "2026-09,Engagement,,72.5,75,%,true,Retain talent\n2026-09,Answer time,Support,5.5,6,h,false,\n")
    assert pending.rows.to_pylist() == [
        {"month": SEPT, "kpi": "Engagement", "department": None, "value": 72.5, "target": 75.0, "unit": "%",
         "higher_is_better": True, "objective": "Retain talent"},
        {"month": SEPT, "kpi": "Answer time", "department": "Support", "value": 5.5, "target": 6.0, "unit": "h",
         "higher_is_better": False, "objective": None},
    ]


def test_checklist():
    pending = read("criterion,answer,note\n1D,Yes,Agreed\n4e,no,\n", month="2026-09")
    assert pending.rows.to_pylist() == [
        {"month": SEPT, "criterion": "1d", "answer": True, "note": "Agreed"},
        {"month": SEPT, "criterion": "4e", "answer": False, "note": None},
    ]


@pytest.mark.parametrize("kind", list(templates.TEMPLATES))
def test_every_downloadable_template_imports_as_its_kind(kind):
    pending = read(templates.template_csv(kind), month="2026-09")
    assert pending.kind == kind
    assert pending.row_count == 2


def test_columns_in_any_order_and_extra_columns_ignored():
    pending = read("Level,Cost Centre,EMAIL,business_unit,Region,department\nstaff,77,a@x.com,C,E,S\n",
                   month="2026-09")
    assert pending.rows.to_pylist()[0]["department"] == "S"
    assert pending.rows.to_pylist()[0]["level"] == "staff"


def test_kind_can_be_forced():
    pending = read("email,department\na@x.com,Sales\n", month="2026-09", kind="champions")
    assert pending.kind == "champions"


def test_concealed_ids_are_flagged():
    pending = read("month,email,tool,posts\n2026-09,77E5979DD60BA6EAA53E814DBEEEFA5F,viva-engage,1\n")
    assert pending.rows.to_pylist()[0]["concealed"] is True
