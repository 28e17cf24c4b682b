"""The rollups against a per-person recount: a generated organisation, every headline metric, every month, a sample
of filters; and the incremental refresh (an old month imported late, an undo, a re-upload) against a fresh load."""
import datetime as dt
import os

import pytest

from conftest import DUCKLAKE, PEPPER, copy_warehouse, fresh_location
from queries import demo, metrics, participation, rubric, synth, uploads, warehouse

PEOPLE, MONTHS = 300, 6
ROLLUPS = ("month_status", "person_month", "org_rollup", "first_active", "department_kpis", "segment_moves",
           "cohort_rollup")
FILTERS = [
    metrics.ALL,
    metrics.Filters(departments=("Sales",)),
    metrics.Filters(departments=("Engineering", "IT")),
    metrics.Filters(regions=("EMEA",)),
    metrics.Filters(units=("Technology",), regions=("North America",)),
    metrics.Filters(tool="slack"),
    metrics.Filters(tool="teams"),
    metrics.Filters(tool="viva-engage", departments=("Marketing",)),
]


@pytest.fixture(scope="module")
def pepper():
    previous = os.environ.get("DASHBOARD_PEPPER")
    os.environ["DASHBOARD_PEPPER"] = PEPPER
    yield PEPPER
    if previous is None:
        os.environ.pop("DASHBOARD_PEPPER", None)
    else:
        os.environ["DASHBOARD_PEPPER"] = previous


def load_files(location, files):
    for path in files:
        uploads.import_file(path.name, path.read_bytes(), location=location, month=slack_month(path))


def slack_month(path):
    # Slack's CSV exports carry no period; the file name says which month they are for.
    return demo.month_from_name(path) if path.name.startswith("slack") else None


@pytest.fixture(scope="module", params=["canonical", "vendor"])
def organisation(request, tmp_path_factory, pepper):
    """(warehouse, export files in load order) for a generated organisation, loaded in order."""
    folder = tmp_path_factory.mktemp(f"org-{request.param}")
    files = synth.write_org(folder / "exports", people=PEOPLE, months=MONTHS, seed=11, fmt=request.param)
    location = fresh_location(folder, f"org_{request.param}")
    load_files(location, files)
    return location, files


@pytest.fixture
def copy_of(organisation, tmp_path):
    return copy_warehouse(organisation[0], fresh_location(tmp_path, "copy"))


def rollups(location) -> dict:
    """Every rollup table's rows, sorted, for exact comparison."""
    with warehouse.opened(location) as conn:
        return {table: sorted(map(repr, conn.execute(f"SELECT * FROM {table}").fetchall())) for table in ROLLUPS}


# --- the per-person recount ---------------------------------------------------------------------------------------
def previous(month):
    return (month - dt.timedelta(days=1)).replace(day=1)


def months_back(month, count):
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


