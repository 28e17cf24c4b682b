"""A deterministic synthetic organisation and its monthly exports, as canonical templates or as real vendor files."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import pathlib
import random

# name, business unit, share of headcount (%), staff adoption in the first and in the last month,
# share of people with a Slack account, when its first champion appears (fraction of the period; None = never)
DEPARTMENTS = (
    ("Sales", "Commercial", 17, 0.13, 0.62, 0.05, 0.20),
    ("Marketing", "Commercial", 7, 0.25, 0.80, 0.10, 0.0),
    ("Engineering", "Technology", 18, 0.16, 0.66, 0.90, 0.25),
    ("Operations", "Operations", 15, 0.10, 0.55, 0.04, 0.60),
    ("Finance", "Corporate", 6, 0.10, 0.52, 0.04, 0.50),
    ("HR", "Corporate", 4, 0.20, 0.72, 0.06, 0.12),
    ("Legal", "Corporate", 3, 0.18, 0.28, 0.03, 0.80),
    ("Customer Support", "Commercial", 13, 0.12, 0.60, 0.08, 0.40),
    ("Product", "Technology", 6, 0.20, 0.74, 0.85, 0.30),
    ("IT", "Technology", 6, 0.24, 0.76, 0.80, 0.0),
    ("Procurement", "Operations", 3, 0.08, 0.45, 0.03, None),
    ("Communications", "Corporate", 2, 0.30, 0.85, 0.10, 0.0),
)
REGIONS = ("EMEA", "North America", "APAC", "LATAM")
REGION_WEIGHTS = (38, 32, 20, 10)
LEVELS = ("executive", "manager", "staff")
CONTRACTOR_GROUP = len(DEPARTMENTS) * len(LEVELS)

# name, tool, members as a share of headcount, first month (fraction of the period), months without posts at first
COMMUNITIES = (
    ("All Company", "viva-engage", 0.55, 0.0, 0),
    ("Sales Enablement", "viva-engage", 0.10, 0.0, 0),
    ("Leadership Corner", "viva-engage", 0.06, 0.0, 0),
    ("New Joiners", "viva-engage", 0.04, 0.0, 0),
    ("Marketing Hub", "viva-engage", 0.07, 0.0, 0),
    ("Ask HR", "viva-engage", 0.15, 0.0, 2),
    ("Customer Stories", "viva-engage", 0.12, 0.0, 1),
    ("cloud-guild", "slack", 0.06, 0.0, 0),
    ("eng-announcements", "slack", 0.12, 0.0, 0),
    ("it-helpdesk", "slack", 0.10, 0.0, 0),
    ("Champions Network", "viva-engage", 0.02, 0.08, 0),
    ("Working Out Loud Circle", "viva-engage", 0.04, 0.12, 2),
    ("product-feedback", "slack", 0.08, 0.18, 0),
    ("Sustainability Network", "viva-engage", 0.06, 0.22, 2),
    ("Support Knowledge Base", "viva-engage", 0.10, 0.28, 0),
    ("Women in Business", "viva-engage", 0.05, 0.33, 1),
    ("data-science", "slack", 0.04, 0.38, 1),
    ("Innovation Lab", "viva-engage", 0.08, 0.45, 1),
    ("Finance Connect", "viva-engage", 0.04, 0.52, 2),
    ("incident-response", "slack", 0.05, 0.58, 0),
    ("Procurement Insights", "viva-engage", 0.02, 0.64, 3),
    ("Legal Q&A", "viva-engage", 0.03, 0.72, 2),
    ("Photography Club", "viva-engage", 0.03, 0.82, 0),
)

# name, unit, higher is better, objective, first month (fraction of the period), has department rows
KPIS = (
    ("Employee engagement score", "%", True, "Engage our people", 0.12, True),
    ("Ideas submitted", "count", True, "Innovate faster", 0.18, False),
    ("Voluntary attrition", "%", False, "Retain talent", 0.24, True),
    ("Time to answer customer (hours)", "hours", False, "Delight customers", 0.35, False),
    ("Cross-team projects", "count", True, "Work across silos", 0.45, False),
)

# when (fraction of the period), criterion, answer, note
CHECKLIST = (
    (0.0, "1d", "yes", "Listening goals and success metrics agreed with the leadership team at kick-off."),
    (0.12, "2d", "yes", "Community guidelines and governance published on the intranet."),
    (0.18, "4f", "no", "CoE proposal drafted; the charter is not approved yet."),
    (0.30, "4e", "yes", "The COO is the named executive sponsor."),
    (0.35, "3e", "yes", "Community management playbook and support rota agreed."),
    (0.50, "5e", "no", "The CoE is not yet part of business planning."),
    (0.60, "4f", "yes", "CoE charter approved by the leadership team."),
    (0.70, "6e", "no", "Incentives and objectives do not mention social ways of working yet."),
)

TRAINING_PROGRAMS = ("Working Out Loud", "Community Management 101", "Champion Onboarding")

# Active people sometimes skip a month; adopters are drawn so that the monthly share still equals the curve.
MONTHLY_PRESENCE = 0.92
DEVICE_WEB, DEVICE_ANDROID, DEVICE_IPHONE, DEVICE_IPAD, DEVICE_OTHER = 1, 2, 4, 8, 16


class Month:
    """One month of the organisation: its roster and what its people did, in the vendors' own terms."""

    __slots__ = (
        "index", "label", "first_day", "last_day", "roster", "leaving", "engage", "teams", "slack",
        "communities", "champions", "training", "kpis",
    )


