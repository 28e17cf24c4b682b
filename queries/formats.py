"""Numbers formatted for people (61%, +4 pts, 1.2k) and tables made safe to open in a spreadsheet; shared by the
pages, the brief and the CLI so that a figure reads the same everywhere."""
from __future__ import annotations

WITHHELD = "—"
# What a table shows in a cell with no value: the same dash, since there is nothing to read there either.
MISSING = WITHHELD


def percent(value: float | None) -> str:
    return WITHHELD if value is None else f"{value * 100:.0f}%"


def points(delta: float | None) -> str | None:
    return None if delta is None else f"{delta * 100:+.0f} pts"


def count(value: float | None) -> str:
    if value is None:
        return WITHHELD
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def number(value: float | None, digits: int = 1) -> str:
    return WITHHELD if value is None else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 1) -> str | None:
    """A change in plain units (+3, -0.5), or None when there is none."""
    if value is None:
        return None
    return f"{value:+,.0f}" if digits == 0 else f"{value:+.{digits}f}"


def difference(current, previous) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


def safe_csv(frame) -> bytes:
    """A table as CSV, with cells that a spreadsheet would run as a formula (= + - @) neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype).startswith(("string", "str")):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v)
    return safe.to_csv(index=False).encode("utf-8")


# Text that people supplied (department, KPI and stage names, checklist notes) travels inside the view models' sentences
# between these two private-use characters, so that the pages can show it exactly as typed (markdown-escaped) while
# the brief and the CLI show plain text.
USER_START, USER_END = "\ue000", "\ue001"


def user(text) -> str:
    """Mark text someone supplied inside a sentence."""
    return f"{USER_START}{text}{USER_END}"


def as_text(sentence: str | None) -> str | None:
    """A sentence as plain text, for the brief and the CLI."""
    return None if sentence is None else sentence.replace(USER_START, "").replace(USER_END, "")
