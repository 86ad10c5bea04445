"""The call numbers the operator, the manager and the recap read, per list, per agent and per day.

Counted in members, not dialling attempts, so that three unanswered calls to one member do not look like
three refusals: called = members called at least once; connected = members who answered (declined,
accepted or asked to be called back); accepted = members who said yes; joined = accepted members whose
invitation turned into an active membership of the group they were invited to. Invitation conversion =
accepted ÷ called; join rate = joined ÷ accepted (docs/metrics.md). A day is the organisation's day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate

from core.dates import zone
from core.users import user_display_name
from members.models import Membership

from .models import CallAttempt, CallTask


@dataclass(frozen=True)
class CallNumbers:
    called: int
    connected: int
    accepted: int
    joined: int

    @property
    def conversion(self) -> Decimal | None:
        """Invitation conversion: accepted ÷ called."""
        return _ratio(self.accepted, self.called)

    @property
    def join_rate(self) -> Decimal | None:
        """Joined ÷ accepted."""
        return _ratio(self.joined, self.accepted)


@dataclass(frozen=True)
class StatsRow:
    day: dt.date | None  # None: the whole period
    agent_id: int | None  # None: every agent
    agent_name: str
    numbers: CallNumbers


def _ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def _attempts(*, call_list=None, start: dt.datetime | None = None, end: dt.datetime | None = None):
    attempts = CallAttempt.objects.all()
    if call_list is not None:
        attempts = attempts.filter(task__call_list=call_list)
    if start is not None:
        attempts = attempts.filter(at__gte=start)
    if end is not None:
        attempts = attempts.filter(at__lt=end)
    joined = Membership.objects.filter(
        member=OuterRef("task__member"), group=OuterRef("task__invited_to"), joined_at__isnull=False
    )
    return attempts.annotate(member_joined=Exists(joined))


def _counts():
    connected = Q(outcome__in=CallTask.CONNECTED)
    accepted = Q(outcome=CallTask.Outcome.ACCEPTED)
    return {
        "called": Count("task", distinct=True),
        "connected": Count("task", filter=connected, distinct=True),
        "accepted": Count("task", filter=accepted, distinct=True),
        "joined": Count("task", filter=accepted & Q(member_joined=True), distinct=True),
    }


def call_numbers(*, call_list=None, agent=None, start=None, end=None) -> CallNumbers:
    """The four counts for a list (or every list), an agent (or all), a period (or all time)."""
    attempts = _attempts(call_list=call_list, start=start, end=end)
    if agent is not None:
        attempts = attempts.filter(agent=agent)
    return CallNumbers(**attempts.aggregate(**_counts()))


def call_stats(*, call_list=None, start=None, end=None) -> list[StatsRow]:
    """Per agent per day, then per agent over the period, then everyone: the operator's table and its export."""
    attempts = _attempts(call_list=call_list, start=start, end=end)
    daily = (
        attempts.annotate(day=TruncDate("at", tzinfo=zone()))
        .values("day", "agent")
        .annotate(**_counts())
        .order_by("day", "agent")
    )
    per_agent = attempts.values("agent").annotate(**_counts()).order_by("agent")
    users = get_user_model().objects.in_bulk({row["agent"] for row in per_agent})

    def name(agent_id):
        return user_display_name(users[agent_id]) if agent_id in users else "—"

    def numbers(row):
        return CallNumbers(row["called"], row["connected"], row["accepted"], row["joined"])

    rows = [StatsRow(row["day"], row["agent"], name(row["agent"]), numbers(row)) for row in daily]
    rows += [StatsRow(None, row["agent"], name(row["agent"]), numbers(row)) for row in per_agent]
    total = attempts.aggregate(**_counts())
    rows.append(StatsRow(None, None, "", numbers(total)))
    return rows