class Organisation:
    """The people, their departments and traits; `months()` simulates their behaviour month by month."""

    def __init__(self, people=1500, months=18, end_month="2026-10", seed=7):
        if people < 1 or months < 1:
            raise ValueError("people and months must be at least 1")
        self.seed = seed
        self.months_count = months
        year, month = (int(part) for part in end_month.split("-"))
        last = year * 12 + month - 1
        self.calendar = [_month_bounds(n) for n in range(last - months + 1, last + 1)]
        self.random = random.Random(seed)
        self.email, self.department, self.region, self.level, self.group = [], [], [], [], []
        self.adoption_rank, self.contribution_weight, self.intensity = [], [], []
        self.engage_affinity, self.has_slack, self.device, self.joined = [], [], [], []
        self._employees = self._contractors = 0
        self._group_sizes = {}
        self.contractors = [self._add_person(0, contractor=True) for _ in range(max(2, round(people / 100)))]
        self.initial_roster = [self._add_person(0) for _ in range(people)]
        self.communities = [(name, tool) for name, tool, _, _, _ in COMMUNITIES]
        self.community_start = [self._month_at(frac) for _, _, _, frac, _ in COMMUNITIES]
        self.community_owner = [None] * len(COMMUNITIES)

    def _month_at(self, fraction):
        return round(fraction * (self.months_count - 1))

    def progress(self, t):
        """How far the adoption story has gone by month t: 0 at the start, 1 at the end, S-shaped in between."""
        if self.months_count == 1:
            return 1.0
        x = t / (self.months_count - 1)
        return 0.5 * x + 0.5 * x * x * (3 - 2 * x)

    def _add_person(self, t, contractor=False):
        r = self.random.random
        pid = len(self.email)
        if contractor:
            self._contractors += 1
            self.email.append(f"c{self._contractors:06d}@example.com")
            department, level, group = -1, 2, CONTRACTOR_GROUP
            slack_share = 0.3
        else:
            self._employees += 1
            self.email.append(f"p{self._employees:06d}@example.com")
            department = self.random.choices(range(len(DEPARTMENTS)), cum_weights=_DEPARTMENT_CUMULATIVE)[0]
            x = r()
            level = 0 if x < 0.02 else 1 if x < 0.14 else 2
            group = department * len(LEVELS) + level
            slack_share = DEPARTMENTS[department][5]
        self.department.append(department)
        self.region.append(self.random.choices(REGIONS, cum_weights=_REGION_CUMULATIVE)[0])
        self.level.append(level)
        self.group.append(group)
        # Ranks spread evenly within each department and level, so that even small groups (Legal, executives)
        # follow their adoption curve closely.
        seen = self._group_sizes.get(group)
        if seen is None:
            seen = self._group_sizes[group] = [r(), 0]
        self.adoption_rank.append((seen[0] + seen[1] * 0.6180339887498949) % 1.0)
        seen[1] += 1
        self.contribution_weight.append((0.5, 1.0, 1.5)[int(r() * 3)])
        self.intensity.append(self.random.lognormvariate(0.0, 0.7))
        self.engage_affinity.append(0.6 + 0.8 * r())
        self.has_slack.append(r() < slack_share)
        device = DEVICE_WEB if r() < 0.85 else 0
        device |= DEVICE_ANDROID if r() < 0.25 else 0
        device |= DEVICE_IPHONE if r() < 0.35 else 0
        device |= DEVICE_IPAD if r() < 0.08 else 0
        device |= DEVICE_OTHER if r() < 0.03 else 0
        self.device.append(device or DEVICE_WEB)
        self.joined.append(t)
        return pid

    def _activity_thresholds(self, t):
        """Per group (department x level), the adoption-rank cut below which a person may be active in month t."""
        f = self.progress(t)
        thresholds = []
        for _, _, _, start, end, _, _ in DEPARTMENTS:
            staff = start + (end - start) * f
            for level in range(len(LEVELS)):
                p = 0.20 + 0.45 * f if level == 0 else min(0.95, staff * 1.1) if level == 1 else staff
                thresholds.append(p / MONTHLY_PRESENCE)
        thresholds.append((0.15 + 0.5 * f) / MONTHLY_PRESENCE)  # contractors
        return thresholds

    def months(self):
        """Yield one `Month` after another. Call it once: joiners are added to the organisation as they arrive."""
        rnd = random.Random(self.seed + 1)
        r = rnd.random
        roster = list(self.initial_roster)
        champions = {d: [] for d in range(len(DEPARTMENTS))}
        champion_start = [None if d[6] is None else self._month_at(d[6]) for d in DEPARTMENTS]
        kpi_start = [self._month_at(k[4]) for k in KPIS]
        for t, (label, first_day, last_day) in enumerate(self.calendar):
            if t:
                growth = len(roster)
                roster += [self._add_person(t) for _ in range(int(growth * 0.013 + r()))]
            leaving = set(rnd.sample(roster, min(len(roster), int(len(roster) * 0.009 + r())))) if t else set()
            f = self.progress(t)
            month = Month()
            month.index, month.label, month.first_day, month.last_day = t, label, first_day, last_day
            month.roster, month.leaving = roster, leaving
            month.engage, month.teams, month.slack = [], [], []
            stats = self._simulate_activity(month, rnd, f)
            month.champions, new_champions = self._champions(t, roster, champions, champion_start)
            month.training = self._training(month, rnd, f, new_champions)
            month.communities = self._communities(month, rnd, f)
            month.kpis = self._kpis(t, rnd, stats, kpi_start)
            yield month
            roster = [p for p in roster if p not in leaving]

    def _simulate_activity(self, month, rnd, f):
        r = rnd.random
        thresholds = self._activity_thresholds(month.index)
        rank, group, weight, intensity = self.adoption_rank, self.group, self.contribution_weight, self.intensity
        affinity, has_slack, department = self.engage_affinity, self.has_slack, self.department
        engage, teams, slack = month.engage, month.teams, month.slack
        contribution = 0.33 + 0.07 * f
        engage_share = 0.55 + 0.3 * f
        departments = len(DEPARTMENTS)
        headcount, active, contributors = [0] * departments, [0] * departments, [0] * departments
        everyone = month.roster + self.contractors
        employees = len(month.roster)
        for n, p in enumerate(everyone):
            if n < employees:
                headcount[department[p]] += 1
            if rank[p] >= thresholds[group[p]] or r() >= MONTHLY_PRESENCE:
                continue
            k = intensity[p]
            on_engage = r() < affinity[p] * engage_share
            on_slack = has_slack[p] and r() < 0.9
            on_teams = r() < 0.85 or not (on_engage or on_slack)
            creator = replier = False
            if r() < contribution * weight[p] * (0.3 if n >= employees else 1.0):
                if r() < 0.8:
                    creator = True
                else:
                    replier = on_teams = True
            engage_posts = slack_posts = teams_posts = 0
            if creator:
                if on_engage and r() < 0.8:
                    engage_posts = 1 + int(k * (4 + 4 * f) * r() * r())
                if on_slack and r() < 0.7:
                    slack_posts = 1
                if on_teams and (r() < 0.3 or not (engage_posts or slack_posts)):
                    teams_posts = 1 + int(k * 4 * r() * r())
                if not (engage_posts or slack_posts or teams_posts):
                    engage_posts = 1 if on_engage else 0
                    slack_posts = 0 if on_engage else 1
            if on_engage:
                reads = 1 + int(k * (30 + 50 * f) * r() * r())
                engage.append((p, engage_posts, reads, int(k * (1.5 + 6 * f) * r() * r())))
            if on_teams:
                replies = 1 + int(k * 8 * r() * r()) if replier or (creator and r() < 0.5) else 0
                team_chat = int(k * 30 * r() * r())
                teams.append((p, teams_posts, replies, team_chat, 1 + int(k * 120 * r() * r()),
                              int(k * 12 * r() * r()), int(k * 24 * r() * r())))
            if on_slack:
                days = 1 + int(min(21.0, k * (6 + 8 * f) * r() * 2))
                messages = int(days * k * k * (2 + 4 * r()))  # k squared: a few people post a thousand a month
                posts = 1 + int(k * (4 + 4 * f) * r() * r()) if slack_posts else 0
                slack.append((p, posts, max(messages, posts), int(k * (2 + 6 * f) * r() * r()), days))
            if n < employees:
                active[department[p]] += 1
                if creator or replier:
                    contributors[department[p]] += 1
        return headcount, active, contributors

    def _champions(self, t, roster, champions, champion_start):
        """Keep last month's champions who are still here; where a department needs more, recruit its keenest people."""
        on_roster = set(roster)
        by_department = None
        snapshot, newcomers = [], []
        for d, start in enumerate(champion_start):
            kept = [p for p in champions[d] if p in on_roster]
            if start is not None and t >= start:
                if by_department is None:
                    by_department = {}
                    for p in roster:
                        by_department.setdefault(self.department[p], []).append(p)
                members = by_department.get(d, [])
                ramp = min(1.0, (t - start + 1) / 6)
                wanted = min(len(members), max(1, round(len(members) * 0.012 * ramp)))
                if len(kept) < wanted:
                    taken = set(kept)
                    candidates = [p for p in members if p not in taken and self.level[p] != 0]
                    candidates.sort(key=self.adoption_rank.__getitem__)
                    recruits = candidates[: wanted - len(kept)]
                    kept += recruits
                    newcomers += recruits
            champions[d] = kept
            snapshot += [(p, "Lead champion" if i == 0 else "Champion") for i, p in enumerate(kept)]
        return snapshot, newcomers

    def _training(self, month, rnd, f, new_champions):
        roster, rank = month.roster, self.adoption_rank
        sessions = [(TRAINING_PROGRAMS[0], round(len(roster) * (0.006 + 0.018 * f)))]
        if month.index % 2 == 0:
            sessions.append((TRAINING_PROGRAMS[1], round(len(roster) * (0.008 + 0.024 * f))))
        events = []
        for program, size in sessions:
            day = _weekday(month.first_day.replace(day=rnd.randint(5, 24)))
            pool = rnd.sample(roster, min(len(roster), 2 * size))
            events += [(day, program, p) for p in [p for p in pool if rank[p] < 0.8][:size]]
        if new_champions:
            day = _weekday(month.first_day.replace(day=rnd.randint(3, 24)))
            events += [(day, TRAINING_PROGRAMS[2], p) for p in new_champions]
        events.sort(key=lambda event: event[0])
        return events

    def _communities(self, month, rnd, f):
        """Community totals follow headcount and the adoption curve; quiet new communities have members but no posts."""
        r = rnd.random
        t, headcount = month.index, len(month.roster)
        rows = []
        for c, (_, tool, share, _, quiet) in enumerate(COMMUNITIES):
            start = self.community_start[c]
            if t < start:
                continue
            if self.community_owner[c] is None:
                # The keenest person among a few dozen, a different few dozen for each community.
                offset = (c * 7919) % len(month.roster)
                self.community_owner[c] = min(month.roster[offset:offset + 40], key=self.adoption_rank.__getitem__)
            members = max(3, round(headcount * share * (0.35 + 0.65 * f) * (0.95 + 0.1 * r())))
            silent = t < start + quiet
            posts = 0 if silent else max(1, round(members * (0.08 + 0.25 * f) * (0.6 + 0.8 * r())))
            if tool == "slack":
                guests = int(members * 0.03 * r())
                viewers = min(members, round(members * (0.4 + 0.4 * f) * (0.8 + 0.3 * r())))
                posters = min(members, posts, max(1 if posts else 0, round(members * (0.05 + 0.2 * f))))
                rows.append((c, members, posts, viewers, round(posts * (0.8 + 1.6 * f) * (0.7 + 0.6 * r())),
                             guests, posters, posts - int(posts * 0.02 * r())))
            else:
                reads = round(members * (0.5 + 2.5 * f) * (0.7 + 0.6 * r()))
                rows.append((c, members, posts, reads, round(posts * (1.0 + 2.5 * f) * (0.7 + 0.6 * r())), 0, 0, 0))
        return rows

    def _kpis(self, t, rnd, stats, kpi_start):
        headcount, active, contributors = stats
        staff = sum(headcount) or 1
        adoption = sum(active) / staff
        gauss = rnd.gauss
        base = len(self.initial_roster)
        rows = []
        for (name, unit, higher, objective, _, per_department), start in zip(KPIS, kpi_start):
            if t < start:
                continue
            if name == "Employee engagement score":
                value, target = 52 + 35 * adoption + gauss(0, 0.8), 72.0
            elif name == "Ideas submitted":
                value, target = max(0.0, sum(contributors) * 0.3 + gauss(0, 2)), float(round(base * 0.065) or 1)
            elif name == "Voluntary attrition":
                value, target = 17 - 11 * adoption + gauss(0, 0.3), 10.5
            elif name == "Time to answer customer (hours)":
                value, target = 14 - 5 * adoption + gauss(0, 0.4), 8.0
            else:
                value, target = base * 0.012 * (0.5 + 0.5 * adoption) + gauss(0, 1), float(round(base * 0.015) or 1)
            rows.append((name, "", _kpi_value(value, unit), _kpi_value(target, unit), unit, higher, objective))
            if not per_department:
                continue
            for d, (department, *_rest) in enumerate(DEPARTMENTS):
                if not headcount[d]:
                    continue
                a = active[d] / headcount[d]
                if higher:
                    value = 52 + 35 * a + gauss(0, 1.5)
                else:
                    value = 17 - 11 * a + gauss(0, 0.8)
                rows.append((name, department, _kpi_value(value, unit), _kpi_value(target, unit), unit, higher,
                             objective))
        return rows

    def checklist(self):
        """Checklist answers as (month label, criterion, answer, note), a later answer replacing an earlier one."""
        answers = {}
        for fraction, criterion, answer, note in CHECKLIST:
            answers[(self._month_at(fraction), criterion)] = (answer, note)
        return [(self.calendar[t][0], criterion, answer, note)
                for (t, criterion), (answer, note) in sorted(answers.items())]