class Recount:
    """The headline metrics (docs/metrics.md#headline-metrics) counted person by person from the live canonical rows, without the rollups."""

    def __init__(self, conn):
        self.conn = conn
        self.slices = conn.execute(
            "SELECT kind, tool, month FROM live_slices WHERE kind <> 'checklist'").fetchall()

    def latest(self, kind, month):
        found = [m for k, _, m in self.slices if k == kind and m <= month]
        return max(found) if found else None

    def roster(self, month):
        source = self.latest("roster", month)
        rows = self.conn.execute("SELECT person_key, department, region, business_unit, level FROM live_roster "
                                 "WHERE month = ?", [source]).fetchall()
        return {key: {"department": d, "region": r, "unit": u, "level": level} for key, d, r, u, level in rows}

    def tools(self, month):
        return {t for k, t, m in self.slices if k == "activity" and m == month}

    def contribution_tools(self, month):
        """The tools whose rows report posts or replies for someone (the older Teams export reports neither)."""
        return {tool for (tool,) in self.conn.execute(
            "SELECT DISTINCT tool FROM live_activity WHERE month = ? AND (posts IS NOT NULL OR replies IS NOT NULL)",
            [month]).fetchall()}

    def activity(self, month, tool=None):
        """{person: {active, posts, replies, reactions}} on one tool, or summed over all tools."""
        people = {}
        for key, row_tool, posts, replies, reactions, reads, other, days in self.conn.execute(
                "SELECT person_key, tool, posts, replies, reactions, reads, other_actions, active_days "
                "FROM live_activity WHERE month = ?", [month]).fetchall():
            if tool is not None and row_tool != tool:
                continue
            counts = [posts or 0, replies or 0, reactions or 0]
            active = sum(counts) + (reads or 0) + (other or 0) > 0 or (days or 0) > 0
            found = people.setdefault(key, {"active": False, "posts": 0, "replies": 0, "reactions": 0,
                                            "contributor": False, "creator": False})
            found["active"] |= active
            found["posts"] += counts[0]
            found["replies"] += counts[1]
            found["reactions"] += counts[2]
            if tool is not None:  # on one tool: that tool's own posts and replies
                found["contributor"] = active and counts[0] + counts[1] >= 1
                found["creator"] = active and counts[0] >= 1
        if tool is None:
            for found in people.values():
                found["contributor"] = found["active"] and found["posts"] + found["replies"] >= 1
                found["creator"] = found["active"] and found["posts"] >= 1
        return people

    def active_people(self, month):
        """People on the month's roster who were active on any tool in it."""
        if not self.tools(month):
            return set()
        roster = self.roster(month)
        return {key for key, row in self.activity(month).items() if row["active"] and key in roster}

    def held(self):
        months = [m for _, _, m in self.slices]
        first, last, found = min(months), max(months), []
        while first <= last:
            found.append(first)
            first = months_back(first, -1)
        return found

    def metrics(self, month, filters: metrics.Filters) -> dict:
        def in_scope(row):
            return ((not filters.departments or row["department"] in filters.departments)
                    and (not filters.regions or row["region"] in filters.regions)
                    and (not filters.units or row["unit"] in filters.units))

        scope = {key: row for key, row in self.roster(month).items() if in_scope(row)}
        headcount = len(scope)
        tools = self.tools(month)
        has_activity = bool(tools)
        has_tool = has_activity and (filters.tool is None or filters.tool in tools)
        # contribution over the tools that report posts or replies; none (or not the filtered tool): no data
        reporting = self.contribution_tools(month)
        has_contribution = bool(reporting) if filters.tool is None else filters.tool in reporting
        on_tool = self.activity(month, filters.tool)
        counted = {key: on_tool[key] for key in scope if key in on_tool}

        def count(flag, held=has_tool):
            return sum(1 for row in counted.values() if row[flag]) if held else None

        active_now = self.active_people(month)
        earlier = set().union(*(self.active_people(m) for m in self.held() if m < month))
        before = self.active_people(previous(month))
        executives = [key for key, row in scope.items() if row["level"] == "executive"]
        posts = sum(row["posts"] for row in counted.values())
        champions_from = self.latest("champions", month)
        champions = {key for (key,) in self.conn.execute(
            "SELECT person_key FROM live_champions WHERE month = ?", [champions_from]).fetchall()} & set(scope)
        departments = {row["department"] for row in scope.values()}
        with_champion = {scope[key]["department"] for key in champions}
        window = (months_back(month, 11), month)
        trained = {key for (key,) in self.conn.execute(
            "SELECT person_key FROM live_training WHERE month BETWEEN ? AND ?", list(window)).fetchall()}
        has_training = any(k == "training" and window[0] <= m <= month for k, _, m in self.slices)
        kinds = {k for k, _, m in self.slices if m == month}
        on_target = [bool(v >= t if higher else v <= t) for v, t, higher in self.conn.execute(
            "SELECT value, target, higher_is_better FROM live_kpis WHERE month = ? AND department IS NULL "
            "AND target IS NOT NULL AND value IS NOT NULL", [month]).fetchall()]
        communities = self.conn.execute(
            "SELECT count(*) FILTER (WHERE posts > 0) FROM live_communities WHERE month = ? "
            "AND (? IS NULL OR tool = ?)", [month, filters.tool, filters.tool]).fetchone()[0]
        if not headcount:
            return {"headcount": None}
        min_group = rubric.min_group_size()
        if headcount < min_group:  # a scope below the minimum group size: every figure about its people withheld
            return {key: None for key in ("headcount", "active", "adoption_rate", "contributors", "contribution_rate",
                                          "creators", "returning", "new", "leadership_participation",
                                          "responses_per_post", "champion_coverage", "champions_per_1000",
                                          "training_reach")}
        return {
            "headcount": headcount,
            "active": count("active"),
            "adoption_rate": count("active") / headcount if has_tool else None,
            "contributors": count("contributor", has_contribution),
            "contribution_rate": count("contributor") / headcount if has_contribution else None,
            "creators": count("creator", has_contribution),
            "returning": len(set(scope) & active_now & before) if has_activity else None,
            "new": len((set(scope) & active_now) - earlier) if has_activity else None,
            "leadership_participation": (sum(1 for key in executives if counted.get(key, {}).get("active"))
                                         / len(executives)) if has_tool and len(executives) >= min_group else None,
            "responses_per_post": (sum(row["replies"] + row["reactions"] for row in counted.values()) / posts)
            if has_contribution and posts > 0 else None,
            "active_communities": communities if "communities" in kinds else None,
            "champion_coverage": len(with_champion) / len(departments) if champions_from else None,
            "champions_per_1000": 1000.0 * len(champions) / headcount if champions_from else None,
            "training_reach": len(set(scope) & trained) / headcount if has_training else None,
            "kpis_on_target_share": (sum(on_target) / len(on_target) if on_target else None)
            if "kpis" in kinds else None,
        }


