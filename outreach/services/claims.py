"""Claiming the next task: the one place where two agents could collide, so it is a guarded UPDATE."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import CallList, CallListAgent, CallTask

CLAIM_TRIES = 5


def _queues(agent, *, now, call_list=None):
    """Where the agent's next call comes from, in order, each queue best first and read off its own index
    (models/calls.py; one query with an OR read every open task of every list, bench/outreach.py):

    1. their call-backs and retries whose time has come, oldest first, whatever the list;
    2. then list by list, the most urgent first (due date): their own fresh tasks (a split list), or the
       list's shared queue (a shared one), by expected value.
    """
    open_lists = CallList.objects.filter(status=CallList.Status.OPEN)
    if call_list is not None:
        open_lists = open_lists.filter(pk=call_list.pk)
    due = CallTask.objects.filter(
        agent=agent, status=CallTask.Status.OPEN, next_attempt_at__lte=now, call_list__in=open_lists
    ).order_by("next_attempt_at", "-priority", "pk")
    yield due
    fresh = CallTask.objects.filter(status=CallTask.Status.OPEN, next_attempt_at__isnull=True)
    lists = open_lists.filter(crew__agent=agent).order_by(F("due_date").asc(nulls_last=True), "pk")
    for list_id, split in lists.values_list("pk", "split"):
        # A split list deals every task to an agent; a shared one deals none until claimed.
        if split == CallList.Split.SHARED:
            yield fresh.filter(agent__isnull=True, call_list_id=list_id).order_by("-priority", "pk")
        else:
            yield fresh.filter(agent=agent, call_list_id=list_id).order_by("-priority", "pk")


def task_claim_next(*, agent, call_list: CallList | None = None, now=None) -> CallTask | None:
    """The task `agent` should call now, claimed for them alone; None when nothing is ready.

    A call the agent had started and not recorded comes back first. Otherwise the best ready task is taken
    with `UPDATE … WHERE status = 'open'`: of two agents racing for one task exactly one update matches, the
    other moves on to the next. On PostgreSQL `FOR UPDATE SKIP LOCKED` makes the loser skip rather than wait.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _claim_next_postgresql(agent=agent, call_list=call_list, now=now)
    current = CallTask.objects.filter(agent=agent, status=CallTask.Status.CALLING, call_list__status="open")
    if call_list is not None:
        current = current.filter(call_list=call_list)
    if task := current.order_by("claimed_at", "pk").first():
        return task
    for queue in _queues(agent, now=now, call_list=call_list):
        for _try in range(CLAIM_TRIES):
            with transaction.atomic():
                task = queue.first()
                if task is None:
                    break  # this queue is empty: try the next
                if _take(task, agent=agent, now=now):
                    return task
    return None


def _claim_next_postgresql(*, agent, call_list, now) -> CallTask | None:
    """The same queues as `_queues`, in two round trips of hand-written SQL (bench/outreach.py: the ORM's four
    compiled queries were most of a claim's time):

    1. the agent's unrecorded call, if any, and their open lists, most urgent first;
    2. one `UPDATE … WHERE id = COALESCE((due queue), (first list's queue), …) RETURNING …`, each queue a
       `SELECT id … LIMIT 1 FOR UPDATE SKIP LOCKED` read off its partial index. COALESCE evaluates a queue only
       when the ones before it are empty, so only the task taken is locked. One statement is its own
       transaction in autocommit: no BEGIN or COMMIT round trip.
    """
    tasks, lists, crew = CallTask._meta.db_table, CallList._meta.db_table, CallListAgent._meta.db_table
    opened, calling, shared = CallTask.Status.OPEN, CallTask.Status.CALLING, CallList.Split.SHARED
    only = "" if call_list is None else " AND l.id = %s"
    only_params = [] if call_list is None else [call_list.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            f"(SELECT 0, t.id, '', NULL::date FROM {tasks} t JOIN {lists} l ON l.id = t.call_list_id"
            f" WHERE t.agent_id = %s AND t.status = '{calling}' AND l.status = '{CallList.Status.OPEN}'{only}"
            f" ORDER BY t.claimed_at, t.id LIMIT 1)"
            f" UNION ALL (SELECT 1, l.id, l.split, l.due_date FROM {lists} l JOIN {crew} c ON c.call_list_id = l.id"
            f" WHERE c.agent_id = %s AND l.status = '{CallList.Status.OPEN}'{only})"
            f" ORDER BY 1, 4 NULLS LAST, 2",
            [agent.pk, *only_params, agent.pk, *only_params],
        )
        rows = cursor.fetchall()
        if rows and rows[0][0] == 0:
            return CallTask.objects.get(pk=rows[0][1])
        queues = [
            f"(SELECT id FROM {tasks} WHERE agent_id = %s AND status = '{opened}' AND next_attempt_at <= %s"
            f" AND call_list_id IN (SELECT l.id FROM {lists} l WHERE l.status = '{CallList.Status.OPEN}'{only})"
            f" ORDER BY next_attempt_at, priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
        ]
        params = [agent.pk, now, *only_params]
        fresh = f"status = '{opened}' AND next_attempt_at IS NULL"
        for _kind, list_id, split, _due in rows:
            if split == shared:  # a shared list deals no task until it is claimed
                queues.append(f"(SELECT id FROM {tasks} WHERE call_list_id = %s AND agent_id IS NULL AND {fresh}")
                params.append(list_id)
            else:
                queues.append(f"(SELECT id FROM {tasks} WHERE agent_id = %s AND call_list_id = %s AND {fresh}")
                params += [agent.pk, list_id]
            queues[-1] += " ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
        fields = CallTask._meta.concrete_fields
        cursor.execute(
            f"UPDATE {tasks} SET status = '{calling}', agent_id = %s, claimed_at = %s"
            f" WHERE id = COALESCE({', '.join(queues)}) AND status = '{opened}'"
            f" RETURNING {', '.join(field.column for field in fields)}",
            [agent.pk, now, *params],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    converters = connection.ops.get_db_converters
    values = []
    for field, value in zip(fields, row, strict=True):
        for converter in converters(field) + field.get_db_converters(connection):
            value = converter(value, field, connection)
        values.append(value)
    return CallTask.from_db(connection.alias, [field.attname for field in fields], values)


def _take(task: CallTask, *, agent, now) -> bool:
    taken = (
        CallTask.objects.filter(pk=task.pk, status=CallTask.Status.OPEN)
        .filter(Q(agent=agent) | Q(agent__isnull=True))
        .update(status=CallTask.Status.CALLING, agent=agent, claimed_at=now)
    )
    if taken:
        task.status, task.agent, task.claimed_at = CallTask.Status.CALLING, agent, now
    return bool(taken)


@transaction.atomic
def task_claim(*, task: CallTask, agent, now=None) -> CallTask:
    """Claim one given task (a call-back opened from the inbox, a task picked from the agent's list).

    Only the task's agent may, or any agent of the list for a task of the shared queue; a task already done
    or being called by someone else is refused.
    """
    now = now or timezone.now()
    task = CallTask.objects.select_for_update().select_related("call_list").get(pk=task.pk)
    if task.agent_id not in (None, agent.pk):
        raise PermissionDenied
    if task.agent_id is None and not task.call_list.crew.filter(agent=agent).exists():
        raise PermissionDenied
    if task.status == CallTask.Status.CALLING:
        return task
    if not task.call_list.is_open:
        raise ValidationError(_("This list is closed."))
    if task.status == CallTask.Status.DONE:
        raise ValidationError(_("This call is already recorded."))
    _take(task, agent=agent, now=now)
    return task