_DEPARTMENT_CUMULATIVE = [sum(d[2] for d in DEPARTMENTS[: i + 1]) for i in range(len(DEPARTMENTS))]
_REGION_CUMULATIVE = [sum(REGION_WEIGHTS[: i + 1]) for i in range(len(REGION_WEIGHTS))]


def _month_bounds(n):
    year, month = divmod(n, 12)
    first = dt.date(year, month + 1, 1)
    following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return f"{year:04d}-{month + 1:02d}", first, following - dt.timedelta(days=1)


def _weekday(day):
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _kpi_value(value, unit):
    return str(round(value)) if unit == "count" else f"{value:.1f}"


# ---------------------------------------------------------------- writers


def _csv_writer(path, vendor_m365=False):
    """Canonical files: UTF-8, LF. Microsoft 365 exports: UTF-8 with a BOM and CRLF, as the admin center writes them."""
    handle = open(path, "w", newline="", encoding="utf-8")
    if vendor_m365:
        handle.write("\ufeff")  # by hand: the utf-8-sig codec is pure Python and slows every write
    return handle, csv.writer(handle, lineterminator="\r\n" if vendor_m365 else "\n")


def _write_csv(path, header, rows, vendor_m365=False):
    handle, writer = _csv_writer(path, vendor_m365)
    with handle:
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_lines(path, header, lines, vendor_m365=False):
    """The header through the csv module, then rows already rendered as CSV lines (the big files: rendering by
    hand, with each person's unchanging cells rendered once, is several times faster than csv.writer)."""
    handle, writer = _csv_writer(path, vendor_m365)
    with handle:
        writer.writerow(header)
        handle.writelines(lines)
    return path


