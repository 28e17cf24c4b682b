"""Slack exports: the analytics dashboard's Members and Channels CSVs, and admin.analytics.getFile member NDJSON.

The CSVs carry no period, so the uploader states the month. The NDJSON holds one record per member per day;
a month of days rolls up to one row per member, and the month comes from the records' dates.
"""
from __future__ import annotations

import datetime as dt

from .formats import Column, Format, Summary, register, register_summary
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
