"""The reminder inbox as a person works it each day: today's reminders in the order they fell due, then what is
still open from earlier days (the most recent first: yesterday's missed countdown matters more than last
month's), each saying how late it is; and, for who oversees every group (managers, admins), the team's
overdue reminders by person, since their own inbox holds little else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Min

from core.access import can
from core.dates import local_date, local_midnight
from core.users import user_display_name

from .models import Reminder
from .permissions import CLOSE_ANY_REMINDER

SECTION_LIMIT = 200  # reminders shown per section; the count above it says how many there are in all
TEAM_LIMIT = 100


@dataclass(frozen=True)
class TeamLoad:
    """One person's overdue reminders, for the manager's overview."""

    name: str
    count: int
    overdue_by: dt.timedelta


@dataclass
class Inbox:
    today: list[Reminder]
    earlier: list[Reminder]
    earlier_count: int
    team: list[Reminder] = field(default_factory=list)
    team_count: int = 0
    team_load: list[TeamLoad] = field(default_factory=list)
    oversees_team: bool = False


def _with_lateness(reminders, now: dt.datetime) -> list[Reminder]:
    rows = list(reminders)
    for reminder in rows:
        reminder.overdue = reminder.overdue_by(now)
    return rows


def inbox_for(*, user, now: dt.datetime) -> Inbox:
    """What `user` should do now (their reminders and nobody's, due and not done), in the sections above."""
    mine = Reminder.objects.for_inbox(user, now=now).with_closable(user, now=now)
    mine = mine.select_related("group", "campaign", "assignee")
    start_of_today = local_midnight(local_date(now))
    earlier = mine.filter(due_at__lt=start_of_today)
    inbox = Inbox(
        today=_with_lateness(mine.filter(due_at__gte=start_of_today).order_by("due_at", "id")[:SECTION_LIMIT], now),
        earlier=_with_lateness(earlier.order_by("-due_at", "-id")[:SECTION_LIMIT], now),
        earlier_count=earlier.count(),
    )
    if can(user, CLOSE_ANY_REMINDER):
        _add_team(inbox, user=user, now=now)
    return inbox


def _add_team(inbox: Inbox, *, user, now: dt.datetime) -> None:
    """Everyone else's overdue reminders (assigned to someone other than `user`; nobody's are in their own list)."""
    team = Reminder.objects.overdue(now=now).exclude(assignee=user).exclude(assignee__isnull=True)
    inbox.oversees_team = True
    inbox.team = _with_lateness(
        team.with_closable(user, now=now)
        .select_related("group", "campaign", "assignee")
        .order_by("-due_at", "-id")[:TEAM_LIMIT],
        now,
    )
    per_person = list(team.values("assignee").annotate(n=Count("id"), oldest=Min("due_at")).order_by("-n"))
    inbox.team_count = sum(row["n"] for row in per_person)
    names = {r.assignee_id: user_display_name(r.assignee) for r in inbox.team}
    if len(names) < len(per_person):
        missing = [row["assignee"] for row in per_person if row["assignee"] not in names]
        names.update({u.pk: user_display_name(u) for u in get_user_model().objects.filter(pk__in=missing)})
    inbox.team_load = [TeamLoad(names[row["assignee"]], row["n"], now - row["oldest"]) for row in per_person]