def _quoted(text):
    """A cell as csv.writer (QUOTE_MINIMAL) writes it."""
    text = str(text)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


class _CanonicalFile:
    """One canonical template holding every month."""

    def __init__(self, out_dir, name, header):
        self.paths = [out_dir / name]
        self.handle, self.writer = _csv_writer(self.paths[0])
        self.writer.writerow(header)

    def close(self):
        self.handle.close()


class _Roster(_CanonicalFile):
    def __init__(self, org, out_dir):
        super().__init__(out_dir, "roster.csv", ("month", "email", "department", "region", "business_unit", "level"))
        self.org = org

        self.cells = []  # per person: "email,department,region,business_unit,level\n"

    def add(self, month):
        org, cells = self.org, self.cells
        email, department, region, level = org.email, org.department, org.region, org.level
        for p in range(len(cells), len(email)):
            d = DEPARTMENTS[department[p]] if department[p] >= 0 else ("", "")
            cells.append(",".join(map(_quoted, (email[p], d[0], region[p], d[1], LEVELS[level[p]]))) + "\n")
        prefix = _quoted(month.label) + ","
        self.handle.writelines([prefix + cells[p] for p in month.roster])


class _Champions(_CanonicalFile):
    def __init__(self, org, out_dir):
        super().__init__(out_dir, "champions.csv", ("month", "email", "department", "role"))
        self.org = org

    def add(self, month):
        org = self.org
        self.writer.writerows(
            (month.label, org.email[p], DEPARTMENTS[org.department[p]][0], role) for p, role in month.champions
        )