class ParticipationRecount(Recount):
    """Segments, habitual, stickiness, segment moves and cohorts (docs/metrics.md#participation) counted person by
    person; the tool filter does not apply to them."""

    def __init__(self, conn):
        super().__init__(conn)
        self._read = {}

    def _once(self, name, month, read):
        # Asked per person and month: each month's rows are read once (on DuckLake every read is a round trip).
        if (name, month) not in self._read:
            self._read[name, month] = read(month)
        return self._read[name, month]

    def active_people(self, month):
        return self._once("active", month, super().active_people)

    def contribution_tools(self, month):
        return self._once("contribution_tools", month, super().contribution_tools)

    def roster(self, month):
        return self._once("roster", month, super().roster)

    def activity(self, month, tool=None):
        if tool is not None:
            return super().activity(month, tool)
        return self._once("activity", month, super().activity)

    def in_scope(self, filters, row):
        return ((not filters.departments or row["department"] in filters.departments)
                and (not filters.regions or row["region"] in filters.regions)
                and (not filters.units or row["unit"] in filters.units))

    def segment(self, month, key):
        if not self.contribution_tools(month):
            return None
        found = self.activity(month).get(key) if key in self.active_people(month) else None
        if found is None:
            return "inactive"
        if found["posts"] >= 1:
            return "creator"
        return "responder" if found["replies"] + found["reactions"] >= 1 else "observer"

    def held_with_activity(self, month):
        return month in self.held() and bool(self.tools(month))

    def segments(self, month, filters):
        scope = {key for key, row in self.roster(month).items() if self.in_scope(filters, row)}
        if not scope or len(scope) < rubric.min_group_size():
            return {key: None for key in participation.CLI_KEYS}
        counts = {name: 0 for name in ("creator", "responder", "observer", "inactive")}
        for key in scope:
            found = self.segment(month, key)
            if found:
                counts[found] += 1
        active = scope & self.active_people(month)
        has_segments = bool(self.contribution_tools(month))
        three = [month, previous(month), previous(previous(month))]
        recent = set().union(*(self.active_people(m) for m in self.held()
                               if months_back(month, 11) <= m <= month)) & scope
        has_activity = bool(self.tools(month))
        return {
            "creators": counts["creator"] if has_segments else None,
            "responders": counts["responder"] if has_segments else None,
            "observers": counts["observer"] if has_segments else None,
            "inactive": len(scope - active) if has_activity else None,
            "habitual": len(scope.intersection(*(self.active_people(m) for m in three)))
            if all(self.held_with_activity(m) for m in three) else None,
            "stickiness": len(active) / len(recent) if has_activity and recent else None,
        }

    def moves(self, month, filters):
        before = previous(month)
        if not (self.contribution_tools(month) and before in self.held() and self.contribution_tools(before)):
            return {}
        roster = self.roster(month)
        if len([k for k, row in roster.items() if self.in_scope(filters, row)]) < rubric.min_group_size():
            return {}
        both = [k for k, row in roster.items() if self.in_scope(filters, row) and k in self.roster(before)]
        found = {}
        for key in both:
            pair = (self.segment(before, key), self.segment(month, key))
            found[pair] = found.get(pair, 0) + 1
        return found

    def cohorts(self, last, filters):
        found, earlier = [], set()
        for month in self.held():
            if month > last:
                break
            new = self.active_people(month) - earlier
            earlier |= self.active_people(month)
            roster = self.roster(month)
            members = {key for key in new if self.in_scope(filters, roster[key])}
            if not members or len(members) < rubric.min_group_size():
                continue
            retention = {}
            for later in self.held():
                if month < later <= last and self.tools(later):
                    k = (later.year - month.year) * 12 + later.month - month.month
                    retention[k] = len(members & self.active_people(later)) / len(members)
            found.append({"cohort": month, "size": len(members), "retention": retention})
        return found


