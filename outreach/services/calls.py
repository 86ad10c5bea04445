"""Recording a call: the outcome, the invitation it leads to, the call-back it promises, the member's tags."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Reminder
from members.models import Membership, Tag
from members.services import membership_invite, membership_mark_joined

from ..models import CallAttempt, CallTask

MAX_CALLBACK_DAYS = 90
MAX_NOTES = 2000


@transaction.atomic
def call_record(
    *, task: CallTask, agent, outcome: str, notes: str = "", callback_at=None, tags_add=(), tags_remove=(), now=None
) -> CallAttempt:
    """Record the call `agent` just made on `task` (which they must be calling), all or nothing.

    accepted: the member is invited to the first group of the list with room (GroupsFull otherwise, and
    nothing is recorded, so the agent can choose a call-back instead); call back: the task returns to the
    agent at `callback_at`, with a reminder in their inbox; no answer: tried again later, up to
    OUTREACH_MAX_ATTEMPTS calls; declined, wrong number: done.
    """
    now = now or timezone.now()
    task = CallTask.objects.select_for_update().select_related("call_list", "member").get(pk=task.pk)
    if task.agent_id != agent.pk:
        raise PermissionDenied
    if task.status != CallTask.Status.CALLING:
        raise ValidationError(_("This call is not open: it was recorded already or handed to someone else."))
    if outcome not in CallTask.Outcome.values:
        raise ValidationError({"outcome": _("Choose how the call went.")})
    notes = notes.strip()
    if len(notes) > MAX_NOTES:
        raise ValidationError({"notes": _("At most %(max)s characters.") % {"max": MAX_NOTES}})
    if outcome == CallTask.Outcome.CALLBACK:
        if callback_at is None:
            raise ValidationError({"callback_at": _("Say when to call back.")})
        if not now < callback_at <= now + timedelta(days=MAX_CALLBACK_DAYS):
            raise ValidationError({"callback_at": _("A time in the next %(days)s days.") % {"days": MAX_CALLBACK_DAYS}})
    else:
        callback_at = None

    # The call-back this call answers (if any) is done: the inbox must not ask for it again.
    Reminder.objects.open().filter(key__startswith=f"outreach:callback:{task.pk}:").update(
        status=Reminder.Status.DONE, done_at=now, done_by=agent
    )
    attempt = CallAttempt.objects.create(
        task=task, agent=agent, outcome=outcome, notes=notes, callback_at=callback_at, at=now
    )
    task.attempts += 1
    task.outcome = outcome
    task.claimed_at = None
    if notes:
        task.notes = notes
    task.status, task.next_attempt_at = CallTask.Status.DONE, None
    if outcome == CallTask.Outcome.ACCEPTED:
        membership = membership_invite(member=task.member, groups=[p.group for p in task.call_list.pool.all()])
        task.invited_to = membership.group
    elif outcome == CallTask.Outcome.CALLBACK:
        task.status, task.next_attempt_at = CallTask.Status.OPEN, callback_at
        _callback_reminder(task, attempt)
    elif outcome == CallTask.Outcome.NO_ANSWER and task.attempts < settings.OUTREACH_MAX_ATTEMPTS:
        task.status = CallTask.Status.OPEN
        task.next_attempt_at = now + timedelta(hours=settings.OUTREACH_RETRY_HOURS)
    if task.status == CallTask.Status.DONE:
        task.done_at = now
    task.save()
    _retag(task.member, tags_add, tags_remove)
    return attempt


def _callback_reminder(task: CallTask, attempt: CallAttempt) -> None:
    member = task.member
    Reminder.objects.create(
        key=f"outreach:callback:{task.pk}:{attempt.pk}",
        kind=Reminder.Kind.CUSTOM,
        title=_("Call back %(name)s") % {"name": member.name or member.external_id},
        text=_("%(list)s · %(store)s. %(notes)s")
        % {"list": task.call_list.name, "store": member.store_name or "—", "notes": attempt.notes},
        assignee_id=task.agent_id,
        due_at=attempt.callback_at,
        next_attempt_at=attempt.callback_at,
    )


def _retag(member, tags_add, tags_remove) -> None:
    add = [tag.pk if isinstance(tag, Tag) else int(tag) for tag in tags_add]
    remove = [tag.pk if isinstance(tag, Tag) else int(tag) for tag in tags_remove]
    if set(add) & set(remove):
        raise ValidationError({"tags": _("A tag cannot be added and removed at once.")})
    if add:
        member.tags.add(*Tag.objects.filter(pk__in=add))
    if remove:
        member.tags.remove(*Tag.objects.filter(pk__in=remove))


@transaction.atomic
def task_mark_joined(*, task: CallTask, by, at=None) -> Membership | None:
    """The invited member joined the group the call invited them to (the members import does it too)."""
    if task.invited_to_id is None:
        raise ValidationError(_("This call invited no one."))
    membership = Membership.objects.open().filter(member=task.member_id, group=task.invited_to_id).first()
    if membership is None:
        raise ValidationError(_("The invitation is no longer open: the member left or was removed."))
    return membership_mark_joined(membership=membership, at=at)