class _CanonicalActivity(_CanonicalFile):
    def __init__(self, org, out_dir):
        header = ("month", "email", "tool", "posts", "replies", "reactions", "reads", "other_actions", "active_days")
        super().__init__(out_dir, "activity.csv", header)
        self.org = org

    def add(self, month):
        email, label, write = self.org.email, month.label, self.writer.writerows
        write((label, email[p], "viva-engage", posts, "", likes, reads, "", "")
              for p, posts, reads, likes in month.engage)
        write((label, email[p], "teams", posts, replies, "", "", chats + private + calls + meetings, "")
              for p, posts, replies, chats, private, calls, meetings in month.teams)
        write((label, email[p], "slack", posts, "", reactions, "", "", days)
              for p, posts, _messages, reactions, days in month.slack)


class _CanonicalCommunities(_CanonicalFile):
    def __init__(self, org, out_dir):
        header = ("month", "community", "tool", "members", "posts", "reads", "reactions")
        super().__init__(out_dir, "communities.csv", header)
        self.org = org

    def add(self, month):
        names = self.org.communities
        self.writer.writerows(
            (month.label, *names[c], members, posts, reads, reactions)
            for c, members, posts, reads, reactions, *_slack in month.communities
        )


class _Training(_CanonicalFile):
    def __init__(self, org, out_dir):
        super().__init__(out_dir, "training.csv", ("date", "program", "email"))
        self.org = org

    def add(self, month):
        email = self.org.email
        self.writer.writerows((day.isoformat(), program, email[p]) for day, program, p in month.training)


class _Kpis(_CanonicalFile):
    def __init__(self, org, out_dir):
        header = ("month", "kpi", "department", "value", "target", "unit", "higher_is_better", "objective")
        super().__init__(out_dir, "kpis.csv", header)

    def add(self, month):
        self.writer.writerows(
            (month.label, kpi, department, value, target, unit, "true" if higher else "false", objective)
            for kpi, department, value, target, unit, higher, objective in month.kpis
        )


class _Checklist(_CanonicalFile):
    def __init__(self, org, out_dir):
        super().__init__(out_dir, "checklist.csv", ("month", "criterion", "answer", "note"))
        self.writer.writerows(org.checklist())

    def add(self, month):
        pass