def assert_same(found: dict, expected: dict, where: str):
    for key, value in expected.items():
        if value is None or found.get(key) is None:
            assert found.get(key) == value, f"{where}: {key}"
        else:
            assert found[key] == pytest.approx(value), f"{where}: {key}"


def assert_matches_recount(location):
    with warehouse.opened(location) as conn:
        recount = Recount(conn)
        held = metrics.months(conn)
        assert held == recount.held()
        for month in held:
            for filters in FILTERS:
                assert_same(metrics.org_month(conn, month, filters), recount.metrics(month, filters),
                            f"{month:%Y-%m} {filters}")
        assert_participation_matches(conn, held)


def assert_participation_matches(conn, held):
    recount = ParticipationRecount(conn)
    for filters in FILTERS[:5]:  # the tool filter does not apply to participation
        for month in held:
            where = f"{month:%Y-%m} {filters}"
            assert_same(participation.segments(conn, month, filters), recount.segments(month, filters), where)
            moved = {(r["from_segment"], r["to_segment"]): r["people"]
                     for r in participation.moves(conn, month, month, filters)}
            assert moved == recount.moves(month, filters), where
        found = participation.cohorts(conn, held[0], held[-1], filters)
        expected = recount.cohorts(held[-1], filters)
        assert [(c["cohort"], c["size"]) for c in found] == [(c["cohort"], c["size"]) for c in expected], filters
        for ours, theirs in zip(found, expected):
            assert ours["retention"] == pytest.approx(theirs["retention"]), (ours["cohort"], filters)


# --- the tests ------------------------------------------------------------------------------------------------------
def test_every_metric_of_every_month_matches_a_per_person_recount(organisation):
    location, _files = organisation
    with warehouse.opened(location) as conn:
        assert len(metrics.months(conn)) == MONTHS
        latest = metrics.org_month(conn, metrics.latest_month(conn))
    assert latest["headcount"] > PEOPLE and latest["new"] is not None and latest["champion_coverage"] is not None
    assert_matches_recount(location)


