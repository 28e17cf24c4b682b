"""Microsoft 365 usage reports (admin center export or Graph `reports/get…` CSV): Viva Engage activity, groups
activity and device usage, and Teams user activity. docs/formats.md#microsoft-365-usage-reports holds the
headers and the mapping.

Every report carries `Report Refresh Date` and `Report Period`. The month a file covers is the month of the
period's last day, which is the refresh date. Only a 30-day period counts as a month; any other period is
refused unless the uploader chooses the month and accepts the period. Blank counts mean 0.
"""
from __future__ import annotations

import datetime as dt

from .formats import Column, Format, register
from .reading import ImportRefused

MONTH_DAYS = 30
CONCEALMENT_PATH = (
    "Microsoft 365 admin center → Settings → Org settings → Services → Reports → clear \"Display concealed "
    "user, group, and site names in all reports\""
)


def _column(target, header, type_, required=True, aliases=()):
    return Column(target, header, type_, required, aliases)


def _period_columns() -> tuple[Column, ...]:
    return (
        _column("refresh_date", "Report Refresh Date", "date"),
        _column("report_period", "Report Period", "count"),
    )


def zero(name: str, present: set[str]) -> str:
    """A count whose blank means 0; NULL only where the file has no such column at all."""
    return f'CAST(coalesce("{name}", 0) AS BIGINT)' if name in present else "CAST(NULL AS BIGINT)"


NULL_COUNT = "CAST(NULL AS BIGINT)"


class M365Report:
    """The adapter every M365 usage report shares: the month from the refresh date and period; blank = 0."""

    def __init__(self, report: str, counts: tuple[str, ...] = (), fixed: dict[str, str] | None = None):
        self.report = report
        self.counts = counts  # canonical counts read from the file (blank = 0)
        self.fixed = fixed or {}  # canonical columns the report does not have

    def file_month(self, conn, file_name: str, given_month: dt.date | None, allow_period: bool) -> dt.date:
        blank = conn.execute("SELECT min(row_index) FROM clean WHERE report_period IS NULL").fetchone()[0]
        if blank is not None:
            raise ImportRefused(
                f'{file_name}: row {blank + 2}, column "Report Period" is blank. Every row of a Microsoft 365 '
                "report says how many days it covers; export the report again.")
        months = [r[0] for r in conn.execute(
            "SELECT DISTINCT CAST(date_trunc('month', refresh_date) AS DATE) FROM clean ORDER BY 1").fetchall()]
        if len(months) > 1:
            first, last = conn.execute("SELECT min(refresh_date), max(refresh_date) FROM clean").fetchone()
            raise ImportRefused(
                f"{file_name}: the rows span two months: their Report Refresh Date runs from {first:%Y-%m-%d} to "
                f"{last:%Y-%m-%d} ({', '.join(f'{m:%Y-%m}' for m in months)}). A file covers one month; export "
                "each month's 30-day report separately and upload them one by one.")
        periods = [r[0] for r in conn.execute("SELECT DISTINCT report_period FROM clean ORDER BY 1").fetchall()]
        if periods == [MONTH_DAYS]:
            return months[0]
        odd = [p for p in periods if p != MONTH_DAYS]
        days = " and ".join(f"{p} days" for p in odd)
        if allow_period and given_month is not None:
            return given_month
        if allow_period:
            raise ImportRefused(
                f"{file_name}: this {self.report} report covers {days}, not a month. To import it anyway, also "
                "choose the month it should count for (command line: --month YYYY-MM with --allow-period).")
        raise ImportRefused(
            f"{file_name}: this {self.report} report covers {days} (Report Period {', '.join(map(str, odd))}), "
            f"not a month: only a {MONTH_DAYS}-day report counts as one month. Export the report for the past "
            f"{MONTH_DAYS} days instead, or, to import this one anyway, choose its month and tick \"Accept a "
            "report period that is not a month\" (command line: --month YYYY-MM --allow-period).")

    def expressions(self, present: set[str]) -> dict[str, str]:
        found = {name: zero(name, present) for name in self.counts}
        found.update(self.fixed)
        return found