ENGAGE_ACTIVITY_HEADER = (
    "Report Refresh Date", "User Principal Name", "Display Name", "User State", "State Change Date",
    "Last Activity Date", "Posted Count", "Read Count", "Liked Count", "Assigned Products", "Report Period",
)
ENGAGE_GROUPS_HEADER = (
    "Report Refresh Date", "Group Display Name", "Is Deleted", "Owner Principal Name", "Last Activity Date",
    "Group Type", "Office 365 Connected", "Member Count", "Posted Count", "Read Count", "Liked Count", "Report Period",
)
ENGAGE_DEVICES_HEADER = (
    "Report Refresh Date", "User Principal Name", "Display Name", "User State", "State Change Date",
    "Last Activity Date", "Used Web", "Used Windows Phone", "Used Android Phone", "Used iPhone", "Used iPad",
    "Used Others", "Report Period",
)
# The order real files arrive in, which is not the documented one, with the newer tenant columns.
TEAMS_ACTIVITY_HEADER = (
    "Report Refresh Date", "User Id", "User Principal Name", "Last Activity Date", "Is Deleted", "Deleted Date",
    "Assigned Products", "Team Chat Message Count", "Private Chat Message Count", "Call Count", "Meeting Count",
    "Meetings Organized Count", "Meetings Attended Count", "Ad Hoc Meetings Organized Count",
    "Ad Hoc Meetings Attended Count", "Scheduled One-time Meetings Organized Count",
    "Scheduled One-time Meetings Attended Count", "Scheduled Recurring Meetings Organized Count",
    "Scheduled Recurring Meetings Attended Count", "Audio Duration", "Video Duration", "Screen Share Duration",
    "Audio Duration In Seconds", "Video Duration In Seconds", "Screen Share Duration In Seconds", "Has Other Action",
    "Urgent Messages", "Post Messages", "Tenant Display Name", "Shared Channel Tenant Display Names",
    "Reply Messages", "Is Licensed", "Report Period",
)
SLACK_MEMBERS_HEADER = (
    "Name", "What I Do", "User ID", "Username", "Display name", "Email", "Account type", "Account created (UTC)",
    "Claimed Date (UTC)", "Deactivated date (UTC)", "Days active", "Days active (Desktop)", "Days active (Android)",
    "Days active (iOS)", "Messages posted", "Messages posted in channels", "Reactions added", "Last active (UTC)",
    "Last active (Desktop) (UTC)", "Last active (Android) (UTC)", "Last active (iOS) (UTC)",
)
SLACK_CHANNELS_HEADER = (
    "Name", "Created", "Total membership", "Members who viewed", "Members who posted", "Full Members", "Guests",
    "Messages posted", "Messages posted by members", "Reactions added",
)
TENANT = "Example Corp"
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _VendorIdentities:
    """How each person appears in vendor files: UPN casing, concealed Engage names, Teams and Slack ids, licences."""

    def __init__(self, org):
        self.org = org
        self.upn, self.display, self.engage_upn, self.engage_display = [], [], [], []
        self.user_id, self.slack_id, self.products, self.state = [], [], [], []

    def extend(self):
        """Cover the people who joined since the last call."""
        org = self.org
        for p in range(len(self.upn), len(org.email)):
            email = org.email[p]
            digest = hashlib.md5(f"{org.seed}:{email}".encode()).hexdigest()
            bucket = int(digest[:4], 16) % 100
            local = email.split("@")[0]
            upn = f"{local.upper()}@Example.com" if bucket < 8 else email
            display = f"{'Contractor' if org.department[p] < 0 else 'Person'} {local[1:]}"
            self.upn.append(upn)
            self.display.append(display)
            if int(digest[4:6], 16) % 100 < 3:
                self.engage_upn.append(hashlib.md5(f"{digest}:upn".encode()).hexdigest().upper())
                self.engage_display.append(hashlib.md5(f"{digest}:name".encode()).hexdigest().upper())
            else:
                self.engage_upn.append(upn)
                self.engage_display.append(display)
            self.user_id.append(f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}")
            self.slack_id.append("U" + digest[6:16].upper())
            licence = int(digest[2:4], 16) % 10
            if org.department[p] < 0:
                self.products.append("MICROSOFT 365 F3+VIVA ENGAGE")
            elif licence < 7:
                self.products.append("MICROSOFT 365 E3+VIVA ENGAGE")
            else:
                self.products.append("MICROSOFT 365 E5+VIVA ENGAGE" if licence < 9 else "OFFICE 365 E3+VIVA ENGAGE")
            self.state.append(("activated" if bucket % 10 == 9 else "Activated", ""))


