"""One person across e-mail changes: which addresses belong to one person, and the key the rollups count them under
(docs/metrics.md#identity).

The links are read from the live uploads (a stable id beside an address on a roster, in Teams' reports, and the rows
of identity_changes.csv), so an undo that takes a link away unlinks too. Every address of a person is counted under
the key of the address seen first; `relink` keeps person_alias in step inside the refresh's transaction and says which
(kind, tool, month) slices hold an address whose person changed, so that only their months are recounted.
"""
from __future__ import annotations

import pyarrow

from . import named
from .imports import ID_NAMESPACES, ImportRefused

# The kinds whose rows carry links: a change in one of their slices may relink someone.
# An identity key starts with its namespace; an address key is a bare hash.
_ID_PREFIXES = tuple(f"{space}:" for space in ID_NAMESPACES.values())


class _People:
    """Union-find over address keys and identity keys."""

    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        parent = self.parent.setdefault(key, key)
        if parent == key:
            return key
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression: the next find is one step
            self.parent[key], key = root, self.parent[key]
        return root

    def join(self, one: str, other: str) -> None:
        a, b = self.find(one), self.find(other)
        if a != b:
            self.parent[b] = a


def aliases(conn, extra_edges=()) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """{address key: person key} for every address linked to another one, and the people whose addresses carry two
    different ids of one kind (two HR numbers, two Entra objects), which cannot be one person: [(namespace, [the
    address keys involved])].

    The person key of a set of linked addresses is the key of the address seen first (earliest month, then the
    smallest key), so that adding a later address never moves the earlier months' key. `extra_edges`, in the
    shape of the edges query's rows, are taken as if they were live (a file's links, before it is imported)."""
    extra = list(extra_edges)
    conn.register("file_links", pyarrow.table({
        "address": pyarrow.array([e[0] for e in extra], pyarrow.string()),
        "other": pyarrow.array([e[1] for e in extra], pyarrow.string()),
        "month": pyarrow.array([e[2] for e in extra], pyarrow.date32()),
        "ord": pyarrow.array([e[3] for e in extra], pyarrow.int32())}))
    try:
        edges = named.run(conn, "identities.edges").fetchall()
    finally:
        conn.unregister("file_links")
    people = _People()
    first_seen: dict[str, tuple] = {}
    for address, other, month, order in edges:
        people.join(address, other)
        for key, rank in ((address, (month, order)), (other, (month, 1))):
            if not key.startswith(_ID_PREFIXES):
                seen = first_seen.get(key)
                if seen is None or rank < seen:
                    first_seen[key] = rank
    groups: dict[str, list[str]] = {}
    for key in people.parent:
        groups.setdefault(people.find(key), []).append(key)
    mapping: dict[str, str] = {}
    conflicts: list[tuple[str, list[str]]] = []
    for members in groups.values():
        addresses = [k for k in members if k in first_seen]
        ids = [k for k in members if k not in first_seen]
        spaces: dict[str, int] = {}
        for key in ids:
            space = key.split(":", 1)[0]
            spaces[space] = spaces.get(space, 0) + 1
        clash = next((space for space, count in spaces.items() if count > 1), None)
        if clash is not None:
            conflicts.append((clash, sorted(addresses)))
            continue
        if len(addresses) < 2:
            continue
        person = min(addresses, key=lambda k: (first_seen[k], k))
        mapping.update({k: person for k in addresses if k != person})
    return mapping, conflicts


def alias_table() -> str:
    """The table of linked addresses that an upload's rows join. (A test of the upgrade from version 3, which had
    none, puts an empty stand-in here; looking the table up in the catalog cost each upload 30 ms on DuckLake.)"""
    return "person_alias"


def person_keys(conn, key: str) -> set[str]:
    """Every key of the person the address key `key` belongs to: all their linked addresses and the ids seen beside
    them (erasing any one address erases the person, docs/metrics.md#erasure)."""
    return {row[0] for row in named.run(conn, "identities.person_keys", {"key": key}).fetchall()}


