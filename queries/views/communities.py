"""The Communities page's model: active, quiet and dormant communities, the healthiest and the most at risk."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from .. import charts, communities
from ..formats import count, signed, user
from .common import Chart, Scope, TOOL_NAMES, Table, Tile, held_initiatives, initiative_marks

COMMUNITY_SCOPE_NOTE = ("Communities belong to no department, so the business unit, region and department filters do "
                        "not apply here: the figures are for the whole organisation. The tool filter applies.")
# What a scoped viewer reads instead of the community list (docs/deploy.md#department-scoped-viewers)
COMMUNITY_SCOPED_NOTE = ("Communities belong to no department, so your view shows only the whole organisation's "
                         "counts of communities; each community's figures are for viewers of the whole organisation.")
COMMUNITY_STATUS_LABELS = {"active": "Active", "quiet": "Quiet", "dormant": "Dormant"}
RANKED = 5  # communities in each of the healthiest and most-at-risk charts


@dataclass(frozen=True)
class CommunityHealth:
    """Community health: organisation-wide with respect to departments (communities have none); the tool filter
    applies. Communities under the minimum group size count in every total and are never a row."""

    month: dt.date
    scope_note: str
    no_data: str | None = None
    headline: str | None = None
    notes: tuple[str, ...] = ()
    tiles: tuple[Tile, ...] = ()
    trend: Chart | None = None
    healthiest: Chart | None = None
    healthiest_note: str | None = None
    at_risk: Chart | None = None
    at_risk_note: str | None = None
    table: Table | None = None


def _community_rows(rows: list[dict]) -> list[dict]:
    """Listed communities with their tool's name and a label that tells apart two tools' communities of one name."""
    shown = communities.listed(rows)
    tools_of = {}
    for r in shown:
        tools_of.setdefault(r["community"], set()).add(r["tool"])
    return [{**r, "tool": TOOL_NAMES.get(r["tool"]) or r["tool"],
             "status": COMMUNITY_STATUS_LABELS[r["status"]],
             "label": (f"{r['community']} · {TOOL_NAMES.get(r['tool']) or r['tool']}"
                       if len(tools_of[r["community"]]) > 1 else r["community"])}
            for r in shown]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _communities_phrase(number_: int) -> str:
    return f"{number_} {'community' if number_ == 1 else 'communities'}"


def communities_view(conn: duckdb.DuckDBPyConnection, scope: Scope) -> CommunityHealth:
    tool = scope.filters.tool
    on_tool = f" on {TOOL_NAMES.get(tool) or user(tool)}" if tool else ""
    start = scope.trailing(12)
    first = min(start, scope.compare_to)
    held = communities.held_months(conn, first, scope.month, tool)
    if scope.month not in held:
        return CommunityHealth(scope.month, COMMUNITY_SCOPE_NOTE, no_data=(
            f"No communities data for {scope.month:%B %Y}{on_tool} yet. Upload the Viva Engage groups activity "
            "report, the Slack channels export or communities.csv for that month on the Data page."))
    rows = communities.by_month(conn, first, scope.month, tool, scope.min_group, detail_from=scope.month)
    by_month = {month: [] for month in held}
    for row in rows:
        by_month[row["month"]].append(row)
    now = communities.status_counts(by_month[scope.month])
    total = sum(now.values())
    before = communities.status_counts(by_month[scope.compare_to]) if scope.compare_to in by_month else None

    def change(key: str | None) -> int | None:
        if before is None:
            return None
        return total - sum(before.values()) if key is None else now[key] - before[key]

    def delta(key: str | None) -> str | None:
        return signed(change(key), 0)

    def colour(key: str, worse_when_more: bool = False) -> str:
        # no change is not news: a red or green arrow on "+0" would say otherwise
        if not change(key):
            return "off"
        return "inverse" if worse_when_more else "normal"

    if not total:
        headline = f"The {scope.month:%B %Y} communities data{on_tool} holds no community."
    elif now["active"] == total:
        headline = (f"All {_communities_phrase(total)}{on_tool} had posts in {scope.month:%B %Y}." if total > 1 else
                    f"The one community{on_tool} had posts in {scope.month:%B %Y}.")
    else:
        headline = f"{now['active']} of {_communities_phrase(total)}{on_tool} had posts in {scope.month:%B %Y}"
        if now["dormant"]:
            headline += (f"; {now['dormant']} {'is' if now['dormant'] == 1 else 'are'} dormant, with no posts for "
                         "two months or more.")
        else:
            headline += f"; {now['quiet']} {'was' if now['quiet'] == 1 else 'were'} quiet and none is dormant."
    tiles = (
        Tile("Communities", count(total), delta(None), "Communities in the month's communities uploads, "
             "listed or not.", delta_color="off"),
        Tile("Active", count(now["active"]), delta("active"), "At least one post this month.",
             delta_color=colour("active")),
        Tile("Quiet", count(now["quiet"]), delta("quiet"),
             "No posts this month, but posts last month (or no data to tell for last month).",
             delta_color=colour("quiet", worse_when_more=True)),
        Tile("Dormant", count(now["dormant"]), delta("dormant"),
             "No posts this month nor last month, both months holding the tool's communities data.",
             delta_color=colour("dormant", worse_when_more=True)),
    )
    notes = []
    if before is None:
        notes.append(f"No communities data{on_tool} for {scope.compare_to:%B %Y}, so no deltas.")
    hidden = sum(1 for r in by_month[scope.month] if not r["listed"])
    if hidden:
        notes.append(f"{_communities_phrase(hidden)} with fewer than {scope.min_group} members, or without a member "
                     f"count, {'is' if hidden == 1 else 'are'} counted above but not listed.")
    trend_rows = [{"month": month,
                   **{COMMUNITY_STATUS_LABELS[k]: v for k, v in communities.status_counts(found).items()}}
                  for month, found in by_month.items() if month >= start]
    trend = Chart(charts.community_status_by_month, (trend_rows, "Active, quiet and dormant communities by month"),
                  {"initiatives": initiative_marks(held_initiatives(conn, scope), [r["month"] for r in trend_rows])})
    if scope.limited_to is not None:  # counts only: no community's own figures
        return CommunityHealth(scope.month, COMMUNITY_SCOPE_NOTE, None, headline, tuple(notes), tiles, trend,
                               healthiest_note=COMMUNITY_SCOPED_NOTE, at_risk_note=COMMUNITY_SCOPED_NOTE)
    shown = _community_rows(by_month[scope.month])
    ranked_active = sorted((r for r in shown if r["status"] == "Active" and r["posts_per_member"] is not None),
                           key=lambda r: (-r["posts_per_member"], -r["members"], r["label"]))[:RANKED]
    healthiest = healthiest_note = None
    if ranked_active:
        healthiest = Chart(charts.community_ranking, (
            ranked_active, "posts_per_member", "Posts per member",
            f"Healthiest: posts per member, {scope.month:%b %Y}", "#009E73"))
    else:
        healthiest_note = f"No listed community had posts in {scope.month:%B %Y}."
    ranked_silent = sorted((r for r in shown if r["status"] != "Active"),
                           key=lambda r: (-r["silent_months"], -r["members"], r["label"]))[:RANKED]
    at_risk = at_risk_note = None
    if ranked_silent:
        at_risk = Chart(charts.community_ranking, (
            ranked_silent, "silent_months", "Months without posts",
            f"Most at risk: months without posts, {scope.month:%b %Y}", "#D55E00", "d"))
    else:
        at_risk_note = f"No listed community was quiet or dormant in {scope.month:%B %Y}."
    frame = pd.DataFrame([{
        "Community": r["community"], "Tool": r["tool"], "Status": r["status"], "Members": r["members"],
        "Posts": r["posts"], "Posts per member": _rounded(r["posts_per_member"]),
        "Reads": r["reads"], "Reads per member": _rounded(r["reads_per_member"]),
        "Reactions": r["reactions"], "Months without posts": r["silent_months"],
    } for r in sorted(shown, key=lambda r: (-r["members"], r["label"]))],
        columns=["Community", "Tool", "Status", "Members", "Posts", "Posts per member", "Reads", "Reads per member",
                 "Reactions", "Months without posts"])
    return CommunityHealth(scope.month, COMMUNITY_SCOPE_NOTE, None, headline, tuple(notes), tiles, trend, healthiest,
                           healthiest_note, at_risk, at_risk_note,
                           Table(frame, f"communities-{scope.month:%Y-%m}") if len(frame) else None)
