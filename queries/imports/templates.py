"""The canonical CSV templates the Data page offers, each with two example rows (synthetic people)."""
from __future__ import annotations

TEMPLATES = {
    "roster": (
        "month,email,department,region,business_unit,level,person_id\n"
        "2026-09,ada.example@example.com,Sales,EMEA,Commercial,manager,E1001\n"
        "2026-09,bo.example@example.com,Legal,North America,Corporate,staff,E1002\n",
        "One row per person on the payroll. level is executive, manager or staff. The month column is optional: "
        "without it, choose the month at upload. person_id (optional, an employee number) keeps a person one person "
        "when their email changes.",
    ),
    "activity": (
        "month,email,tool,posts,replies,reactions,reads,other_actions,active_days\n"
        "2026-09,ada.example@example.com,viva-engage,4,,12,40,,\n"
        "2026-09,bo.example@example.com,slack,2,5,3,,,11\n",
        "One row per person, tool and month. Leave a count blank where the tool does not report it.",
    ),
    "communities": (
        "month,community,tool,members,posts,reads,reactions\n"
        "2026-09,Sales Enablement,viva-engage,240,31,900,120\n"
        "2026-09,Cloud Guild,slack,85,64,,210\n",
        "One row per community, tool and month.",
    ),
    "champions": (
        "email,department,role\n"
        "ada.example@example.com,Sales,Champion\n"
        "bo.example@example.com,Legal,Lead champion\n",
        "The champion register as it stands this month; choose the month at upload (or add a month column).",
    ),
    "training": (
        "date,program,email\n"
        "2026-09-14,Working Out Loud,ada.example@example.com\n"
        "2026-09-21,Community Management 101,bo.example@example.com\n",
        "One row per person per training event; the date decides the month.",
    ),
    "kpis": (
        "month,kpi,department,value,target,unit,higher_is_better,objective\n"
        "2026-09,Employee engagement score,,72,75,%,true,Retain talent\n"
        "2026-09,Time to answer customer,Customer Support,5.5,6,hours,false,Delight customers\n",
        "An empty department means the whole organisation. higher_is_better is true or false.",
    ),
    "checklist": (
        "criterion,answer,note\n"
        "1d,yes,Objectives agreed at the March leadership meeting\n"
        "4e,no,Sponsor to be named next quarter\n",
        "Answers to the stage checklist (criterion ids from the rubric; answer yes or no). Choose the month at upload.",
    ),
    "identity_changes": (
        "old_email,new_email,month\n"
        "ada.example@example.com,ada.example@new.example.com,2026-09\n"
        "bo.example@example.com,bo.newname@example.com,2026-09\n",
        "One row per changed email address: from that month on, the person at old_email is at new_email. Only needed "
        "where the roster carries no person_id.",
    ),
    "departments": (
        "month,from,to\n"
        "2026-09,Inside Sales,Sales\n"
        "2026-09,Field Sales,Sales\n",
        "Renames and mergers: from that month on, department `from` is called `to`. Several rows with the same `to` "
        "are a merger. History is then shown under today's names.",
    ),
    "initiatives": (
        "name,start,end,departments,note\n"
        "Champion pilot,2026-04,2026-09,Sales;Sales Ops,Two champions per team and a weekly ask-me-anything\n"
        "Leadership posts,2026-06,,,Every executive posts once a month\n",
        "One row per initiative: its start month, an optional end month, the departments it covers separated by ; "
        "(blank: the whole organisation) and a one-line note. Uploading the same name again replaces it.",
    ),
    "targets": (
        "metric,value,by,department\n"
        "adoption,60%,2026-12,\n"
        "contribution,25%,2026-12,Sales\n",
        "One row per target: the metric (adoption or contribution), the share to reach, the month to reach it by, "
        "and a department (blank: the whole organisation).",
    ),
}


def template_csv(kind: str) -> str:
    return TEMPLATES[kind][0]


def template_help(kind: str) -> str:
    return TEMPLATES[kind][1]
