"""The reads the outreach pages need: the workspace of one call, an agent's lists, a list's progress."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Order
from members import segments
from members.models import Group, Member, Tag
from members.selectors import group_for_invitation

from .models import CallList, CallListAgent, CallListGroup, CallTask, Script
from .priorities import RECENT_DAYS


@dataclass(frozen=True)
class PurchaseSummary:
    last_order_at: dt.datetime | None
    orders: int
    gmv: object  # Decimal
    days: int = RECENT_DAYS


def purchase_summary(member: Member, *, now=None) -> PurchaseSummary:
    """The member's last order, and their paid orders and GMV over the last 90 days."""
    now = now or timezone.now()
    paid = Order.objects.filter(member=member).paid()
    recent = paid.filter(placed_at__gte=now - dt.timedelta(days=RECENT_DAYS))
    recent = recent.aggregate(n=Count("pk"), gmv=Sum("amount"))
    last = paid.aggregate(last=Max("placed_at"))["last"]
    return PurchaseSummary(last_order_at=last, orders=recent["n"], gmv=recent["gmv"] or 0)


def script_for(member_tag_ids: set[int], call_list: CallList) -> Script | None:
    """The script for this member: among the active scripts whose tags the member all has, the one with the
    most tags (the most specific); else the list's own script; else a script with no tags."""
    scripts = Script.objects.filter(is_active=True).prefetch_related("tags")
    best, best_size = None, 0
    for script in scripts:
        tags = {tag.pk for tag in script.tags.all()}
        if tags and tags <= member_tag_ids and len(tags) > best_size:
            best, best_size = script, len(tags)
    if best is not None:
        return best
    if call_list.script is not None and call_list.script.is_active:
        return call_list.script
    return next((script for script in scripts if not script.tags.all()), None)


def target_group(call_list: CallList, member: Member) -> Group | None:
    """The group accepting this call would invite the member to now (members.selectors.group_for_invitation)."""
    return group_for_invitation(member, [entry.group for entry in call_list.pool.select_related("group")])


SCRIPT_VARIABLES = ("name", "store", "group")  # filled in by fill_script


def script_preview(text: str) -> list[tuple[str, str]]:
    """The script as (text, variable) pieces, so a list of scripts can show `{name}` as a labelled chip
    (what the call will say there) instead of braces that read like a template the app forgot to fill in."""
    labels = {"name": _("Member's name"), "store": _("Store name"), "group": _("Group invited to")}
    pieces: list[tuple[str, str]] = []
    for part in re.split(r"(\{(?:" + "|".join(SCRIPT_VARIABLES) + r")\})", text):
        if not part:
            continue
        variable = part[1:-1] if part.startswith("{") and part[1:-1] in labels else ""
        pieces.append((labels[variable], variable) if variable else (part, ""))
    return pieces


def fill_script(script: Script | None, *, member: Member, group: Group | None) -> str:
    if script is None:
        return ""
    values = {"name": member.name or "", "store": member.store_name or "", "group": group.name if group else ""}
    text = script.text
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def task_for_workspace(*, pk: int) -> CallTask:
    return CallTask.objects.select_related("call_list", "call_list__script", "member", "agent", "invited_to").get(pk=pk)


def member_tags(member: Member) -> list[Tag]:
    return list(member.tags.select_related("category").order_by("category__position", "code"))


def codebook() -> list[Tag]:
    return list(Tag.objects.select_related("category").order_by("category__position", "code"))


def member_segments(member: Member) -> list[tuple[Group, str]]:
    """(group, segment label) for each group the member is in now."""
    if not segments.available():
        return []
    by_group = segments.of_member(member)
    labels = segments.labels()
    groups = Group.objects.in_bulk(list(by_group))
    return [(groups[pk], labels.get(code, code)) for pk, code in by_group.items() if pk in groups]


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    calling: int
    waiting: int  # call-backs and retries whose time has not come

    @property
    def left(self) -> int:
        return self.total - self.done

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress(tasks, *, now=None) -> Progress:
    now = now or timezone.now()
    counts = tasks.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=CallTask.Status.DONE)),
        calling=Count("pk", filter=Q(status=CallTask.Status.CALLING)),
        waiting=Count("pk", filter=Q(status=CallTask.Status.OPEN, next_attempt_at__gt=now)),
    )
    return Progress(**counts)


