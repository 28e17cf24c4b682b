"""Plain-language sentences that open each page, built from metric values (no numbers of their own)."""
from __future__ import annotations

import datetime as dt


def _points(delta: float) -> str:
    value = round(abs(delta) * 100)
    return f"{value} point{'s' if value != 1 else ''}"


def change_sentence(label: str, now: float | None, before: float | None, month: dt.date,
                    compared: str = "") -> str:
    """'Adoption rose 4 points to 61% in September 2026' (or held, or fell)."""
    if now is None:
        return f"No {label.lower()} data for {month:%B %Y} yet"
    text = f"{now * 100:.0f}%"
    if before is None:
        return f"{label} was {text} in {month:%B %Y}"
    delta = now - before
    if round(abs(delta) * 100) == 0:
        return f"{label} held at {text} in {month:%B %Y}{compared}"
    verb = "rose" if delta > 0 else "fell"
    return f"{label} {verb} {_points(delta)} to {text} in {month:%B %Y}{compared}"


def laggard_clause(departments: list[dict], key: str = "adoption_rate", escape=str) -> str:
    """'; Legal trails at 32%' for the lowest department shown, if any. `escape` makes the name safe to show."""
    shown = [d for d in departments if d.get(key) is not None]
    if len(shown) < 2:
        return ""
    lowest = min(shown, key=lambda d: d[key])
    return f"; {escape(lowest.get('group') or lowest.get('department'))} trails at {lowest[key] * 100:.0f}%"
