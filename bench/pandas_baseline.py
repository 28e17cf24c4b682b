"""The baseline the benchmark compares against: each page's data recomputed with pandas straight from the exports.

It reads the synthetic organisation's CSV files (the vendor exports and the canonical templates), builds one
row per roster person per month in memory, and computes what each page shows the way docs/metrics.md defines it.
Every file read and every computation is timed, so a page's pandas time is the reads it needs plus its work.
It favours pandas: ids are lower-cased, not hashed, and each file is read once for all pages.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pandas as pd

from queries import rubric as rubric_file, stages

TOOLS = {"engage_activity": "viva-engage", "teams_activity": "teams", "slack_members": "slack"}
MONTH_IN_NAME = re.compile(r"(\d{4}-\d{2})")


def _month(label: str) -> dt.date:
    return dt.date(int(label[:4]), int(label[5:7]), 1)


def _counts(series: pd.Series) -> pd.Series:
    """Export counts as numbers: blank is 0, Slack writes 1,204."""
    if not pd.api.types.is_numeric_dtype(series):
        series = series.astype(str).str.replace(",", "", regex=False)
    return pd.to_numeric(series, errors="coerce").fillna(0)


def _keys(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().str.lower()


class Timer:
    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str, func, *args):
        start = time.perf_counter()
        result = func(*args)
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        return result


class CsvOrganisation:
    """The exports in one folder (as bench/run.py lays them out), read with pandas and turned into page data."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.timer = Timer()
        self.reads: dict[tuple[str, str | None], float] = {}  # (kind, month or None) -> seconds
        self._read_all()
        self.rules = stages.load()
        self.min_group = rubric_file.min_group_size()

    # --- reading ------------------------------------------------------------------------------------------------
    def _timed_read(self, kind: str, month: str | None, path: Path, **options) -> pd.DataFrame:
        start = time.perf_counter()
        frame = pd.read_csv(path, **options)
        self.reads[(kind, month)] = self.reads.get((kind, month), 0.0) + time.perf_counter() - start
        return frame

    def _read_all(self):
        f = self.folder
        self.roster = self._timed_read("roster", None, f / "roster.csv", dtype=str, keep_default_na=False)
        self.champions = self._timed_read("champions", None, f / "champions.csv", dtype=str, keep_default_na=False)
        self.training = self._timed_read("training", None, f / "training.csv", dtype=str, keep_default_na=False)
        self.kpis = self._timed_read("kpis", None, f / "kpis.csv", dtype={"department": str},
                                     keep_default_na=False, na_values={"value": [""], "target": [""]})
        self.checklist = self._timed_read("checklist", None, f / "checklist.csv", dtype=str, keep_default_na=False)
        activity, communities = [], []
        for path in sorted(f.glob("*.csv")):
            found = MONTH_IN_NAME.search(path.name)
            if not found:
                continue
            label = found.group(1)
            if path.name.startswith("engage_activity"):
                frame = self._timed_read("activity", label, path, usecols=[
                    "User Principal Name", "Posted Count", "Read Count", "Liked Count"])
                activity.append(pd.DataFrame({
                    "month": label, "key": _keys(frame["User Principal Name"]), "tool": "viva-engage",
                    "posts": _counts(frame["Posted Count"]), "replies": 0.0,
                    "reactions": _counts(frame["Liked Count"]), "other": _counts(frame["Read Count"])}))
            elif path.name.startswith("teams_activity"):
                frame = self._timed_read("activity", label, path, usecols=[
                    "User Principal Name", "Post Messages", "Reply Messages", "Team Chat Message Count",
                    "Private Chat Message Count", "Call Count", "Meeting Count"])
                other = sum(_counts(frame[c]) for c in ("Team Chat Message Count", "Private Chat Message Count",
                                                        "Call Count", "Meeting Count"))
                activity.append(pd.DataFrame({
                    "month": label, "key": _keys(frame["User Principal Name"]), "tool": "teams",
                    "posts": _counts(frame["Post Messages"]), "replies": _counts(frame["Reply Messages"]),
                    "reactions": 0.0, "other": other}))
            elif path.name.startswith("slack_members"):
                frame = self._timed_read("activity", label, path, dtype=str, usecols=[
                    "Email", "Messages posted in channels", "Messages posted", "Reactions added", "Days active"])
                frame = frame[frame["Email"].notna() & (frame["Email"].str.strip() != "")]
                posts = _counts(frame["Messages posted in channels"])
                other = (_counts(frame["Messages posted"]) - posts).clip(lower=0) + _counts(frame["Days active"])
                activity.append(pd.DataFrame({
                    "month": label, "key": _keys(frame["Email"]), "tool": "slack", "posts": posts, "replies": 0.0,
                    "reactions": _counts(frame["Reactions added"]), "other": other}))
            elif path.name.startswith("engage_groups"):
                frame = self._timed_read("communities", label, path, usecols=["Posted Count"])
                communities.append(pd.DataFrame({"month": label, "posts": _counts(frame["Posted Count"])}))
            elif path.name.startswith("slack_channels"):
                frame = self._timed_read("communities", label, path, dtype=str, usecols=["Messages posted"])
                communities.append(pd.DataFrame({"month": label, "posts": _counts(frame["Messages posted"])}))
        self.activity = pd.concat(activity, ignore_index=True)
        self.communities = pd.concat(communities, ignore_index=True)

    def read_seconds(self, kinds: set[str], months: set[str] | None = None) -> float:
        """Seconds spent reading the files of these kinds (activity and communities: of these months)."""
        return sum(seconds for (kind, month), seconds in self.reads.items()
                   if kind in kinds and (month is None or months is None or month in months))

    # --- the per-person table every page starts from ---------------------------------------------------------------
    def build(self):
        """One row per roster person per month with activity, champion, training and new/returning/lapsed flags."""
        self.timer("build", self._build)

    def _build(self):
        self.months = sorted(set(self.roster["month"]) | set(self.activity["month"]))
        roster_months = sorted(set(self.roster["month"]))
        roster = self.roster.assign(key=_keys(self.roster["email"]))
        frames = []
        for month in self.months:
            source = max((m for m in roster_months if m <= month), default=None)
            if source is not None:
                frames.append(roster.loc[roster["month"] == source, ["key", "department", "region", "business_unit",
                                                                     "level"]].assign(month=month))
        people = pd.concat(frames, ignore_index=True)
        tools = self.activity.assign(active=lambda a: (a.posts + a.replies + a.reactions + a.other) > 0)
        self.per_tool = tools
        per_person = tools.groupby(["month", "key"], as_index=False).agg(
            posts=("posts", "sum"), replies=("replies", "sum"), reactions=("reactions", "sum"),
            active=("active", "any"))
        pm = people.merge(per_person, on=["month", "key"], how="left")
        has_activity = set(self.activity["month"])
        pm["has_activity"] = pm["month"].isin(has_activity)
        pm["active"] = pm["active"].astype("boolean").fillna(False)
        pm["contributor"] = pm["active"] & ((pm["posts"].fillna(0) + pm["replies"].fillna(0)) >= 1)
        pm["creator"] = pm["active"] & (pm["posts"].fillna(0) >= 1)
        # New: active for the first time in the months held; returning/lapsed: against last month's roster row.
        first = pm[pm["active"]].groupby("key")["month"].min()
        pm["is_new"] = pm["active"] & (pm["key"].map(first) == pm["month"])
        previous_label = {m: p for p, m in zip(self.months, self.months[1:])}
        before = pm.loc[pm["active"], ["month", "key"]].assign(month=lambda f: f["month"].map(
            {p: m for m, p in previous_label.items()}), was_active=True).dropna(subset=["month"])
        pm = pm.merge(before, on=["month", "key"], how="left")
        was = pm["was_active"].astype("boolean").fillna(False)
        pm["is_returning"] = pm["active"] & was
        pm["is_lapsed"] = was & ~pm["active"]
        pm = pm.drop(columns="was_active")
        # Champions carry forward; training counts for twelve months.
        champion_months = sorted(set(self.champions["month"]))
        champions = self.champions.assign(key=_keys(self.champions["email"]))
        champion_of = {}
        for month in self.months:
            source = max((m for m in champion_months if m <= month), default=None)
            champion_of[month] = source
        pm["champions_month"] = pm["month"].map(champion_of)
        flags = champions[["month", "key"]].drop_duplicates().rename(columns={"month": "champions_month"})
        pm = pm.merge(flags.assign(is_champion=True), on=["champions_month", "key"], how="left")
        pm["is_champion"] = pm["is_champion"].astype("boolean").fillna(False)
        training = self.training.assign(key=_keys(self.training["email"]), month=self.training["date"].str[:7])
        self.training_months = set(training["month"])
        trained = []
        for month in self.months:
            window = {(_shift(month, -i)) for i in range(12)}
            keys = training.loc[training["month"].isin(window), ["key"]].drop_duplicates()
            trained.append(keys.assign(month=month, trained=True))
        pm = pm.merge(pd.concat(trained, ignore_index=True), on=["month", "key"], how="left")
        pm["trained"] = pm["trained"].astype("boolean").fillna(False)
        self.pm = pm
        self.has_activity = has_activity
        self.has_communities = set(self.communities["month"])
        self.active_communities = (self.communities[self.communities["posts"] > 0].groupby("month").size())
        org_kpis = self.kpis[self.kpis["department"] == ""]
        with_target = org_kpis.dropna(subset=["target", "value"])
        on_target = with_target.apply(
            lambda r: r["value"] >= r["target"] if str(r["higher_is_better"]).lower() == "true"
            else r["value"] <= r["target"], axis=1)
        self.kpi_share = on_target.groupby(with_target["month"]).mean() if len(with_target) else pd.Series(dtype=float)

    # --- the page data ---------------------------------------------------------------------------------------------
    def headline(self, month: str) -> dict:
        """metrics.org_month for the whole organisation."""
        rows = self.pm[self.pm["month"] == month]
        headcount = len(rows)
        if not headcount:
            return {}
        activity = month in self.has_activity
        active = int(rows["active"].sum()) if activity else None
        executives = rows[rows["level"] == "executive"]
        posts = rows["posts"].fillna(0).sum()
        champions = int(rows["is_champion"].sum())
        departments = rows.groupby("department")["is_champion"].any()
        has_training = any(_shift(month, -i) in self.training_months for i in range(12))
        return {
            "headcount": headcount, "active": active,
            "adoption_rate": active / headcount if activity else None,
            "contributors": int(rows["contributor"].sum()) if activity else None,
            "contribution_rate": rows["contributor"].sum() / headcount if activity else None,
            "creators": int(rows["creator"].sum()) if activity else None,
            "returning": int(rows["is_returning"].sum()) if activity else None,
            "new": int(rows["is_new"].sum()) if activity else None,
            "leadership_participation": (executives["active"].sum() / len(executives))
            if activity and len(executives) else None,
            "responses_per_post": ((rows["replies"].fillna(0).sum() + rows["reactions"].fillna(0).sum()) / posts)
            if activity and posts > 0 else None,
            "active_communities": int(self.active_communities.get(month, 0)) if month in self.has_communities
            else None,
            "champion_coverage": departments.mean() if rows["champions_month"].notna().any() else None,
            "champions_per_1000": 1000.0 * champions / headcount if rows["champions_month"].notna().any() else None,
            "training_reach": rows["trained"].sum() / headcount if has_training else None,
            "kpis_on_target_share": self.kpi_share.get(month),
        }

    def by_dimension(self, dimension: str, months: list[str]) -> pd.DataFrame:
        rows = self.pm[self.pm["month"].isin(months)]
        cells = rows.groupby(["month", dimension]).agg(headcount=("key", "size"), active=("active", "sum"),
                                                       contributors=("contributor", "sum")).reset_index()
        small = cells["headcount"] < self.min_group
        cells["adoption_rate"] = (cells["active"] / cells["headcount"]).mask(small)
        cells["contribution_rate"] = (cells["contributors"] / cells["headcount"]).mask(small)
        cells["suppressed"] = small
        return cells

    def by_tool(self, month: str) -> pd.DataFrame:
        rows = self.pm.loc[self.pm["month"] == month, ["key"]]
        tools = self.per_tool[(self.per_tool["month"] == month) & self.per_tool["active"]]
        tools = tools.merge(rows, on="key")
        counted = tools.assign(contributor=(tools.posts + tools.replies) >= 1).groupby("tool").agg(
            active=("key", "size"), contributors=("contributor", "sum"))
        counted["adoption_rate"] = counted["active"] / len(rows)
        return counted.reset_index()

    def movers(self, month: str, compare: str) -> list:
        cells = self.by_dimension("department", [month, compare]).pivot(index="department", columns="month",
                                                                        values="adoption_rate")
        if month not in cells or compare not in cells:
            return []
        change = (cells[month] - cells[compare]).dropna()
        return change.reindex(change.abs().sort_values(ascending=False).index)[:3].to_dict()

    def coe_departments(self, month: str) -> pd.DataFrame:
        rows = self.pm[self.pm["month"] == month]
        cells = rows.groupby("department").agg(headcount=("key", "size"), champions=("is_champion", "sum"),
                                               active=("active", "sum")).reset_index()
        cells["champions_per_1000"] = 1000.0 * cells["champions"] / cells["headcount"]
        cells["adoption_rate"] = cells["active"] / cells["headcount"]
        cells["has_champion"] = cells["champions"] > 0
        return cells

    def lift(self, month: str) -> dict:
        cells = self.coe_departments(month)
        sides = cells.groupby("has_champion").agg(headcount=("headcount", "sum"), active=("active", "sum"))
        rate = sides["active"] / sides["headcount"]
        return {"with": rate.get(True), "without": rate.get(False),
                "covered": sides["headcount"].get(True, 0) / sides["headcount"].sum()}

    def champion_content_share(self, month: str) -> float | None:
        rows = self.pm[self.pm["month"] == month]
        written = rows["posts"].fillna(0) + rows["replies"].fillna(0)
        return written[rows["is_champion"]].sum() / written.sum() if written.sum() else None

    def scorecard(self, month: str) -> pd.DataFrame:
        org = self.kpis[self.kpis["department"] == ""]
        window = [_shift(month, -i) for i in range(12)]
        now = org[org["month"] == month]
        previous = org[org["month"] == _shift(month, -1)][["kpi", "value"]].rename(columns={"value": "previous"})
        history = org[org["month"].isin(window)].sort_values("month").groupby("kpi")["value"].agg(list)
        return now.merge(previous, on="kpi", how="left").assign(history=lambda f: f["kpi"].map(history))

    def department_points(self, month: str) -> pd.DataFrame:
        rows = self.pm[self.pm["month"] == month]
        adoption = rows.groupby("department").agg(headcount=("key", "size"), active=("active", "sum"))
        adoption = adoption[adoption["headcount"] >= self.min_group]
        adoption["adoption_rate"] = adoption["active"] / adoption["headcount"]
        points = self.kpis[(self.kpis["month"] == month) & (self.kpis["department"] != "")]
        return points.merge(adoption["adoption_rate"].reset_index(), on="department")

    def correlations(self, month: str) -> dict:
        found = {}
        for kpi, points in self.department_points(month).dropna(subset=["value"]).groupby("kpi"):
            if len(points) < 5:
                found[kpi] = None
                continue
            value = points["value"].rank(method="average")
            adoption = points["adoption_rate"].rank(method="average")
            if value.var() == 0 or adoption.var() == 0:
                found[kpi] = None
                continue
            sign = 1 if str(points["higher_is_better"].iloc[0]).lower() == "true" else -1
            found[kpi] = sign * value.corr(adoption)
        return found

    def kpi_trend(self, months: list[str]) -> pd.DataFrame:
        org = self.kpis[(self.kpis["department"] == "") & self.kpis["month"].isin(months)]
        adoption = {m: (self.headline(m) or {}).get("adoption_rate") for m in months}
        return org.assign(adoption_rate=org["month"].map(adoption))

    def measure_values(self, months: list[str]) -> dict:
        """The rubric's measures per month, as queries/stages.py measure_values assembles them."""
        values = {}
        headlines = {m: self.headline(m) for m in set(months) | {_shift(m, -i) for m in months for i in range(6)}
                     if m in self.months}
        departments = self.by_dimension("department", months)
        org = self.kpis[self.kpis["department"] == ""]
        for month in months:
            head = headlines.get(month) or {}
            row = {key: head.get(key) for key in ("adoption_rate", "contribution_rate", "active_communities",
                                                   "responses_per_post", "champion_coverage", "champions_per_1000",
                                                   "training_reach", "leadership_participation",
                                                   "kpis_on_target_share")}
            row["activity_uploaded"] = 1 if month in self.has_activity else None
            row["roster_applies"] = 1 if head else None
            kpis = org[org["month"] == month]
            row["kpis_with_target"] = kpis.loc[kpis["target"].notna(), "kpi"].nunique() if len(kpis) else None
            row["kpis_with_objective"] = (kpis.loc[kpis["target"].notna() & (kpis["objective"].str.strip() != ""),
                                                   "kpi"].nunique() if len(kpis) else None)
            rates = departments.loc[(departments["month"] == month) & ~departments["suppressed"],
                                    "adoption_rate"].dropna()
            row["breadth"] = (rates >= self.rules.adoption_bar - 1e-9).mean() if len(rates) else None
            row["lowest_department_adoption"] = rates.min() if len(rates) else None
            window = [(headlines.get(_shift(month, -i)) or {}).get("adoption_rate") for i in range(6)]
            row["min_adoption_6_months"] = min(window) if all(v is not None for v in window) else None
            found = [v for v in self.correlations(month).values() if v is not None]
            row["best_kpi_correlation"] = max(found) if found else None
            values[_month(month)] = row
        return values

    def answers(self, month: str) -> dict:
        held = self.checklist[self.checklist["month"] <= month].sort_values("month")
        return {row.criterion.lower(): row.answer.lower() == "yes" for row in held.itertuples()}

    def placement(self, month: str):
        window = [_shift(month, -i) for i in range(5, -1, -1)]
        values = self.measure_values(window)
        return stages.place(_month(month), self.rules, values[_month(month)], self.answers(month), trend=values)

    def history(self, months: list[str]) -> list:
        values = self.measure_values(months)
        return [stages.place(_month(m), self.rules, values[_month(m)], self.answers(m)).stage for m in months]

    # --- per page ------------------------------------------------------------------------------------------------
    def page(self, page: str, month: str, compare: str) -> tuple[float, object]:
        """(seconds, data) for one page: the reads it needs, building the per-person table, and its own work."""
        held = [m for m in self.months if m <= month]
        trailing12, trailing24 = held[-12:], held[-24:]
        everything = {"roster", "activity", "champions", "training", "kpis", "communities"}
        work = {
            "overview": (everything | {"checklist"}, None, lambda: (
                self.headline(month), self.headline(compare), self.by_dimension("department", [month]),
                self.placement(month), [self.headline(m) for m in trailing12], self.movers(month, compare))),
            "adoption": (everything, None, lambda: (
                self.headline(month), self.headline(compare), self.by_dimension("department", [month]),
                [self.headline(m) for m in trailing24], self.by_dimension("department", trailing12),
                self.by_dimension("region", [month]), self.by_dimension("level", [month]), self.by_tool(month))),
            "coe": (everything, None, lambda: (
                self.headline(month), self.headline(compare), self.coe_departments(month), self.lift(month),
                self.champion_content_share(month), [self.headline(m) for m in trailing12])),
            # adoption by month needs only those months' activity; no new or returning people on this page
            "alignment": ({"roster", "activity", "kpis"}, set(trailing12), lambda: (
                self.scorecard(month), self.department_points(month), self.correlations(month),
                self.kpi_trend(trailing12))),
            "stages": (everything | {"checklist"}, None, lambda: (
                self.placement(month), self.history(held), self.answers(month))),
        }
        if page not in work:
            return None, None  # the Data page shows the upload ledger, which no export holds
        kinds, months, compute = work[page]
        start = time.perf_counter()
        data = compute()
        seconds = time.perf_counter() - start
        return self.read_seconds(kinds, months) + self.timer.seconds["build"] + seconds, data


def _shift(label: str, months: int) -> str:
    index = int(label[:4]) * 12 + int(label[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
