"""Microsoft 365 usage reports (admin center export or Graph `reports/get…` CSV): Viva Engage activity, groups
activity and device usage, and Teams user activity and device usage. docs/formats.md#microsoft-365-usage-reports
holds the headers and the mapping; the summary reports that hold no per-person data are recognised and refused
(docs/formats.md#summaries-that-are-refused).

Every report carries `Report Refresh Date` and `Report Period`. The month a file covers is the month of the
period's last day, which is the refresh date. Only a 30-day period counts as a month; any other period is
refused unless the uploader chooses the month and accepts the period. Blank counts mean 0.
"""
from __future__ import annotations

import datetime as dt

from .file_formats import Column, Format, Summary, register, register_summary
from .reading import ImportRefused

MONTH_DAYS = 30
CONCEALMENT_PATH = (
    "Microsoft 365 admin center → Settings → Org settings → Services → Reports → clear \"Display concealed "
    "user, group, and site names in all reports\""
)
USAGE = "Microsoft 365 admin center → Reports → Usage → "
# Where each report is downloaded, by the report's name: a file missing a column is downloaded again, never patched.
EXPORT_STEPS = {
    "Viva Engage activity": USAGE + "Viva Engage → Activity → User details → Export, for the past 30 days",
    "Viva Engage groups activity": USAGE + "Viva Engage → Groups activity → Export, for the past 30 days",
    "Viva Engage device usage": USAGE + "Viva Engage → Device usage → User details → Export, for the past 30 days",
    "Teams user activity": USAGE + "Microsoft Teams → User activity → User details → Export, for the past 30 days",
    "Teams device usage": USAGE + "Microsoft Teams → Device usage → User details → Export, for the past 30 days",
}


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

# A guest invited from outside the organisation has a user name like name_domain.com#EXT#@tenant.onmicrosoft.com.
# Guests are on no payroll roster, so they are imported and counted as unmapped; the preview says how many.
GUEST_MARK = "#EXT#@"
GUESTS_FOUND = ("{guests} guest account{s} found (a user name with #EXT#: someone from outside the organisation "
                "invited as a guest). Guests are not on the roster, so they are imported and counted as Unmapped.")


def guest_notes(conn) -> list[str]:
    """The preview's note on guest accounts among the rows of `clean` (by their user principal name)."""
    guests = conn.execute(
        f"SELECT count(DISTINCT person_key) FROM clean WHERE contains(upper(person), '{GUEST_MARK}')").fetchone()[0]
    return [GUESTS_FOUND.format(guests=guests, s="s" if guests != 1 else "")] if guests else []


class M365Report:
    """The adapter every M365 usage report shares: the month from the refresh date and period; blank = 0."""

    def __init__(self, report: str, counts: tuple[str, ...] = (), fixed: dict[str, str] | None = None):
        self.report = report
        self.counts = counts  # canonical counts read from the file (blank = 0)
        self.fixed = fixed or {}  # canonical columns the report does not have

    @property
    def export_steps(self) -> str | None:
        return EXPORT_STEPS.get(self.report)

    def prepare(self, conn, file_name: str, present: set[str]) -> list[str]:
        return guest_notes(conn) if "person" in present else []

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
    """A person used mobile when any of the report's phone or tablet columns is Yes."""

    def __init__(self, report: str, mobile: tuple[str, ...] = MOBILE):
        super().__init__(report)
        self.mobile = mobile

    def expressions(self, present: set[str]) -> dict[str, str]:
        used = [f'coalesce("{name}", false)' for name in self.mobile if name in present]
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


# --- Teams device usage, user detail → devices (mobile reach) -------------------------------------------------
# iOS covers iPhone and iPad. Web, Mac, Windows, Chrome OS and Linux are not read (real files have written
# "Used  Chrome OS" with two spaces, which the loose header match absorbs anyway). Windows Phone is optional:
# Microsoft may drop the column, and nobody is lost by its absence.
TEAMS_MOBILE = ("used_ios", "used_android_phone", "used_windows_phone")

