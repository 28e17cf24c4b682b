"""One person across e-mail changes (docs/metrics.md#identity): small organisations counted by hand, a link that
arrives after both months are in and its undo, refusals, the preview, and a property test that an organisation whose
people change address counts exactly as the same organisation without changes."""
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DUCKLAKE, PEPPER, fresh_location, snapshot
from small_org import person_key
from queries import metrics, participation, uploads, warehouse
from queries.imports import ImportRefused, read_upload

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
ROSTER = "month,email,department,region,business_unit,level,person_id\n"
ACTIVITY = "month,email,tool,posts,replies,reactions\n"
CHANGES = "old_email,new_email,month\n"
# The rollups every page reads, with the per-person ones' keys left out: they are the figures.
FIGURES = {
    "org_rollup": "SELECT * FROM org_rollup",
    "segment_moves": "SELECT * FROM segment_moves",
    "cohort_rollup": "SELECT * FROM cohort_rollup",
    "month_status": "SELECT * FROM month_status",
    "person_month": "SELECT * EXCLUDE (person_key) FROM person_month",
    "first_active": "SELECT first_month FROM first_active",
}


@pytest.fixture(autouse=True)
def _every_group_shown(every_group_shown):
    """Organisations of a few people counted by hand are below the minimum group size."""


def figures(location) -> dict:
    with warehouse.opened(location) as conn:
        return {name: sorted(map(repr, conn.execute(sql).fetchall())) for name, sql in FIGURES.items()}


def headline(location, month) -> dict:
    with warehouse.opened(location) as conn:
        (row,) = metrics.org_months(conn, month, month)
    return {k: row[k] for k in ("headcount", "active", "new", "returning", "lapsed")}


def roster(rows) -> str:
    return ROSTER + "".join(f"{m:%Y-%m},{email},{dept},EMEA,Ops,staff,{pid}\n" for m, email, dept, pid in rows)


def activity(rows) -> str:
    return ACTIVITY + "".join(f"{m:%Y-%m},{email},viva-engage,{posts},0,{reactions}\n"
                              for m, email, posts, reactions in rows)


# --- An address change in the middle of a cohort ---------------------------------------------------------------------

def ada_changes_address(pid_a="E1"):
    """Ada is a1@x.example in January and a2@x.example from February; Bo and Cy keep theirs."""
    people = {JAN: ("a1@x.example", "b@x.example", "c@x.example"),
              FEB: ("a2@x.example", "b@x.example", "c@x.example"),
              MAR: ("a2@x.example", "b@x.example", "c@x.example")}
    pids = ("E1" if pid_a else "", "E2" if pid_a else "", "E3" if pid_a else "")
    rows = [(m, email, "Sales", pid) for m, emails in people.items() for email, pid in zip(emails, pids)]
    acts = [(JAN, "a1@x.example", 1, 0), (JAN, "b@x.example", 1, 0),
            (FEB, "a2@x.example", 1, 0), (FEB, "c@x.example", 0, 2),
            (MAR, "a2@x.example", 1, 0), (MAR, "b@x.example", 1, 0)]
    return roster(rows), activity(acts)


def test_an_address_change_mid_cohort_keeps_the_person_returning_and_in_their_cohort(load, db):
    people, acts = ada_changes_address()
    load("roster.csv", people)
    result = load("activity.csv", acts)
    assert result.unmapped == 0
    assert headline(db, JAN) == {"headcount": 3, "active": 2, "new": 2, "returning": 0, "lapsed": 0}
    # Ada posts under a2 in February: returning, not new; Bo lapsed; Cy new
    assert headline(db, FEB) == {"headcount": 3, "active": 2, "new": 1, "returning": 1, "lapsed": 1}
    assert headline(db, MAR) == {"headcount": 3, "active": 2, "new": 0, "returning": 1, "lapsed": 1}
    with warehouse.opened(db) as conn:
        cohort = {c["cohort"]: c for c in participation.cohorts(conn, JAN, MAR)}
        moves = participation.moves(conn, FEB, FEB)
    assert cohort[JAN]["size"] == 2
    assert cohort[JAN]["retention"] == {1: 0.5, 2: 1.0}  # Ada stays in January's cohort
    ada = [m for m in moves if m["from_segment"] == "creator" and m["to_segment"] == "creator"]
    assert sum(m["people"] for m in ada) == 1  # a creator who stayed one, not inactive → creator


