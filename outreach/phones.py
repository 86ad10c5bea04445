"""Whose full phone number a user may see, and the record of every time one is shown or dialled.

The one home of the rule: an agent sees the number of the member on the task they are calling, and only
there; admins (members.view_phone) see every number (the base case, `members.selectors.can_see_phone`);
everyone else sees it masked. Every full number shown is written to the audit (PhoneReveal) in the same
request: here directly, on the members' pages through the `members.signals.phone_shown` signal.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from core.access import can
from members.phones import mask_phone, national_digits
from members.selectors import can_see_phone

from .models import CallTask, PhoneReveal
from .permissions import WORK_TASKS


def can_see_task_phone(user, task: CallTask) -> bool:
    """The agent calling this task, while they are calling it, on an open list."""
    return (
        can(user, WORK_TASKS)
        and task.agent_id == user.pk
        and task.status == CallTask.Status.CALLING
        and task.call_list.is_open
    )


def task_phone(user, task: CallTask, *, action: str = PhoneReveal.Action.VIEW) -> tuple[str, bool]:
    """(the number as `user` may see it on this task, whether it is the full number); a full one is audited."""
    member = task.member
    if not member.phone:
        return "", False
    if can_see_task_phone(user, task) or can_see_phone(user, member):
        PhoneReveal.objects.create(user=user, member=member, task=task, action=action)
        return national_digits(member.phone), True
    return mask_phone(member.phone), False


def record_dial(user, task: CallTask) -> None:
    """The agent tapped the `tel:` link: allowed only where the number was shown in full."""
    if not can_see_task_phone(user, task):
        raise PermissionDenied
    PhoneReveal.objects.create(user=user, member=task.member, task=task, action=PhoneReveal.Action.DIAL)