class _VendorActivity:
    """Per month: Engage activity and device files and the Teams activity file, which list every licensed user,
    and the Slack members file, which lists every workspace member."""

    def __init__(self, org, out_dir, ids):
        self.org, self.out_dir, self.ids = org, out_dir, ids
        self.random = random.Random(org.seed + 2)
        self.last_active = {"viva-engage": {}, "teams": {}, "slack": {}}
        self.slack_profiles = {}
        self.activity_paths, self.device_paths = [], []

    @property
    def paths(self):
        return self.activity_paths + self.device_paths

    def add(self, month):
        self.ids.extend()
        self._remember_last_activity(month)
        people = month.roster + self.org.contractors
        self._engage(month, people)
        self._teams(month, people)
        self._slack(month, people)

    def close(self):
        pass

    def _remember_last_activity(self, month):
        """Last Activity Date: a day late in the month for people active on a tool; an older date stays for the rest."""
        r = self.random.random
        length = month.last_day.day
        first = month.first_day
        days = [(first + dt.timedelta(days=n)).isoformat() for n in range(length)]
        for tool, rows in (("viva-engage", month.engage), ("teams", month.teams), ("slack", month.slack)):
            self.last_active[tool].update((row[0], days[int(length * (1 - r() * r()))]) for row in rows)

    def _state_changes(self, month):
        """User State and State Change Date where they change: leavers are Deleted in their last month,
        joiners show the day they started; everyone else keeps `ids.state`."""
        joined, state = self.org.joined, self.ids.state
        changes = {p: (state[p][0], month.first_day.replace(day=1 + p % 5).isoformat())
                   for p in month.roster if joined[p] == month.index and month.index}
        changes.update((p, ("Deleted", (month.last_day - dt.timedelta(days=p % 9)).isoformat())) for p in month.leaving)
        return changes

    def _engage(self, month, people):
        ids, refresh, device = self.ids, month.last_day.isoformat(), self.org.device
        activity = {row[0]: row for row in month.engage}
        last_active = self.last_active["viva-engage"]
        lines, device_lines = [], []
        idle_devices = ",No,No,No,No,No,No,30\r\n"
        devices = ["," + ",".join(columns) + "\r\n" for columns in DEVICE_COLUMNS]
        changes, state, products = self._state_changes(month), ids.state, ids.products
        upn, display = ids.engage_upn, ids.engage_display
        for p in people:
            state_now = changes.get(p) or state[p]
            person = f"{refresh},{upn[p]},{display[p]},{state_now[0]},{state_now[1]},{last_active.get(p, '')}"
            row = activity.get(p)
            if row is None:
                lines.append(f"{person},,,,{products[p]},30\r\n")
                device_lines.append(person + idle_devices)
                continue
            _, posts, reads, likes = row
            lines.append(f"{person},{posts or ''},{reads or ''},{likes or ''},{products[p]},30\r\n")
            device_lines.append(person + devices[device[p]])
        self.activity_paths.append(_write_lines(self.out_dir / f"engage_activity_{month.label}.csv",
                                                ENGAGE_ACTIVITY_HEADER, lines, vendor_m365=True))
        self.device_paths.append(_write_lines(self.out_dir / f"engage_devices_{month.label}.csv",
                                              ENGAGE_DEVICES_HEADER, device_lines, vendor_m365=True))

    def _teams(self, month, people):
        ids, refresh = self.ids, month.last_day.isoformat()
        activity = {row[0]: row for row in month.teams}
        last_active = self.last_active["teams"]
        contractors_from = len(month.roster)
        idle = ("0",) * 12 + ("PT0S",) * 3 + ("0",) * 3 + ("No", "0", "0", TENANT, "", "0")
        idle = {licensed: "," + ",".join(idle + (licensed, "30")) + "\r\n" for licensed in ("Yes", "No")}
        user_id, upn, products, leavers = ids.user_id, ids.upn, ids.products, month.leaving
        deleted = f"True,{refresh}"
        current = "False,"
        durations = {}  # seconds -> ISO 8601; few distinct values, many rows
        lines = []
        for n, p in enumerate(people):
            person = (f"{refresh},{user_id[p]},{upn[p]},{last_active.get(p, '')},"
                      f"{deleted if p in leavers else current},{products[p]}")
            licensed = "No" if n >= contractors_from and p % 3 == 0 else "Yes"
            row = activity.get(p)
            if row is None:
                lines.append(person + idle[licensed])
                continue
            _, posts, replies, team_chat, private_chat, calls, meetings = row
            organized = meetings // 4
            attended = meetings - organized
            audio = calls * 420 + meetings * 1500 + (p % 7) * 60 if calls or meetings else 0
            video = audio * (p % 5) // 8
            screen = meetings * 240
            for seconds in (audio, video, screen):
                if seconds not in durations:
                    durations[seconds] = _iso_duration(seconds)
            lines.append(
                f"{person},{team_chat},{private_chat},{calls},{meetings},{organized},{attended},"
                f"{organized // 3},{attended // 3},{organized // 3},{attended // 3},"
                f"{organized - 2 * (organized // 3)},{attended - 2 * (attended // 3)},"
                f"{durations[audio]},{durations[video]},{durations[screen]},{audio},{video},{screen},"
                f"Yes,{int(posts > 0 and p % 11 == 0)},{posts},{TENANT},,{replies},{licensed},30\r\n")
        self.activity_paths.append(_write_lines(self.out_dir / f"teams_activity_{month.label}.csv",
                                                TEAMS_ACTIVITY_HEADER, lines, vendor_m365=True))

    def _slack(self, month, people):
        has_slack, device, profiles, leavers = self.org.has_slack, self.org.device, self.slack_profiles, month.leaving
        activity = {row[0]: row for row in month.slack}
        last_active = self.last_active["slack"]
        slack_dates = {"": ""}  # ISO date -> Slack's "Feb 16, 2026", as a CSV cell
        lines = []
        for p in people:
            if not has_slack[p]:
                continue
            profile = profiles.get(p)
            if profile is None:
                profile = profiles[p] = ",".join(map(_quoted, self._slack_profile(p)))
            deactivated = _quoted(_slack_date(month.last_day - dt.timedelta(days=p % 9))) if p in leavers else ""
            last = last_active.get(p, "")
            if last not in slack_dates:
                slack_dates[last] = _quoted(_slack_date(dt.date.fromisoformat(last)))
            last = slack_dates[last]
            row = activity.get(p)
            if row is None:
                lines.append(f"{profile},{deactivated},0,0,0,0,0,0,0,{last},{last},,\n")
                continue
            _, posts, messages, reactions, days_active = row
            android = days_active // 3 if device[p] & DEVICE_ANDROID else 0
            ios = days_active // 2 if device[p] & DEVICE_IPHONE else 0
            lines.append(
                f"{profile},{deactivated},{days_active},{max(1, days_active - ios // 2)},{android},{ios},"
                f"{_quoted(_thousands(messages))},{_quoted(_thousands(posts))},{_quoted(_thousands(reactions))},"
                f"{last},{last},{last if android else ''},{last if ios else ''}\n")
        self.activity_paths.append(_write_lines(self.out_dir / f"slack_members_{month.label}.csv",
                                                SLACK_MEMBERS_HEADER, lines))

    def _slack_profile(self, p):
        """Name, What I Do, User ID, Username, Display name, Email, Account type, Account created, Claimed Date."""
        org, ids = self.org, self.ids
        contractor = org.department[p] < 0
        joined = org.joined[p]
        if joined:
            created = _slack_date(org.calendar[joined][1].replace(day=1 + p % 5))
        else:
            created = _slack_date(org.calendar[0][1] - dt.timedelta(days=30 + (p * 7919) % 1800))
        account = "Multi-Channel Guest" if contractor else "Workspace Admin" if p % 97 == 0 else "Member"
        title = "" if contractor or p % 4 == 0 else f"{DEPARTMENTS[org.department[p]][0]} {LEVELS[org.level[p]]}"
        return (ids.display[p], title, ids.slack_id[p], org.email[p].split("@")[0],
                ids.display[p].lower().replace(" ", "."), ids.upn[p], account, created, created)


