"""Claiming the next task: the one place where two agents could collide, so it is a guarded UPDATE."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import CallList, CallTask

CLAIM_TRIES = 5


def _queue(agent, *, now, call_list=None):
    """The agent's ready tasks, then the shared queue of the lists they work on, best first: a call-back or a
    retry whose time has come before anything else, then by expected value."""
    tasks = CallTask.objects.ready(now=now).filter(call_list__status=CallList.Status.OPEN)
    tasks = tasks.filter(Q(agent=agent) | Q(agent__isnull=True, call_list__crew__agent=agent))
    if call_list is not None:
        tasks = tasks.filter(call_list=call_list)
    return tasks.order_by(F("next_attempt_at").asc(nulls_last=True), F("priority").desc(nulls_last=True), "pk")


def task_claim_next(*, agent, call_list: CallList | None = None, now=None) -> CallTask | None:
    """The task `agent` should call now, claimed for them alone; None when nothing is ready.

    A call the agent had started and not recorded comes back first. Otherwise the best ready task is taken
    with `UPDATE … WHERE status = 'open'`: of two agents racing for one task exactly one update matches, the
    other moves on to the next. On PostgreSQL `FOR UPDATE SKIP LOCKED` makes the loser skip rather than wait.
    """
    now = now or timezone.now()
    current = CallTask.objects.filter(agent=agent, status=CallTask.Status.CALLING, call_list__status="open")
    if call_list is not None:
        current = current.filter(call_list=call_list)
    if task := current.order_by("claimed_at", "pk").first():
        return task
    for _try in range(CLAIM_TRIES):
        with transaction.atomic():
            candidate = _queue(agent, now=now, call_list=call_list).select_for_update(skip_locked=True, of=("self",))
            task = candidate.first()
            if task is None:
                return None
            if _take(task, agent=agent, now=now):
                return task
    return None


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
