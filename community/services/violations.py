"""Recording a violation, the removal its rule's limit asks for, and carrying that removal out."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Reminder
from members.models import Membership
from members.services import membership_end

from .. import rulebook
from ..models import Removal, Rule, Violation
from ..screenshots import screenshot_check


@transaction.atomic
def violation_record(
    *,
    membership: Membership,
    rule: Rule,
    by,
    note: str = "",
    screenshot=None,
    submission: str = "",
    now: dt.datetime | None = None,
) -> Violation:
    """Record that the member broke `rule` (one strike). When the member's strikes of that rule reach its limit,
    the group's owner gets a removal reminder (once per membership, whatever happens after).

    The strikes are counted under a lock on the membership's row, so two violations recorded at once are
    strikes 1 and 2, never 1 and 1. `submission` is the token of the form sent: sent again (a double click, a
    retry), it returns the violation it recorded the first time and records no second strike.
    """
    now = now or timezone.now()
    # Lock the membership's row only: the group's owner is an outer join PostgreSQL will not lock.
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("group__owner", "member")
        .get(pk=membership.pk)
    )
    if submission and (done := Violation.objects.filter(membership=membership, submission=submission).first()):
        return done
    if not membership.is_open:
        raise ValidationError(
            _("%(member)s is no longer in %(group)s.") % {"member": membership.member, "group": membership.group}
        )
    if membership.group.is_closed:
        # Read-only: the group page offers no changes to a closed group, nor does the URL behind it.
        raise ValidationError(
            _("%(group)s is closed (%(why)s): it is read-only, no strike is recorded there.")
            % {"group": membership.group, "why": membership.group.get_closure_display()}
        )
    if rule.group_id != membership.group_id:
        raise ValidationError(_("This rule is not a rule of %(group)s.") % {"group": membership.group})
    if not rule.takes_strikes:
        raise ValidationError(_("A nickname is fixed, not struck: see the nickname check."))
    number = Violation.objects.filter(membership=membership, rule=rule).count() + 1
    violation = Violation(
        membership=membership, rule=rule, number=number, note=note.strip(), recorded_by=by, recorded_at=now,
        submission=submission,
    )  # fmt: skip
    if screenshot:
        extension = screenshot_check(screenshot)
        # Named by the membership and what the file really is (a PNG sent as .jpg is kept as .png), never by
        # the uploader's file name.
        violation.screenshot.save(f"m{membership.pk}.{extension}", screenshot, save=False)
    violation.full_clean()
    violation.save()
    # Membership.strikes is what the roster shows: every strike of the member in this group, all rules.
    membership.strikes = Violation.objects.filter(membership=membership).count()
    membership.save(update_fields=["strikes"])
    if number >= rule.strike_limit:
        _removal_ask(membership=membership, rule=rule, strikes=number, now=now)
    return violation


def _removal_ask(*, membership: Membership, rule: Rule, strikes: int, now: dt.datetime) -> Removal:
    existing = Removal.objects.filter(membership=membership).first()
    if existing is not None:
        return existing
    reason = rulebook.removal_reason(strikes=strikes, rule_title=rule.title)
    member, group = membership.member, membership.group
    reminder, _created = Reminder.objects.get_or_create(
        key=f"community:removal:ms{membership.pk}",
        defaults={
            "group": group,
            "kind": Reminder.Kind.CUSTOM,
            # Reminder texts are what the owner acts on in the group: Chinese, as the playbooks' are.
            "title": f"移出群成员：{member}（{reason}）"[:200],
            "text": f"{member}（{member.store_name or member.external_id}）在{group.name}违规 {strikes} 次"
            f"（{rule.title}），已达上限。请在群里将其移出，然后点“已完成”：系统会记为“已移出”并保留原因。",
            "assignee": group.owner,
            "due_at": now,
            "next_attempt_at": now,
        },
    )
    return Removal.objects.create(membership=membership, rule=rule, reason=reason, reminder=reminder, created_at=now)


def removal_carry_out(*, reminder_id: int, status: str) -> Membership | None:
    """A removal reminder marked done: the member is removed with the reason kept. Skipped (the owner decided
    against it), or not a removal reminder: nothing. Rerunning changes nothing."""
    if status != Reminder.Status.DONE:
        return None
    removal = Removal.objects.select_related("membership", "reminder").filter(reminder_id=reminder_id).first()
    if removal is None:
        return None
    with transaction.atomic():
        at = removal.reminder.done_at or timezone.now()
        membership = membership_end(
            membership=removal.membership, status=Membership.Status.REMOVED, reason=removal.reason, at=at
        )
        if membership.status == Membership.Status.REMOVED and removal.removed_at is None:
            removal.removed_at = membership.left_at
            removal.save(update_fields=["removed_at"])
    return membership