class _VendorCommunities:
    """Per month: the Engage groups activity file and the Slack channels file."""

    def __init__(self, org, out_dir, ids):
        self.org, self.out_dir, self.ids = org, out_dir, ids
        self.paths = []

    def add(self, month):
        org, ids = self.org, self.ids
        ids.extend()
        refresh = month.last_day.isoformat()
        engage_rows, slack_rows = [], []
        for c, members, posts, reads, reactions, guests, posters, member_posts in month.communities:
            name, tool = org.communities[c]
            if tool == "slack":
                created = _slack_date(org.calendar[org.community_start[c]][1] - dt.timedelta(days=3 + c))
                slack_rows.append((name, created, _thousands(members), _thousands(reads), posters, members - guests,
                                   guests, _thousands(posts), _thousands(member_posts), _thousands(reactions)))
            else:
                last = (month.last_day - dt.timedelta(days=c % 6)).isoformat() if posts or reads else ""
                engage_rows.append((refresh, name, "False", ids.upn[org.community_owner[c]], last,
                                    "Private" if c % 4 == 3 else "Public", "Yes" if c % 3 else "No",
                                    members, posts or "", reads or "", reactions or "", "30"))
        self.paths.append(_write_csv(self.out_dir / f"engage_groups_{month.label}.csv",
                                     ENGAGE_GROUPS_HEADER, engage_rows, vendor_m365=True))
        self.paths.append(_write_csv(self.out_dir / f"slack_channels_{month.label}.csv",
                                     SLACK_CHANNELS_HEADER, slack_rows))

    def close(self):
        pass


def _yes(flag):
    return "Yes" if flag else "No"


# Used Web, Used Windows Phone, Used Android Phone, Used iPhone, Used iPad, Used Others, Report Period; by device mask
DEVICE_COLUMNS = [
    (_yes(d & DEVICE_WEB), "No", _yes(d & DEVICE_ANDROID), _yes(d & DEVICE_IPHONE), _yes(d & DEVICE_IPAD),
     _yes(d & DEVICE_OTHER), "30")
    for d in range(2 * DEVICE_OTHER)
]


def _thousands(n):
    return f"{n:,}" if n >= 1000 else n


def _slack_date(day):
    return f"{MONTH_ABBREVIATIONS[day.month - 1]} {day.day}, {day.year}"


def _iso_duration(seconds):
    if not seconds:
        return "PT0S"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return "PT" + "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)


def write_org(out_dir, people=1500, months=18, end_month="2026-10", seed=7, fmt="canonical") -> list[pathlib.Path]:
    """Write a synthetic organisation's exports into out_dir; return the files in the order they should be loaded.

    fmt="canonical" writes the project's templates; fmt="vendor" writes activity and communities as the
    Microsoft 365 and Slack exports champions download, and everything else as canonical templates.
    """
    if fmt not in ("canonical", "vendor"):
        raise ValueError(f"fmt must be 'canonical' or 'vendor', not {fmt!r}")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    org = Organisation(people=people, months=months, end_month=end_month, seed=seed)
    if fmt == "canonical":
        activity, communities = _CanonicalActivity(org, out), _CanonicalCommunities(org, out)
    else:
        ids = _VendorIdentities(org)
        activity, communities = _VendorActivity(org, out, ids), _VendorCommunities(org, out, ids)
    sinks = [_Roster(org, out), _Champions(org, out), activity, communities,
             _Training(org, out), _Kpis(org, out), _Checklist(org, out)]
    try:
        for month in org.months():
            for sink in sinks:
                sink.add(month)
    finally:
        for sink in sinks:
            sink.close()
    return [path for sink in sinks for path in sink.paths]