# --- Viva Engage activity, user detail → activity -------------------------------------------------------------
# Engage does not separate replies from posts (replies are in Posted Count), so replies stay NULL.
ENGAGE_ACTIVITY = register(Format(
    "M365 Viva Engage activity user detail", "activity",
    (
        _column("person", "User Principal Name", "id"),
        *_period_columns(),
        _column("posts", "Posted Count", "count"),
        _column("reads", "Read Count", "count"),
        _column("reactions", "Liked Count", "count"),
    ),
    tool="viva-engage",
    adapter=M365Report("Viva Engage activity", ("posts", "reactions", "reads"), {
        "replies": NULL_COUNT, "other_actions": NULL_COUNT, "active_days": NULL_COUNT,
    }),
))

# --- Viva Engage groups activity, detail → communities --------------------------------------------------------
# Deleted groups (Is Deleted = True) are imported like any other: their posts, reads and likes in the period
# really happened, and leaving them out would make the month's totals disagree with the admin center.
ENGAGE_GROUPS = register(Format(
    "M365 Viva Engage groups activity detail", "communities",
    (
        _column("community", "Group Display Name", "text"),
        *_period_columns(),
        _column("members", "Member Count", "count"),
        _column("posts", "Posted Count", "count"),
        _column("reads", "Read Count", "count"),
        _column("reactions", "Liked Count", "count"),
    ),
    tool="viva-engage",
    adapter=M365Report("Viva Engage groups activity", ("members", "posts", "reads", "reactions")),
))


# --- Viva Engage device usage, user detail → devices (mobile reach) -------------------------------------------
MOBILE = ("used_windows_phone", "used_android_phone", "used_iphone", "used_ipad")


class DeviceUsage(M365Report):
    def expressions(self, present: set[str]) -> dict[str, str]:
        used = [f'coalesce("{name}", false)' for name in MOBILE if name in present]
        return {"used_mobile": " OR ".join(used) if used else "false"}


ENGAGE_DEVICES = register(Format(
    "M365 Viva Engage device usage user detail", "devices",
    (
        _column("person", "User Principal Name", "id"),
        *_period_columns(),
        _column("used_windows_phone", "Used Windows Phone", "bool"),
        _column("used_android_phone", "Used Android Phone", "bool"),
        _column("used_iphone", "Used iPhone", "bool"),
        _column("used_ipad", "Used iPad", "bool"),
    ),
    tool="viva-engage",
    adapter=DeviceUsage("Viva Engage device usage"),
))


# --- Teams user activity, user detail → activity --------------------------------------------------------------
# Channel posts and replies are the social part; chats, calls and meetings make a user active, not a contributor.
# Durations, Is Deleted, Is Licensed and Has Other Action are not read: they never make anyone active.
CHATS_CALLS_MEETINGS = ("team_chats", "private_chats", "calls", "meetings")


class TeamsActivity(M365Report):
    def expressions(self, present: set[str]) -> dict[str, str]:
        found = super().expressions(present)
        parts = [f'coalesce("{name}", 0)' for name in CHATS_CALLS_MEETINGS if name in present]
        found["other_actions"] = f"CAST({' + '.join(parts)} AS BIGINT)" if parts else NULL_COUNT
        return found


TEAMS_ACTIVITY = register(Format(
    "M365 Teams user activity user detail", "activity",
    (
        _column("person", "User Principal Name", "id"),
        *_period_columns(),
        _column("posts", "Post Messages", "count"),
        _column("replies", "Reply Messages", "count"),
        _column("team_chats", "Team Chat Message Count", "count"),
        _column("private_chats", "Private Chat Message Count", "count"),
        _column("calls", "Call Count", "count"),
        _column("meetings", "Meeting Count", "count"),
    ),
    tool="teams",
    adapter=TeamsActivity("Teams user activity", ("posts", "replies"), {
        "reactions": NULL_COUNT, "reads": NULL_COUNT, "active_days": NULL_COUNT,
    }),
))

M365_FORMATS = (ENGAGE_ACTIVITY, ENGAGE_GROUPS, ENGAGE_DEVICES, TEAMS_ACTIVITY)


def is_m365(fmt: Format) -> bool:
    """Whether a format is a Microsoft 365 report, whose 32-hex ids mean names are concealed."""
    return fmt in M365_FORMATS