def agent_lists(agent, *, now=None) -> list[tuple[CallList, Progress]]:
    """The open lists `agent` works on, with their own share's progress."""
    lists = CallList.objects.filter(status=CallList.Status.OPEN, crew__agent=agent).order_by("due_date", "pk")
    mine = Q(agent=agent) | Q(agent__isnull=True)
    return [(call_list, progress(call_list.tasks.filter(mine), now=now)) for call_list in lists]


def agent_upcoming(agent, *, now=None, limit: int = 20) -> list[CallTask]:
    """The agent's call-backs and retries still to come, soonest first."""
    now = now or timezone.now()
    return list(
        CallTask.objects.filter(agent=agent, status=CallTask.Status.OPEN, next_attempt_at__gt=now)
        .select_related("member", "call_list")
        .order_by("next_attempt_at")[:limit]
    )


def call_lists(*, now=None):
    """Every list with its progress counts annotated (one query)."""
    return CallList.objects.select_related("selection", "created_by").annotate(
        total=Count("tasks"),
        done=Count("tasks", filter=Q(tasks__status=CallTask.Status.DONE)),
        accepted=Count("tasks", filter=Q(tasks__outcome=CallTask.Outcome.ACCEPTED)),
    )


def call_list_get(*, pk: int) -> CallList:
    return (
        CallList.objects.select_related("selection", "script", "created_by")
        .prefetch_related(
            Prefetch("pool", queryset=CallListGroup.objects.select_related("group")),
            Prefetch("crew", queryset=CallListAgent.objects.select_related("agent")),
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class CrewRow:
    agent: object
    weight: int
    regions: list[str]
    progress: Progress


def crew_progress(call_list: CallList, *, now=None) -> list[CrewRow]:
    """Each agent of the list with their share's progress (and the shared queue's, if the list has one)."""
    rows = [
        CrewRow(entry.agent, entry.weight, entry.regions, progress(call_list.tasks.filter(agent=entry.agent), now=now))
        for entry in call_list.crew.all()
    ]
    unassigned = call_list.tasks.filter(agent__isnull=True)
    if unassigned.exists():
        rows.append(CrewRow(None, 0, [], progress(unassigned, now=now)))
    return rows


def callback_presets(*, now=None) -> list[tuple[str, str]]:
    """(label, value for a datetime-local field) of the call-back times agents pick most, in the organisation's
    zone: in an hour (rounded up to five minutes), this afternoon at 17:00 while it is ahead, tomorrow 10:00
    and 15:00."""
    local = timezone.localtime(now or timezone.now())
    in_an_hour = local + dt.timedelta(hours=1)
    in_an_hour += dt.timedelta(minutes=(-in_an_hour.minute) % 5, seconds=-in_an_hour.second,
                               microseconds=-in_an_hour.microsecond)  # fmt: skip
    tomorrow = local.date() + dt.timedelta(days=1)
    at = dt.datetime.combine
    options = [(_("In an hour"), in_an_hour)]
    afternoon = local.replace(hour=17, minute=0, second=0, microsecond=0)
    if afternoon - local >= dt.timedelta(hours=1, minutes=30):
        options.append((_("Today 17:00"), afternoon))
    options += [
        (_("Tomorrow 10:00"), at(tomorrow, dt.time(10, 0), tzinfo=local.tzinfo)),
        (_("Tomorrow 15:00"), at(tomorrow, dt.time(15, 0), tzinfo=local.tzinfo)),
    ]
    return [(str(label), moment.strftime("%Y-%m-%dT%H:%M")) for label, moment in options]