def file_edges(rows) -> list[tuple]:
    """The links a pending upload's canonical rows carry, in the shape of the edges query's rows."""
    names = rows.column_names
    if "old_key" in names:
        return [(old, new, month, 0) for old, new, month in zip(
            rows.column("old_key").to_pylist(), rows.column("new_key").to_pylist(),
            rows.column("month").to_pylist())]
    if "identity_key" not in names:
        return []
    return [(key, identity, month, 1) for key, identity, month in zip(
        rows.column("person_key").to_pylist(), rows.column("identity_key").to_pylist(),
        rows.column("month").to_pylist()) if identity is not None]


def preview_linked(conn, rows) -> int:
    """How many addresses a pending upload would link to another address of the same person (or give another
    person), read-only: its links taken with the live ones, against the links in force. A file that would give one
    person two ids of one kind counts 0 here; the import refuses it, naming the rows."""
    edges = file_edges(rows)
    if not edges:
        return 0
    mapping, conflicts = aliases(conn, edges)
    if conflicts:
        return 0
    current = dict(conn.execute("SELECT person_key, canonical_key FROM person_alias").fetchall())
    return sum(1 for key in set(mapping) | set(current) if mapping.get(key) != current.get(key))


class Conflict(ImportRefused):
    """The live links would give one person two ids of one kind; `conflicts` as `aliases` returns them."""

    def __init__(self, conflicts: list[tuple[str, list[str]]]):
        self.conflicts = conflicts
        super().__init__(conflict_message(conflicts, "This change"))


def links_changed(conn) -> bool:
    """Whether the slices a refresh recounts (its rollup_changes) may change a link, so that relink is needed."""
    return bool(named.run(conn, "identities.links_changed").fetchone()[0])


def relink(conn) -> int:
    """Bring person_alias in step with the live links, inside the caller's transaction, and add to rollup_changes
    every live slice holding an address whose person changed (its months are then recounted). Returns how many
    addresses changed person.

    Two ids of one kind reaching one person raise Conflict: the caller's transaction rolls back."""
    mapping, conflicts = aliases(conn)
    if conflicts:
        raise Conflict(conflicts)
    conn.register("alias_new", pyarrow.table({
        "person_key": pyarrow.array(list(mapping), pyarrow.string()),
        "canonical_key": pyarrow.array(list(mapping.values()), pyarrow.string())}))
    try:
        named.run(conn, "identities.moved")
        moved = conn.execute("SELECT count(*) FROM alias_moved").fetchone()[0]
        if moved:
            for block in ("replace_alias", "insert_alias", "mark_changes"):
                named.run(conn, f"identities.{block}")
    finally:
        conn.unregister("alias_new")
        conn.execute("DROP TABLE IF EXISTS alias_moved")
    return int(moved)


def conflict_message(conflicts: list[tuple[str, list[str]]], file_name: str, rows=None, file_rows=None) -> str:
    """What a person hears about the first person whose addresses carry two ids of one kind, naming the rows of the
    file being imported (its canonical `rows`, which are the file's rows `file_rows`) that hold one of them."""
    space, addresses = conflicts[0]
    kind = {"object-id": "Entra object ids (id, objectId or User Id)",
            "employee-id": "employee ids (person_id)"}.get(space, space)
    where = ""
    if rows is not None and file_rows is not None:
        held = set(addresses)
        positions = set()
        for column in ("person_key", "old_key", "new_key"):
            if column in rows.column_names:
                positions.update(i for i, key in enumerate(rows.column(column).to_pylist()) if key in held)
        shown = [str(file_rows[p]) for p in sorted(positions)[:5]]
        if shown:
            where = f" (row{'s' if len(shown) > 1 else ''} {', '.join(shown)})"
    return (f"{file_name}: one person would carry two different {kind}{where}. An address belongs to one person: "
            "either an earlier upload links the address to another person's id (undo that upload if it was wrong), or "
            "a row of identity_changes.csv joins two people. Nothing was imported.")