@pytest.mark.slow
def test_an_old_month_imported_last_refreshes_the_months_after_it(organisation, tmp_path):
    """The roster and registers first, then the activity month by month, newest first: each older month that
    arrives changes who is new, returning and lapsed in the months after it."""
    location, files = organisation
    late = fresh_location(tmp_path, "late")
    monthly = [p for p in files if demo.month_from_name(p)]
    for path in files:
        if path.name in ("activity.csv", "communities.csv"):  # canonical history: split into monthly files
            monthly += split_by_month(path, tmp_path)
    first = [p for p in files if p not in monthly and p.name not in ("activity.csv", "communities.csv")]
    load_files(late, first + sorted(monthly, key=lambda p: demo.month_from_name(p), reverse=True))
    assert_matches_recount(late)
    assert rollups(late) == rollups(location)


def split_by_month(path, folder):
    lines = path.read_text().splitlines(keepends=True)
    by_month = {}
    for line in lines[1:]:
        by_month.setdefault(line[:7], []).append(line)
    written = []
    for month, rows in by_month.items():
        target = folder / f"{path.stem}_{month}.csv"
        target.write_text(lines[0] + "".join(rows))
        written.append(target)
    return written


def test_undo_restores_the_rollups_exactly(copy_of, organisation):
    _location, files = organisation
    before = rollups(copy_of)
    with warehouse.opened(copy_of) as conn:
        first = metrics.months(conn)[0]
    # A corrected export of the first month: everyone on it posts once more on Slack.
    corrected = "month,email,tool,posts\n" + "".join(
        f"{first:%Y-%m},p{i:06d}@example.com,slack,1\n" for i in range(1, PEOPLE + 1))
    result = uploads.import_file("slack-fix.csv", corrected.encode(), location=copy_of)
    changed = rollups(copy_of)
    assert changed["org_rollup"] != before["org_rollup"]
    assert_matches_recount(copy_of)
    with warehouse.opened(copy_of) as conn:
        uploads.undo(conn, result.upload_id)
    assert rollups(copy_of) == before


def test_a_re_upload_does_not_double_count(copy_of, organisation):
    _location, files = organisation
    before = rollups(copy_of)
    with warehouse.opened(copy_of) as conn:
        headline = {m: metrics.org_month(conn, m) for m in metrics.months(conn)}
    activity = [p for p in files if any(p.name.startswith(k) for k in ("activity", "engage_activity", "teams"))]
    load_files(copy_of, [files[0], activity[0]])  # the roster and an activity export, again
    assert rollups(copy_of) == before
    with warehouse.opened(copy_of) as conn:
        assert {m: metrics.org_month(conn, m) for m in metrics.months(conn)} == headline
        statuses = [row["status"] for row in uploads.ledger(conn)]
    assert statuses.count("replaced") >= 2


def older_teams_export(month: dt.date, people: int) -> bytes:
    """A Teams user activity export from before March 2022: chats, calls and meetings, no posts or replies."""
    refreshed = months_back(month, -1) - dt.timedelta(days=1)
    lines = ["Report Refresh Date,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,Assigned Products,"
             "Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,Has Other Action,"
             "Report Period"]
    for i in range(1, people + 1):
        lines.append(f"{refreshed},p{i:06d}@example.com,{refreshed},False,,MICROSOFT 365 E3,{i % 3},{i % 4},"
                     f"{i % 5 // 4},{i % 7 // 6},No,30")
    return ("\n".join(lines) + "\n").encode()


