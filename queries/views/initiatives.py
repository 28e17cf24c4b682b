"""The Initiatives page's model: every initiative, its measured effect on adoption and contribution with the
interval and the event study."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from .. import charts, initiatives
from .common import Chart, Scope, Table

SCOPE_NOTE = ("An effect compares departments across the whole organisation, as organised today: the business unit, "
              "region, department and tool filters do not apply. Months after the as-of month are not used.")


# What a scoped viewer reads instead (docs/deploy.md#department-scoped-viewers)
SCOPED_NOTE = ("An initiative's effect compares departments across the whole organisation, so effects are shown to "
               "viewers of the whole organisation only; ask your dashboard admin.")


@dataclass(frozen=True)
class InitiativeEffect:
    """One initiative as the page shows it."""

    initiative: initiatives.Initiative
    covers: str
    adoption: initiatives.Effect
    contribution: initiatives.Effect
    event_study: Chart | None  # None without a comparison group


@dataclass(frozen=True)
class Initiatives:
    month: dt.date
    items: tuple[InitiativeEffect, ...]
    table: Table | None
    note: str = SCOPE_NOTE


def _interval(effect: initiatives.Effect) -> str | None:
    if effect.ci90 is None:
        return None
    return f"{effect.ci90[0] * 100:+.1f} to {effect.ci90[1] * 100:+.1f}"


def _points(effect: initiatives.Effect) -> float | None:
    return None if effect.effect is None else round(effect.effect * 100, 1)


def initiatives_view(conn: duckdb.DuckDBPyConnection, scope: Scope) -> Initiatives:
    if scope.limited_to is not None:
        return Initiatives(scope.month, (), None, SCOPED_NOTE)
    items = []
    for initiative in initiatives.held(conn):
        adoption = initiatives.effect(conn, initiative, "adoption", until=scope.month, min_group=scope.min_group)
        contribution = initiatives.effect(conn, initiative, "contribution", until=scope.month,
                                          min_group=scope.min_group)
        rows = [{"offset": offset, "metric": name, "gap": gap}
                for name, effect in (("Adoption", adoption), ("Contribution", contribution))
                for offset, gap in sorted(effect.by_month.items()) if gap is not None]
        study = Chart(charts.event_study, (tuple(rows), f"{initiative.name}: gap by month from the start")) \
            if rows else None
        items.append(InitiativeEffect(initiative, initiatives.covers(initiative), adoption, contribution, study))
    table = None
    if items:
        table = Table(pd.DataFrame([{
            "Initiative": item.initiative.name,
            "Start": f"{item.initiative.start:%Y-%m}",
            "End": f"{item.initiative.end:%Y-%m}" if item.initiative.end else None,
            "Covers": item.covers,
            "Effect on adoption (points)": _points(item.adoption),
            "Adoption 90% interval": _interval(item.adoption),
            "Effect on contribution (points)": _points(item.contribution),
            "Contribution 90% interval": _interval(item.contribution),
            "Note": item.initiative.note or None,
        } for item in items]), f"initiatives-{scope.month:%Y-%m}.csv")
    return Initiatives(scope.month, tuple(items), table)
