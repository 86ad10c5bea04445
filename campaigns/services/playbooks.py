"""Turning playbooks into reminders: applying, copying and extending them, and closing reminders."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Group

from .. import playbooks as pb
from ..checks import campaign_groups_check
from ..models import Campaign, Playbook, PlaybookAssignment, PlaybookStep, Reminder
from ..signals import send_reminder_completed


class PlaybookNeedsCampaign(ValidationError):
    pass


def _anchor_for(step: PlaybookStep, campaign: Campaign | None, group: Group, starts_at: dt.datetime | None):
    if step.anchor == PlaybookStep.Anchor.CAMPAIGN_START:
        return campaign.starts_at
    if step.anchor == PlaybookStep.Anchor.CAMPAIGN_END:
        return campaign.ends_at
    if step.anchor == PlaybookStep.Anchor.GROUP_CREATED:
        return group.created_at
    # Daily: from the campaign's start day, or from when the group took the playbook on.
    return campaign.starts_at if campaign is not None else starts_at


def _assignee_for(step: PlaybookStep, campaign: Campaign | None, group: Group, by):
    if step.assignee_role == PlaybookStep.AssigneeRole.USER and step.assignee_id:
        return step.assignee
    if step.assignee_role == PlaybookStep.AssigneeRole.CAMPAIGN_OWNER and campaign and campaign.owner_id:
        return campaign.owner
    return group.owner or (campaign.owner if campaign else None) or by


def _reminder_for(step, campaign, group, occurrence, due_at, context, *, by) -> Reminder:
    values = dict(context)
    if pb.uses_group_context(step.title, step.text):  # a query per group: only when the step asks for it
        values.update(pb.group_context(group))
    values["group_name"] = group.name
    values["owner"] = group.owner.get_full_name() or group.owner.username if group.owner else ""
    values["amount"] = pb.money_text(step.red_packet_amount)
    values["count"] = str(step.red_packet_count or "")
    values["day"] = str(occurrence + 1 + (step.offset_days if step.anchor == PlaybookStep.Anchor.GROUP_CREATED else 0))
    if campaign is not None:
        values["minutes_left"] = str(max(0, int((campaign.starts_at - due_at).total_seconds() // 60)))
    return Reminder(
        key=f"step:{step.pk}:c{campaign.pk if campaign else 0}:g{group.pk}:{occurrence}",
        campaign=campaign,
        group=group,
        step=step,
        occurrence=occurrence,
        kind=step.kind,
        title=pb.render(step.title, values)[:200],
        text=pb.render(step.text, values),
        red_packet_amount=step.red_packet_amount if step.kind == PlaybookStep.Kind.RED_PACKET else None,
        red_packet_count=step.red_packet_count if step.kind == PlaybookStep.Kind.RED_PACKET else None,
        red_packet_name=pb.render(step.red_packet_name, values)[:100],
        assignee=_assignee_for(step, campaign, group, by),
        channel=step.channel,
        due_at=due_at,
        next_attempt_at=due_at,
    )


@transaction.atomic
def playbook_apply(
    *,
    playbook: Playbook,
    groups: Iterable[Group],
    campaign: Campaign | None = None,
    by=None,
    now: dt.datetime | None = None,
    starts_at: dt.datetime | None = None,
    is_copy: bool = False,
) -> int:
    """Turn the playbook's steps into reminders for each group (and the campaign); returns how many are new.

    Applying twice creates nothing new: every reminder has a unique key (step, campaign, group, occurrence).
    Occurrences already in the past when applied are not created, so applying late does not flood the inbox.
    """
    now = now or timezone.now()
    steps = list(playbook.steps.select_related("assignee"))
    if campaign is None and any(step.anchor in PlaybookStep.CAMPAIGN_ANCHORS for step in steps):
        raise PlaybookNeedsCampaign(_("This playbook has steps timed from a campaign: choose the campaign."))
    groups = list(Group.objects.filter(pk__in=[group.pk for group in groups]).select_related("owner"))
    if campaign is not None:
        in_campaign = set(campaign.groups.values_list("pk", flat=True))
        joining = [group for group in groups if group.pk not in in_campaign]
        if joining:
            campaign_groups_check(joining)
            campaign.groups.add(*joining)
    context = pb.campaign_context(campaign)
    reminders = []
    for group in groups:
        assignment, _created = PlaybookAssignment.objects.get_or_create(
            playbook=playbook,
            group=group,
            campaign=campaign,
            defaults={"starts_at": starts_at or now, "created_by": by, "is_copy": is_copy},
        )
        for step in steps:
            anchor = _anchor_for(step, campaign, group, assignment.starts_at)
            for occurrence, due_at in pb.occurrences(step, anchor):
                if due_at < now:
                    continue
                reminders.append(_reminder_for(step, campaign, group, occurrence, due_at, context, by=by))
    before = Reminder.objects.filter(key__in=[reminder.key for reminder in reminders]).count()
    Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=500)
    return len(reminders) - before


@transaction.atomic
def playbook_copy_code(playbook: Playbook) -> str:
    """A free code for a copy of `playbook`: 'weekly-warm-up-copy', then '…-copy-2', '…-copy-3'."""
    stem = f"{playbook.code[:40]}-copy"
    taken = set(Playbook.objects.filter(code__startswith=stem).values_list("code", flat=True))
    code, number = stem, 1
    while code in taken:
        number += 1
        code = f"{stem}-{number}"
    return code


def playbook_copy(*, playbook: Playbook, code: str, name: str, by=None) -> Playbook:
    """Copy a playbook with its steps, to adapt it for other groups (复制); the copy remembers its origin."""
    copy = Playbook(code=code, name=name, description=playbook.description, copied_from=playbook, created_by=by)
    copy.full_clean()
    copy.save()
    steps = list(playbook.steps.all())
    for step in steps:
        step.pk = None
        step.playbook = copy
    PlaybookStep.objects.bulk_create(steps)
    return copy


def playbook_step_save(step: PlaybookStep) -> PlaybookStep:
    """Validate a step (anchor, red packet, placeholders) and save it."""
    step.full_clean()
    step.save()
    return step


def playbook_assignments_extend(*, now: dt.datetime | None = None, horizon_days: int = 7) -> int:
    """Keep group-level daily playbooks (no campaign) scheduled `horizon_days` ahead; rerunning is harmless."""
    now = now or timezone.now()
    created = 0
    assignments = PlaybookAssignment.objects.filter(is_active=True, campaign__isnull=True).select_related(
        "playbook", "group__owner"
    )
    for assignment in assignments:
        daily = [step for step in assignment.playbook.steps.all() if step.anchor == PlaybookStep.Anchor.DAILY]
        if not daily:
            continue
        reminders = []
        days_since = (timezone.localtime(now).date() - timezone.localtime(assignment.starts_at).date()).days
        for step in daily:
            for occurrence in range(max(0, days_since), days_since + horizon_days):
                day = timezone.localtime(assignment.starts_at).date() + dt.timedelta(days=occurrence)
                due_at = dt.datetime.combine(day, step.at_time, tzinfo=timezone.get_current_timezone())
                if due_at >= now:
                    reminders.append(_reminder_for(step, None, assignment.group, occurrence, due_at, {}, by=None))
        before = Reminder.objects.filter(key__in=[reminder.key for reminder in reminders]).count()
        Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=500)
        created += len(reminders) - before
    return created


def reminders_cancel(*, campaign: Campaign, group_ids: Iterable[int]) -> int:
    """Cancel the open reminders of a campaign in the given groups (they left the campaign); returns how many."""
    return Reminder.objects.filter(
        campaign=campaign,
        group_id__in=list(group_ids),
        status__in=[Reminder.Status.PENDING, Reminder.Status.SENT, Reminder.Status.FAILED],
    ).update(status=Reminder.Status.CANCELLED)


def reminder_complete(*, reminder: Reminder, by, skipped: bool = False, now: dt.datetime | None = None) -> bool:
    """Mark a reminder done (or skipped) by `by`; False when it was already closed by someone else.

    PermissionDenied when `by` may not close it (`ReminderQuerySet.closable_by`: not theirs, not their group's
    and they oversee no groups, or not due yet). The check and the write are one UPDATE, so a reminder
    reassigned in between is not closed by its former assignee.
    """
    now = now or timezone.now()
    status = Reminder.Status.SKIPPED if skipped else Reminder.Status.DONE
    closable = Reminder.objects.closable_by(by, now=now).filter(pk=reminder.pk)
    updated = closable.filter(status__in=Reminder.OPEN_STATUSES).update(status=status, done_at=now, done_by=by)
    if not updated and not closable.exists():
        if reminder.due_at > now:
            raise PermissionDenied(_("This reminder is not due yet: it has not been sent, so it cannot be closed."))
        raise PermissionDenied(_("Only its assignee, the owner of its group or a manager may close this reminder."))
    reminder.refresh_from_db(fields=["status", "done_at", "done_by"])
    if updated:
        send_reminder_completed(reminder_id=reminder.pk, status=status, by_id=getattr(by, "pk", None))
    return updated == 1