def test_an_older_teams_export_matches_the_recount_and_undoes_exactly(copy_of):
    """The first month's Teams activity replaced by the older export (Teams contribution no data, all tools counted
    over the others), and a month after the last with only that export (contribution no data for all tools)."""
    before = rollups(copy_of)
    with warehouse.opened(copy_of) as conn:
        held = metrics.months(conn)
    first, after = held[0], months_back(held[-1], -1)
    replacing = uploads.import_file("teams-old.csv", older_teams_export(first, PEOPLE), location=copy_of)
    alone = uploads.import_file("teams-old-next.csv", older_teams_export(after, PEOPLE), location=copy_of)
    assert_matches_recount(copy_of)
    with warehouse.opened(copy_of) as conn:
        teams = metrics.org_month(conn, first, metrics.Filters(tool="teams"))
        assert teams["adoption_rate"] > 0 and teams["contribution_rate"] is None and teams["creators"] is None
        assert metrics.org_month(conn, first)["contribution_rate"] is not None
        only = metrics.org_month(conn, after)
        assert only["adoption_rate"] > 0 and only["contribution_rate"] is None and only["contributors"] is None
        uploads.undo(conn, alone.upload_id)
        uploads.undo(conn, replacing.upload_id)
    assert rollups(copy_of) == before


# --- every kind: the incremental refresh against a full recount --------------------------------------------------
# One file of each kind, changed: the rows of one month of a multi-month file, or one month's export, with every
# third row left out (people leave the roster, the champion register and the training list; activity, devices,
# communities and KPIs lose rows). Each is imported into a copy of the organisation, undone and imported again.
KIND_FILES = ("roster", "champions", "training", "engage_activity", "teams_activity", "slack_members",
              "engage_devices", "engage_groups", "slack_channels", "kpis")


def changed_file(files, kind, tmp_path):
    """One month of `kind` from the vendor organisation's exports, every third row left out."""
    monthly = sorted(p for p in files if p.name.startswith(kind + "_"))
    source = monthly[len(monthly) // 2] if monthly else next(p for p in files if p.name == f"{kind}.csv")
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    rows = lines[1:]
    if not monthly:  # a multi-month register: the middle month's rows only (its first column is a month or a date)
        held = sorted({row[:7] for row in rows})
        rows = [row for row in rows if row.startswith(held[len(held) // 2])]
    target = tmp_path / source.name
    target.write_text(lines[0] + "".join(row for i, row in enumerate(rows) if i % 3 != 1), encoding="utf-8")
    return target


def recounted(location, tmp_path) -> dict:
    """The rollups of a copy of the warehouse counted again from nothing, every month, as after a migration."""
    copy = copy_warehouse(location, fresh_location(tmp_path, "recount"))
    with warehouse.opened(copy) as conn:
        with warehouse.transaction(conn):
            conn.execute("DELETE FROM rollup_sources")
            warehouse.refresh_rollups(conn)
    return rollups(copy)


@pytest.mark.slow
@pytest.mark.parametrize("organisation", ["vendor"], indirect=True)
@pytest.mark.parametrize("kind", KIND_FILES)
def test_each_kind_refreshes_as_a_full_recount_and_undoes_exactly(organisation, kind, tmp_path):
    location, files = organisation
    copy = copy_warehouse(location, fresh_location(tmp_path, "copy"))
    before = rollups(copy)
    path = changed_file(files, kind, tmp_path)
    result = uploads.import_file(path.name, path.read_bytes(), location=copy, month=slack_month(path))
    after = rollups(copy)
    assert after != before, f"the changed {kind} file changed nothing"
    assert after == recounted(copy, tmp_path)
    if not DUCKLAKE:  # the per-person recount of every month and filter: the same SQL on both backends, and slow
        assert_matches_recount(copy)
    uploads.import_file(path.name, path.read_bytes(), location=copy, month=slack_month(path))  # the same again
    assert rollups(copy) == after
    with warehouse.opened(copy) as conn:
        uploads.undo(conn, result.upload_id + 1)
        uploads.undo(conn, result.upload_id)
    assert rollups(copy) == before