def test_without_a_link_the_same_change_is_one_person_lapsing_and_another_arriving(load, db):
    people, acts = ada_changes_address(pid_a=None)
    load("roster.csv", people)
    load("activity.csv", acts)
    # (Ada's old address is on no February roster, so it cannot lapse there: she simply vanishes)
    assert headline(db, FEB) == {"headcount": 3, "active": 2, "new": 2, "returning": 0, "lapsed": 1}


def test_the_figures_equal_those_of_the_same_organisation_without_the_change(load, db, tmp_path):
    people, acts = ada_changes_address()
    load("roster.csv", people)
    load("activity.csv", acts)
    still = fresh_location(tmp_path, "still")
    for name, text in (("roster.csv", people), ("activity.csv", acts)):
        uploads.import_file(name, text.replace("a2@x.example", "a1@x.example").encode(), location=still)
    assert figures(db) == figures(still)


# --- A whole unit moves to a new domain ------------------------------------------------------------------------------

def test_a_domain_migration_of_a_unit_makes_nobody_new_or_lapsed(load, db):
    """Ops (four people) moves from old.example to new.example in March; the Entra object id stays. The champion
    register and the training were recorded under the old addresses."""
    def address(n, month):
        return f"p{n}@{'new' if month == MAR and n < 4 else 'old'}.example"

    rows = [(m, address(n, m), "Ops" if n < 4 else "Sales", f"id-{n}") for m in (JAN, FEB, MAR) for n in range(6)]
    load("roster.csv", roster(rows))
    load("champions.csv", "email,department,role\np0@old.example,Ops,Champion\n", month="2026-01")
    load("training.csv", "date,program,email\n2026-01-15,Working Out Loud,p1@old.example\n")
    result = load("activity.csv", activity([(m, address(n, m), 1, 0) for m in (JAN, FEB, MAR) for n in range(6)]))
    assert result.unmapped == 0
    assert headline(db, MAR) == {"headcount": 6, "active": 6, "new": 0, "returning": 6, "lapsed": 0}
    with warehouse.opened(db) as conn:
        march = metrics.org_month(conn, MAR)
    assert march["champion_coverage"] == pytest.approx(1 / 2)  # Ops (of two departments) has its champion still
    assert march["training_reach"] == pytest.approx(1 / 6)  # and the trained person stays trained
    assert march["champions_per_1000"] == pytest.approx(1000 / 6)


# --- A link that arrives after both months are in, and its undo ------------------------------------------------------

def test_a_late_link_relinks_the_earlier_months_and_its_undo_unlinks_them(load, db):
    people, acts = ada_changes_address(pid_a=None)  # rosters without ids
    load("roster.csv", people)
    load("activity.csv", acts)
    before = figures(db)
    assert headline(db, FEB)["new"] == 2
    change = load("identity_changes.csv", CHANGES + "a1@x.example,a2@x.example,2026-02\n")
    assert change.kind == "identity_changes" and change.linked == 1
    assert "1 address linked to another address of the same person" in change.summary()
    assert headline(db, FEB) == {"headcount": 3, "active": 2, "new": 1, "returning": 1, "lapsed": 1}
    with warehouse.opened(db) as conn:
        assert metrics.months(conn) == [JAN, FEB, MAR]  # an address change holds no month of data
        uploads.undo(conn, change.upload_id)
    assert figures(db) == before


def test_a_late_link_gives_the_figures_of_a_fresh_load_with_the_link(load, db, tmp_path):
    people, acts = ada_changes_address(pid_a=None)
    load("roster.csv", people)
    load("activity.csv", acts)
    load("identity_changes.csv", CHANGES + "a1@x.example,a2@x.example,2026-02\n")
    fresh = fresh_location(tmp_path, "fresh")
    for name, text in (("identity_changes.csv", CHANGES + "a1@x.example,a2@x.example,2026-02\n"),
                       ("roster.csv", people), ("activity.csv", acts)):
        uploads.import_file(name, text.encode(), location=fresh)
    assert figures(db) == figures(fresh)