TEAMS_DEVICES = register(Format(
    "M365 Teams device usage user detail", "devices",
    (
        _column("person", "User Principal Name", "id"),
        _column("identity", "User Id", "object_id", required=False),  # the Entra object id (docs/metrics.md#identity)
        *_period_columns(),
        _column("used_ios", "Used iOS", "bool"),
        _column("used_android_phone", "Used Android Phone", "bool"),
        _column("used_windows_phone", "Used Windows Phone", "bool", required=False),
    ),
    tool="teams",
    adapter=DeviceUsage("Teams device usage", TEAMS_MOBILE),
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
        _column("identity", "User Id", "object_id", required=False),  # the Entra object id (docs/metrics.md#identity)
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

# --- Teams user activity before March 2022, user detail → activity ---------------------------------------------
# The older export has no Post Messages or Reply Messages. Chats, calls and meetings still make a user active; posts
# and replies stay NULL ("not reported", not 0), so the month's Teams contribution is no data
# (docs/metrics.md#contribution-data).
CONTRIBUTION_MISSING = ("Teams posts and replies are not in this older export (before March 2022), so Teams "
                        "contribution for {months} is no data.")


class TeamsActivityBeforeMarch2022(TeamsActivity):
    def notes(self, pending) -> list[str]:
        return [CONTRIBUTION_MISSING.format(months=", ".join(pending.month_labels()))]


TEAMS_ACTIVITY_BEFORE_MARCH_2022 = register(Format(
    "M365 Teams user activity user detail (before March 2022)", "activity",
    (
        _column("person", "User Principal Name", "id"),
        _column("identity", "User Id", "object_id", required=False),  # the Entra object id (docs/metrics.md#identity)
        *_period_columns(),
        _column("team_chats", "Team Chat Message Count", "count"),
        _column("private_chats", "Private Chat Message Count", "count"),
        _column("calls", "Call Count", "count"),
        _column("meetings", "Meeting Count", "count"),
    ),
    tool="teams",
    adapter=TeamsActivityBeforeMarch2022("Teams user activity", (), {
        "posts": NULL_COUNT, "replies": NULL_COUNT, "reactions": NULL_COUNT, "reads": NULL_COUNT,
        "active_days": NULL_COUNT,
    }),
))


M365_FORMATS = (ENGAGE_ACTIVITY, ENGAGE_GROUPS, ENGAGE_DEVICES, TEAMS_ACTIVITY, TEAMS_ACTIVITY_BEFORE_MARCH_2022)


def is_m365(fmt: Format) -> bool:
    """Whether a format is a Microsoft 365 report, whose 32-hex ids mean names are concealed."""
    return fmt in M365_FORMATS or isinstance(fmt.adapter, M365Report)


# --- Summary reports: organisation totals, no per-person rows → refused with the report to export instead --------
# Headers as Microsoft Graph documents them (getTeamsUserActivityCounts, getTeamsUserActivityUserCounts,
# getYammerActivityCounts, getYammerActivityUserCounts, getM365AppPlatformUserCounts, ...). A file with a User
# Principal Name or Group Display Name column is a detail report, whatever else it carries.
PEOPLE_OR_GROUPS = ("User Principal Name", "Group Display Name")
NO_PEOPLE = "It holds totals for the whole organisation, not one row per person, so nobody can be counted from it."


def _summary(name: str, markers, advice: str) -> Summary:
    return register_summary(Summary(name, markers, f"this is the {name}. {NO_PEOPLE} {advice}", PEOPLE_OR_GROUPS))


_summary("Microsoft Teams user activity summary (activity counts or user counts)",
         (("Report Refresh Date", "Team Chat Messages", "Private Chat Messages", "Calls", "Meetings"),),
         f"Export the user details instead: {EXPORT_STEPS['Teams user activity']}.")
_summary("Microsoft Teams device usage summary (users per device)",
         (("Report Refresh Date", "iOS", "Android Phone", "Web"),),
         f"Export the user details instead: {EXPORT_STEPS['Teams device usage']}.")
_summary("Viva Engage device usage summary (users per device)",
         (("Report Refresh Date", "iPhone", "iPad", "Android Phone"),),
         f"Export the user details instead: {EXPORT_STEPS['Viva Engage device usage']}.")
_summary("Viva Engage activity summary (activity counts or user counts)",
         (("Report Refresh Date", "Liked", "Posted", "Read"),),
         f"Export the user details instead: {EXPORT_STEPS['Viva Engage activity']}. For communities, export "
         f"{EXPORT_STEPS['Viva Engage groups activity']}.")
_summary("Microsoft 365 Apps usage summary (users per platform or per app)",
         (("Report Refresh Date", "Windows", "Mac", "Mobile", "Web"),
          ("Report Refresh Date", "Outlook", "Word", "Excel", "Teams")),
         "The dashboard does not read Microsoft 365 Apps usage. For mobile reach, export "
         f"{EXPORT_STEPS['Teams device usage']}, or {EXPORT_STEPS['Viva Engage device usage']}.")
# Any other report with a row per day and no one named in it: a summary we have no specific advice for.
_summary("summary view of a Microsoft 365 usage report (one row per day)",
         (("Report Refresh Date", "Report Date", "Report Period"),),
         "Open the same report in the Microsoft 365 admin center (Reports → Usage), switch to its User details "
         "view and Export that; docs/formats.md lists the reports the dashboard reads.")
