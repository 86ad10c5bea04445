"""Building a call list from a saved selection, splitting it among agents, reassigning, closing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import ZERO
from members.models import Group, Membership, SavedSelection
from members.selections import selection_members
from members.selectors import pk_in
from members.services import refusal_of_new_members

from ..models import CallAttempt, CallList, CallListAgent, CallListGroup, CallTask, Script
from ..priorities import priorities_for
from ..split import Share, split_by_region, split_round_robin

MAX_RECENT_DAYS = 3650


@dataclass
class CallListSpec:
    """What an operator chooses for a new list (the form, the demo and the bench fill one in)."""

    name: str
    selection: SavedSelection
    groups: list[Group]
    shares: list[Share]
    split: str = CallList.Split.ROUND_ROBIN
    script: Script | None = None
    due_date: date | None = None
    recent_days: int = 30
    notes: list[str] = field(default_factory=list)


def _check(spec: CallListSpec) -> None:
    errors = {}
    if not spec.name.strip():
        errors["name"] = _("Give the list a name.")
    if not spec.groups:
        errors["groups"] = _("Choose at least one group to invite to.")
    elif refused := [group for group in spec.groups if not group.takes_new_members]:
        errors["groups"] = " ".join(refusal_of_new_members(group) for group in refused)
    if not spec.shares or not any(share.weight > 0 for share in spec.shares):
        errors["agents"] = _("Choose at least one agent.")
    if spec.split not in CallList.Split.values:
        errors["split"] = _("Unknown split.")
    if not 0 <= spec.recent_days <= MAX_RECENT_DAYS:
        errors["recent_days"] = _("Between 0 and %(max)s days.") % {"max": MAX_RECENT_DAYS}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def call_list_build(spec: CallListSpec, *, by, now=None) -> CallList:
    """Freeze the selection's members now into tasks, leave out who is already in a group of the list or was
    called within `recent_days` (counted), and split the rest among the agents."""
    _check(spec)
    now = now or timezone.now()
    selected = selection_members(spec.selection, user=by).order_by()
    rows = list(selected.values_list("pk", "region", "cumulative_purchase"))
    ids = [pk for pk, _region, _purchase in rows]
    in_group = set(
        Membership.objects.open()
        .filter(group__in=spec.groups)
        .filter(pk_in(ids, "member_id"))
        .values_list("member_id", flat=True)
    )
    called = set()
    if spec.recent_days:
        called = set(
            CallAttempt.objects.filter(at__gte=now - timedelta(days=spec.recent_days))
            .filter(pk_in(ids, "task__member_id"))
            .values_list("task__member_id", flat=True)
        )
    kept = [row for row in rows if row[0] not in in_group and row[0] not in called]
    # The most valuable first (expected value over the next weeks, then cumulative purchase), so that they are
    # shared evenly among the agents and called first.
    priorities = priorities_for(row[0] for row in kept)
    kept.sort(key=lambda row: (-priorities.get(row[0], (-1, ""))[0], -row[2], row[0]))

    call_list = CallList.objects.create(
        name=spec.name.strip(), selection=spec.selection, selection_query=spec.selection.query, script=spec.script,
        split=spec.split, due_date=spec.due_date, recent_days=spec.recent_days, selected_count=len(rows),
        skipped_in_group=len(in_group), skipped_recently_called=len(called - in_group), created_by=by,
        created_at=now,
    )  # fmt: skip
    CallListGroup.objects.bulk_create(
        CallListGroup(call_list=call_list, group=group, position=i) for i, group in enumerate(spec.groups)
    )
    CallListAgent.objects.bulk_create(
        CallListAgent(call_list=call_list, agent_id=s.agent_id, weight=s.weight, regions=list(s.regions))
        for s in spec.shares
    )
    agents = _split(call_list.split, kept, spec.shares)
    rows = [(pk, agents.get(pk), *priorities.get(pk, (ZERO, ""))) for pk, _region, _purchase in kept]
    _insert_tasks(call_list, rows, now=now)
    if connection.vendor == "postgresql":
        # Until the table's statistics know the new list, PostgreSQL guesses it holds one task and reads an
        # agent's queue through the (list, status) index, sorting the whole list on every claim (4 ms instead of
        # 0.1 at 20,000 tasks; bench/outreach.py). Autovacuum would analyse it, but only after the first calls.
        transaction.on_commit(_analyze_tasks)
    return call_list


def _analyze_tasks() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {CallTask._meta.db_table}")


def _insert_tasks(call_list: CallList, rows: list[tuple], *, now) -> None:
    """One INSERT … SELECT for every (member, agent, expected value, its reason) row, the rows passed as one
    array parameter: building 20,000 model instances for bulk_create took most of a list's build time
    (bench/outreach.py)."""
    table = CallTask._meta.db_table
    columns = (
        "call_list_id, member_id, agent_id, priority, priority_reason, status, outcome, attempts, notes, created_at"
    )
    created = connection.ops.adapt_datetimefield_value(now)
    fixed = "%s, {member}, {agent}, {priority}, {reason}, 'open', '', 0, '', %s"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns_of = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
            select = fixed.format(member="m", agent="a", priority="p", reason="r")
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {select} "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::text[]) AS t(m, a, p, r)",
                [call_list.pk, created, *(list(values) for values in columns_of)],
            )
        else:
            select = fixed.format(
                member="json_extract(value, '$[0]')", agent="json_extract(value, '$[1]')",
                priority="json_extract(value, '$[2]')", reason="json_extract(value, '$[3]')",
            )  # fmt: skip
            payload = [(m, a, str(p), r) for m, a, p, r in rows]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {select} FROM json_each(%s)",
                [call_list.pk, created, json.dumps(payload)],
            )


def _split(mode: str, rows, shares: list[Share]) -> dict[int, int]:
    if mode == CallList.Split.SHARED:
        return {}
    if mode == CallList.Split.REGION:
        return split_by_region([(pk, region) for pk, region, _purchase in rows], shares)
    return split_round_robin([pk for pk, _region, _purchase in rows], shares)


@transaction.atomic
def call_list_reassign(*, call_list: CallList, away, to: list[Share]) -> int:
    """Deal the away agent's unfinished tasks (a call left half-done included) among `to`; returns how many.

    A call-back keeps its time: whoever takes it calls at the time the member asked for.
    """
    if not call_list.is_open:
        raise ValidationError(_("This list is closed."))
    to = [share for share in to if share.agent_id != away.pk and share.weight > 0]
    if not to:
        raise ValidationError({"to": _("Choose at least one other agent.")})
    tasks = list(
        CallTask.objects.select_for_update()
        .filter(call_list=call_list, agent=away)
        .unfinished()
        .order_by("-priority", "pk")
        .values_list("pk", flat=True)
    )
    for share in to:
        CallListAgent.objects.get_or_create(call_list=call_list, agent_id=share.agent_id, defaults={"weight": 1})
    dealt: dict[int, list[int]] = {}
    for task_id, agent_id in split_round_robin(tasks, to).items():
        dealt.setdefault(agent_id, []).append(task_id)
    for agent_id, ids in dealt.items():
        CallTask.objects.filter(pk_in(ids)).update(agent_id=agent_id, status=CallTask.Status.OPEN, claimed_at=None)
    if call_list.split == CallList.Split.SHARED:
        # A shared list's fresh calls go back to its queue; call-backs and retries keep their new agent.
        CallTask.objects.filter(pk_in(tasks), next_attempt_at__isnull=True).update(agent_id=None)
    return len(tasks)


@transaction.atomic
def call_list_close(*, call_list: CallList, now=None) -> CallList:
    """No more calls on this list: its open tasks stay as they are (counted as not called)."""
    call_list = CallList.objects.select_for_update().get(pk=call_list.pk)
    if call_list.is_open:
        call_list.status = CallList.Status.CLOSED
        call_list.closed_at = now or timezone.now()
        call_list.save(update_fields=["status", "closed_at"])
        CallTask.objects.filter(call_list=call_list, status=CallTask.Status.CALLING).update(
            status=CallTask.Status.OPEN, claimed_at=None
        )
    return call_list
