"""The CoE reach page's model: champion coverage, the champion lift, training reach and the CoE-pitfall signal."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from .. import charts, coe, metrics
from ..formats import number, percent
from .common import (Chart, Scope, Table, Tile, compared, held_initiatives, initiative_marks, rate_delta,
                     whole_organisation, withheld_for)


@dataclass(frozen=True)
class CoeReach:
    month: dt.date
    withheld: str | None
    no_register: bool = False
    headline: str | None = None
    carried: str | None = None
    tiles: tuple[Tile, ...] = ()
    pitfall: str | None = None
    departments: Chart | None = None
    departments_table: Table | None = None
    lift: Chart | None = None
    lift_note: str | None = None
    training: Chart | None = None
    training_note: str | None = None
    whole_organisation: str | None = None  # a scoped viewer's comparison line (common.whole_organisation)


def coe_reach(conn: duckdb.DuckDBPyConnection, scope: Scope) -> CoeReach:
    now, before = compared(conn, scope)
    withheld = withheld_for(conn, scope, now)
    if withheld:
        return CoeReach(scope.month, withheld)
    if now["champion_coverage"] is None:
        return CoeReach(scope.month, None, no_register=True)
    status = metrics.month_status(conn, scope.month)
    departments = coe.departments(conn, scope.month, scope.filters, scope.min_group)
    with_champion = sum(1 for d in departments if d["has_champion"])
    headline = (f"{with_champion} of {len(departments)} departments have a champion in {scope.month:%B %Y} "
                f"({percent(now['champion_coverage'])}), with {number(now['champions_per_1000'])} champions per "
                "1,000 employees.")
    carried = (f"Champion register carried forward from {status['champions_month']:%B %Y}."
               if status and status["champions_month"] and status["champions_month"] != scope.month else None)
    lift = coe.lift(conn, scope.month, scope.filters, scope.min_group)
    share = coe.champion_content_share(conn, scope.month, scope.filters, scope.min_group)
    threshold = scope.pitfall_share
    tiles = (
        Tile("Depts with a champion", percent(now["champion_coverage"]), rate_delta(now, before, "champion_coverage")),
        Tile("Champions / 1,000", number(now["champions_per_1000"])),
        Tile("Headcount covered", percent(lift["headcount_covered"] if lift else None),
             help="People in departments that have at least one champion, as a share of headcount."),
        Tile("Trained (12 months)", percent(now["training_reach"]), rate_delta(now, before, "training_reach")),
        Tile("Champion-written", percent(share),
             help=f"Share of all posts and replies written by champions. Above {threshold:.0%} the network depends "
                  "on its champions rather than growing by itself."),
    )
    pitfall = None
    if share is not None and share > threshold:
        pitfall = (f"CoE pitfall: champions wrote {share:.0%} of all posts and replies this month (above "
                   f"{threshold:.0%}). The conversation depends on the champions; coach them to draw others in "
                   "rather than post for them.")
    department_chart = department_table = None
    if departments:
        department_chart = Chart(charts.champions_by_department, (departments, "Champions per 1,000 employees by "
                                                                               "department", scope.min_group))
        department_table = Table(pd.DataFrame(departments)[["department", "has_champion", "headcount", "champions",
                                                            "champions_per_1000", "adoption_rate"]],
                                 "champions-by-department")
    lift_chart = lift_note = None
    if lift and lift["adoption_with_champion"] is not None and lift["adoption_without_champion"] is not None:
        gap = lift["adoption_with_champion"] - lift["adoption_without_champion"]
        lift_chart = Chart(charts.champion_lift, (
            [{"side": f"With ({lift['departments_with']} depts)", "adoption": lift["adoption_with_champion"]},
             {"side": f"Without ({lift['departments_without']} depts)", "adoption": lift["adoption_without_champion"]}],
            f"Champion lift: {gap * 100:+.0f} pts adoption with a champion"))
    elif lift:
        lift_note = (f"The champion lift needs at least {scope.min_group} people in departments with and without a "
                     "champion.")
    history = [r for r in metrics.org_months(conn, scope.trailing(12), scope.month, scope.filters, scope.min_group)
               if r["training_reach"] is not None]
    training = training_note = None
    if history:
        training = Chart(charts.rate_lines, (history, {"training_reach": "Training reach"},
                                             "Trained in the trailing 12 months / headcount"),
                         {"height": 220, "initiatives": initiative_marks(held_initiatives(conn, scope),
                                                                         [r["month"] for r in history])})
    else:
        training_note = "No training attendance yet: upload training.csv (date, program, email) on the Data page."
    return CoeReach(scope.month, None, False, headline, carried, tiles, pitfall, department_chart, department_table,
                    lift_chart, lift_note, training, training_note, whole_organisation(conn, scope))