def test_teams_user_id_links_addresses_like_a_roster_id(load, db):
    people, _ = ada_changes_address(pid_a=None)
    load("roster.csv", people)
    header = ("Report Refresh Date,User Id,User Principal Name,Last Activity Date,Is Deleted,Deleted Date,"
              "Assigned Products,Team Chat Message Count,Private Chat Message Count,Call Count,Meeting Count,"
              "Post Messages,Reply Messages,Urgent Messages,Has Other Action,Report Period\n")
    for end, upn in (("2026-01-31", "a1@x.example"), ("2026-02-28", "a2@x.example")):
        result = load(f"teams_{end}.csv", header + f"{end},1b2c-ada,{upn},{end},False,,,3,0,0,0,1,0,0,No,30\n")
    assert result.linked == 1
    assert headline(db, FEB)["returning"] == 1 and headline(db, FEB)["new"] == 0


# --- Refusals --------------------------------------------------------------------------------------------------------

def test_two_ids_claiming_one_address_are_refused_naming_the_rows_and_nothing_changes(load, db):
    load("roster.csv", roster([(JAN, "a@x.example", "Sales", "E1"), (JAN, "b@x.example", "Sales", "E2")]))
    before = snapshot(db)
    with pytest.raises(ImportRefused) as refused:
        load("feb.csv", roster([(FEB, "b@x.example", "Sales", "E2"), (FEB, "a@x.example", "Sales", "E9")]))
    message = str(refused.value)
    assert "feb.csv: one person would carry two different employee ids (person_id) (row 3)" in message
    assert "a@x.example" not in message and "E9" not in message  # never echoed
    assert snapshot(db) == before


def test_an_identity_change_joining_two_people_with_their_own_ids_is_refused(load, db):
    load("roster.csv", roster([(JAN, "a@x.example", "Sales", "E1"), (JAN, "b@x.example", "Sales", "E2")]))
    before = snapshot(db)
    with pytest.raises(ImportRefused, match=r"changes.csv: one person would carry two different employee ids .*row 2"):
        load("changes.csv", CHANGES + "a@x.example,b@x.example,2026-02\n")
    assert snapshot(db) == before


@pytest.mark.parametrize("text, message", [
    (CHANGES + "a@x.example,a@x.example,2026-02\n", "row 2 gives the same address as old_email and new_email"),
    (CHANGES + "a@x.example,b@x.example,2026-02\na@x.example,c@x.example,2026-03\n",
     "row 3 repeats the same old address as row 2"),
    (CHANGES + "a@x.example,b@x.example,\n", 'row 2, column "month" is blank'),
])
def test_a_bad_identity_changes_file_is_refused_with_the_row(load, db, text, message):
    before = snapshot(db)
    with pytest.raises(ImportRefused, match=message):
        load("changes.csv", text)
    assert snapshot(db) == before


def test_ids_are_stored_only_as_pseudonyms(load, db):
    load("roster.csv", roster([(JAN, "a@x.example", "Sales", "EMP-0042")]))
    with warehouse.opened(db) as conn:
        (stored,) = conn.execute("SELECT identity_key FROM roster").fetchone()
        dump = repr(conn.execute("SELECT * FROM roster").fetchall()).lower()
    assert stored.startswith("employee-id:") and len(stored) == len("employee-id:") + 64
    assert "emp-0042" not in dump and "a@x.example" not in dump


def test_the_preview_says_how_many_addresses_a_file_links(load, db):
    people, acts = ada_changes_address(pid_a=None)
    load("roster.csv", people)
    load("activity.csv", acts)
    pending = read_upload("changes.csv", (CHANGES + "a1@x.example,a2@x.example,2026-02\n").encode(), pepper=PEPPER)
    with warehouse.opened(db) as conn:
        assert uploads.preview_coverage(conn, pending)["linked"] == 1
    with_ids = read_upload("roster.csv", ada_changes_address()[0].encode(), pepper=PEPPER)
    with warehouse.opened(db) as conn:
        assert uploads.preview_coverage(conn, with_ids)["linked"] == 1


# --- Property: address changes with a stable id change no figure --------------------------------------------------

MONTHS = [dt.date(2025, m, 1) for m in range(9, 13)]


