"""Checks a departments.csv needs beyond its cells (docs/formats.md#departments): a rename must change the name, and
the renames of one month happen at once, so a name cannot be both renamed and a new name in the same month."""
from __future__ import annotations

from .reading import ImportRefused


def refuse_unclear(conn, file_name: str) -> None:
    """Refuse (naming the rows) a rename to the same name, and a chain or cycle within one month (A → B and B → C,
    or A → B and B → A): which department ends up with which name would depend on the order of the rows."""
    same = conn.execute(
        "SELECT row_index, from_department FROM canonical WHERE from_department = to_department "
        "ORDER BY row_index LIMIT 1").fetchone()
    if same:
        raise ImportRefused(
            f'{file_name}: row {same[0] + 2} renames "{same[1][:40]}" to the same name. Remove the row, or write '
            "the new name in the to column.")
    chained = conn.execute(
        "SELECT a.row_index, b.row_index, a.from_department, strftime(a.month, '%Y-%m') FROM canonical a "
        "JOIN canonical b ON b.month = a.month AND b.to_department = a.from_department "
        "ORDER BY least(a.row_index, b.row_index), greatest(a.row_index, b.row_index) LIMIT 1").fetchone()
    if chained:
        first, second, name, month = chained
        raise ImportRefused(
            f'{file_name}: row {first + 2} renames "{name[:40]}" in {month}, and row {second + 2} gives that name '
            f"to another department in the same month. The renames of one month happen at once, so a chain or a "
            "cycle of them is unclear. Rename straight to the final name, or record the second rename in a later "
            "month.")
