"""Slack exports: the analytics dashboard's Members and Channels CSVs, and admin.analytics.getFile member NDJSON.

The CSVs carry no period, so the uploader states the month; a file name such as `Acme Member Analytics Prior 30
Days - Apr 17, 2026.csv` suggests one (docs/formats.md#slack-file-names), which the uploader confirms. The NDJSON
holds one record per member per day; a month of days rolls up to one row per member, and the month comes from the
records' dates.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .file_formats import Column, Format, Summary, register, register_summary
from .m365 import NULL_COUNT, zero
from .reading import ImportRefused

ANALYTICS = "Slack → Tools & settings → Workspace analytics → "
MEMBERS_STEPS = ANALYTICS + "Members → Edit columns (tick Email) → Export CSV, for the month you mean to upload"
CHANNELS_STEPS = ANALYTICS + "Channels → Export CSV, for the month you mean to upload"
OVERVIEW = (
    "this is Slack's Overview export (workspace totals per day); it holds no per-person data, so nobody can be "
    "counted from it. Export Analytics → Members instead, with the Email column: " + MEMBERS_STEPS + "."
)
EMAIL_MISSING = (
    "{file}: this Slack Members export has no Email column, so its people cannot be matched to the roster. "
    "Add the Email column in Slack's export options (Analytics → Members → Edit columns → tick Email), "
    "then export the CSV again and upload it."
)


def _column(target, header, type_, required=True, aliases=()):
    return Column(target, header, type_, required, aliases)


def _skip_without_email(conn, what: str) -> list[str]:
    """Rows without an email (deactivated accounts, bots) cannot be matched to anyone: skip them, and say so."""
    skipped = conn.execute("SELECT count(*) FROM clean WHERE person IS NULL").fetchone()[0]
    if not skipped:
        return []
    conn.execute("DELETE FROM clean WHERE person IS NULL")
    return [f"{skipped} {what}{'s' if skipped != 1 else ''} without an email address (for example deactivated "
            "accounts or bots) skipped; they cannot be matched to the roster."]


# --- The month a file name suggests -------------------------------------------------------------------------------
# Slack names its analytics exports after the range and the day they were made: "<Org> Member Analytics Prior 30
# Days - Apr 17, 2026.csv". Only a month-long range suggests a month; a week or a quarter is not one.
_NAMED_RANGE = re.compile(r"\bprior\s+(\d{1,3})\s+days?\s*-\s*([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE)
_MONTH_NAMES = {name.lower(): number for number, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"), start=1)}
MONTH_LONG = range(28, 32)


@dataclass(frozen=True)
class NamedMonth:
    """The month a file name suggests, and why."""

    month: dt.date  # the first day of the month
    days: int
    made: dt.date  # the date in the name: the range is the `days` days before it
    days_in_month: int  # how many of those days fall in `month`

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def reason(self) -> str:
        before = f"the {self.days} days before {self.made:%b} {self.made.day}, {self.made.year}"
        if 2 * self.days_in_month == self.days:
            return f"half of {before} fall in {self.month:%B %Y}, the later of their two months"
        return f"{before} fall mostly in {self.month:%B %Y}"


def _month_number(word: str) -> int | None:
    word = word.lower()
    found = [n for name, n in _MONTH_NAMES.items() if len(word) >= 3 and name.startswith(word)]
    return found[0] if len(found) == 1 else None


def month_named(file_name: str) -> NamedMonth | None:
    """The month a Slack export's file name suggests ('Acme Member Analytics Prior 30 Days - Apr 17, 2026.csv' →
    2026-04): the month holding most of the days before the date in the name, the later month on a tie. None when
    the name holds no such range, its date is not a real date, or the range is not about a month long."""
    found = _NAMED_RANGE.search(file_name or "")
    if not found:
        return None
    days, month_word, day, year = found.groups()
    number = _month_number(month_word)
    if number is None or int(days) not in MONTH_LONG:
        return None
    try:
        made = dt.date(int(year), number, int(day))
    except ValueError:
        return None
    per_month: dict[dt.date, int] = {}
    for back in range(1, int(days) + 1):
        first = (made - dt.timedelta(days=back)).replace(day=1)
        per_month[first] = per_month.get(first, 0) + 1
    month = max(per_month, key=lambda m: (per_month[m], m))
    if not 2000 <= month.year <= 2100:
        return None
    return NamedMonth(month, int(days), made, per_month[month])


def month_named_by_all(file_names: list[str]) -> NamedMonth | None:
    """The one month the names of files uploaded together suggest; None when none does or they disagree."""
    named = [n for n in map(month_named, file_names) if n is not None]
    return named[0] if named and len({n.month for n in named}) == 1 else None


class SlackMembers:
    """Members CSV: the month comes from the uploader; rows without an email are skipped with a note."""

    export_steps = MEMBERS_STEPS

    def prepare(self, conn, file_name: str, present: set[str]) -> list[str]:
        if "person" not in present:
            raise ImportRefused(EMAIL_MISSING.format(file=file_name))
        return _skip_without_email(conn, "row")

    def file_month(self, conn, file_name, given_month, allow_period):
        return None  # no period column: the uploader's month is used, and required

    def expressions(self, present: set[str]) -> dict[str, str]:
        other = NULL_COUNT
        if "messages_posted" in present and "posts" in present:
            # Messages posted minus those in channels: direct messages, which count as other actions.
            other = 'CAST(greatest(coalesce("messages_posted", 0) - coalesce("posts", 0), 0) AS BIGINT)'
        return {
            "posts": zero("posts", present), "reactions": zero("reactions", present),
            "active_days": zero("active_days", present), "other_actions": other,
            "replies": NULL_COUNT, "reads": NULL_COUNT,
        }


SLACK_MEMBERS = register(Format(
    "Slack Members CSV", "activity",
    (
        # Not required for detection, so that a file without it gets the message on how to add it.
        _column("person", "Email", "id", required=False, aliases=("Email address",)),
        _column("posts", "Messages posted in channels", "count"),
        _column("messages_posted", "Messages posted", "count"),
        _column("reactions", "Reactions added", "count"),
        _column("active_days", "Days active", "count"),
    ),
    tool="slack",
    adapter=SlackMembers(),
))


class SlackChannels:
    export_steps = CHANNELS_STEPS

    def file_month(self, conn, file_name, given_month, allow_period):
        return None

    def expressions(self, present: set[str]) -> dict[str, str]:
        return {name: zero(name, present) for name in ("members", "posts", "reactions", "reads")}


SLACK_CHANNELS = register(Format(
    "Slack Channels CSV", "communities",
    (
        _column("community", "Name", "text", aliases=("Channel name", "Channel")),
        _column("members", "Total membership", "count"),
        _column("posts", "Messages posted", "count"),
        _column("reactions", "Reactions added", "count", required=False),
        _column("reads", "Members who viewed", "count", required=False),
    ),
    tool="slack",
    adapter=SlackChannels(),
))


class SlackMemberAnalytics:
    """admin.analytics.getFile (type=member): one record per member per day, rolled up to the month."""

    export_steps = "the API method admin.analytics.getFile with type=member, one file per day"

    def prepare(self, conn, file_name: str, present: set[str]) -> list[str]:
        if "person" not in present:
            raise ImportRefused(
                f"{file_name}: these Slack member analytics records have no email_address field, so their people "
                "cannot be matched to the roster. Fetch them again with admin.analytics.getFile (type=member) "
                "from an account allowed to see email addresses.")
        notes = _skip_without_email(conn, "record")
        repeat = conn.execute(
            "SELECT row_index, first_index FROM (SELECT row_index, min(row_index) OVER (PARTITION BY person_key, "
            "day) AS first_index FROM clean) WHERE row_index <> first_index ORDER BY row_index LIMIT 1").fetchone()
        if repeat:
            raise ImportRefused(
                f"{file_name}: record {repeat[0] + 1} repeats the same member and day as record {repeat[1] + 1}. "
                "Each day's file may be included only once; remove the repeated day.")
        conn.execute("""
            CREATE OR REPLACE TEMP TABLE clean AS
            SELECT min(row_index) AS row_index, CAST(date_trunc('month', day) AS DATE) AS day_month,
                person_key, bool_or(concealed) AS concealed,
                sum(coalesce(posts, 0)) AS posts,
                sum(coalesce(reactions, 0)) AS reactions,
                count(*) FILTER (WHERE coalesce(is_active, false)) AS active_days,
                sum(greatest(coalesce(messages_posted, 0) - coalesce(posts, 0), 0)) AS other_actions
            FROM clean GROUP BY ALL ORDER BY row_index
        """)
        return notes

    def file_month(self, conn, file_name, given_month, allow_period) -> dt.date:
        months = [r[0] for r in conn.execute("SELECT DISTINCT day_month FROM clean ORDER BY 1").fetchall()]
        if len(months) > 1:
            raise ImportRefused(
                f"{file_name}: the records span two months ({', '.join(f'{m:%Y-%m}' for m in months)}). "
                "Upload one month of daily files at a time.")
        return months[0]

    def expressions(self, present: set[str]) -> dict[str, str]:
        return {
            "posts": "CAST(posts AS BIGINT)", "reactions": "CAST(reactions AS BIGINT)",
            "active_days": "CAST(active_days AS BIGINT)", "other_actions": "CAST(other_actions AS BIGINT)",
            "replies": NULL_COUNT, "reads": NULL_COUNT,
        }


SLACK_MEMBER_ANALYTICS = register(Format(
    "Slack member analytics (admin.analytics.getFile)", "activity",
    (
        _column("person", "email_address", "id", required=False),
        _column("day", "date", "date"),
        _column("is_active", "is_active", "bool"),
        _column("messages_posted", "messages_posted_count", "count"),
        _column("posts", "channel_messages_posted_count", "count"),
        _column("reactions", "reactions_added_count", "count"),
    ),
    tool="slack",
    adapter=SlackMemberAnalytics(),
))


# --- Overview export: workspace totals per day → refused with the Members export to download instead ----------
# Its columns include Date, Daily active members and quoted names with commas ("Percentage of messages, public
# channels"); it also has Name and Messages posted, which alone would make it look like a Channels CSV.
SLACK_OVERVIEW = register_summary(Summary(
    "Slack Overview export",
    (("Date", "Daily active members"), ("Date", "Weekly active members"),
     ("Date", "Percentage of messages, public channels")),
    OVERVIEW,
    unless=("Email", "Email address"),
))