@st.composite
def organisations(draw):
    """People with a department, an activity pattern per month, and the months in which each changes address."""
    size = draw(st.integers(3, 6))
    people = []
    for n in range(size):
        people.append({
            "department": draw(st.sampled_from(["Sales", "Ops"])),
            "on_roster": draw(st.lists(st.booleans(), min_size=len(MONTHS), max_size=len(MONTHS))),
            "posts": draw(st.lists(st.integers(0, 2), min_size=len(MONTHS), max_size=len(MONTHS))),
            "reactions": draw(st.lists(st.integers(0, 1), min_size=len(MONTHS), max_size=len(MONTHS))),
            "changes": draw(st.lists(st.booleans(), min_size=len(MONTHS), max_size=len(MONTHS))),
        })
    linked_by = draw(st.sampled_from(["person_id", "identity_changes"]))
    return people, linked_by


def files(people, changing: bool, linked_by: str) -> list[tuple[str, str]]:
    """The organisation's exports: each person's address in each month is their n-th, n counting their changes.
    With ids on the roster, an address is known by its id once it is on a roster: a person changes address in a
    month they are on it (a new address first seen in an activity export, off every roster, is nobody's yet)."""
    def changed(person, i):
        return person["changes"][i] and (linked_by == "identity_changes" or person["on_roster"][i])

    def address(n, person, month_index):
        version = sum(changed(person, i) for i in range(month_index + 1)) if changing else 0
        return f"p{n}.v{version}@x.example"

    roster_rows, activity_rows, changes = [], [], []
    for n, person in enumerate(people):
        for i, month in enumerate(MONTHS):
            email = address(n, person, i)
            if person["on_roster"][i]:
                pid = f"H{n}" if linked_by == "person_id" else ""
                roster_rows.append((month, email, person["department"], pid))
            if person["posts"][i] or person["reactions"][i]:
                activity_rows.append((month, email, person["posts"][i], person["reactions"][i]))
            if changing and i and changed(person, i):
                changes.append(f"{address(n, person, i - 1)},{email},{month:%Y-%m}\n")
    exported = [("roster.csv", roster(roster_rows))]
    if activity_rows:
        exported.append(("activity.csv", activity(activity_rows)))
    if changes and linked_by == "identity_changes":
        exported.insert(0, ("identity_changes.csv", CHANGES + "".join(changes)))
    return exported


# Fewer examples on DuckLake, where each warehouse is a new catalog database.
@pytest.mark.slow
@settings(max_examples=5 if DUCKLAKE else 12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(organisations())
def test_every_person_keyed_figure_is_unchanged_by_address_changes(tmp_path_factory, monkeypatch, organisation):
    monkeypatch.setenv("DASHBOARD_PEPPER", PEPPER)
    people, linked_by = organisation
    if not any(any(p["on_roster"]) for p in people):
        return  # no roster, nothing to count
    folder = tmp_path_factory.mktemp("orgs")
    found = []
    for changing in (False, True):
        location = fresh_location(folder, f"changing_{changing}")
        for name, text in files(people, changing, linked_by):
            uploads.import_file(name, text.encode(), location=location)
        found.append(figures(location))
        warehouse.forget(location)
    assert found[0] == found[1]


# --- Erasure follows the links ---------------------------------------------------------------------------------------

def test_erasing_any_one_address_erases_the_person_and_their_id_keeps_them_out(load, db):
    """Ada's old address is erased: her new address's rows go too, and a later roster listing her under a third
    address beside the same employee id drops her row (docs/metrics.md#erasure)."""
    from queries import erasure
    from queries.access import Actor

    people, acts = ada_changes_address()
    load("roster.csv", people)
    load("activity.csv", acts)
    ada = [person_key(a) for a in ("a1@x.example", "a2@x.example")]
    with warehouse.opened(db) as conn:
        done = erasure.erase(conn, ["A1@x.example"], PEPPER, Actor("admin", "admin"))
        assert done.removed["roster"] == 3 and done.removed["activity"] == 3
        for table in ("roster", "activity", "person_month", "first_active", "person_alias"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE person_key IN (?, ?)", ada).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM roster WHERE identity_key LIKE 'employee-id:%'").fetchone()[0] == 6
    again = load("april.csv", roster([(dt.date(2026, 4, 1), "ada@new.example", "Sales", "E1"),
                                      (dt.date(2026, 4, 1), "b@x.example", "Sales", "E2")]))
    assert again.row_count == 1 and "Dropped 1 rows of erased people" in again.summary()

