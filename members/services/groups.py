"""A group's life after its creation: closing (a flash group past its end date, a dissolved or merged legacy
group) and promoting a member into a super-user (KOC) group. Each write is one transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import local_date, local_midnight

from ..models import Group, Member, Membership
from ..signals import send_memberships_changed


@transaction.atomic
def group_close(*, group: Group, closure: str, at=None) -> Group:
    """Make `group` read-only (no new members, no campaigns); its memberships and orders stay as they are.
    Closing a closed group changes nothing."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.closed_at is None:
        group.closed_at, group.closure = at or timezone.now(), closure
        group.save(update_fields=["closed_at", "closure", "updated_at"])
    return group


def flash_groups_close(*, now=None) -> list[int]:
    """Close every open flash group whose end date has passed in the organisation's zone; the ids closed.

    A flash group runs through its end date and closes at the midnight after it, which is the `closed_at`
    it gets even when this runs later (the worker was down): run twice, it closes nothing more.
    """
    now = now or timezone.now()
    closed = []
    for group in Group.objects.flash_due_to_close(local_date(now)).order_by("pk"):
        ended = local_midnight(group.flash_ends_on + dt.timedelta(days=1))
        group_close(group=group, closure=Group.Closure.FLASH_ENDED, at=min(ended, now))
        closed.append(group.pk)
    return closed


def promotion_groups():
    """Super-user (KOC) groups a member may be promoted into, with `open_count` annotated, by code."""
    return (
        Group.objects.open()
        .filter(tier=Group.Tier.SUPER_USER)
        .annotate(open_count=Count("memberships", filter=Q(memberships__status__in=Membership.OPEN_STATUSES)))
        .order_by("code")
    )


@transaction.atomic
def membership_promote(*, member: Member, group: Group, at=None) -> Membership:
    """Open an active membership of `member` in the super-user group `group`; their other memberships stay.

    Refused (ValidationError, nothing written) when the group is not an open super-user group, already has
    the member, or is full (counted under a lock on its row, as invitations are).
    """
    from . import GroupsFull, refusal_of_new_members

    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.tier != Group.Tier.SUPER_USER:
        raise ValidationError(_("%(group)s is not a super-user group.") % {"group": group})
    if not group.takes_new_members:
        raise ValidationError(refusal_of_new_members(group))
    if Membership.objects.open().filter(member=member, group=group).exists():
        raise ValidationError(_("%(member)s is already in %(group)s.") % {"member": member, "group": group})
    taken = Membership.objects.open().filter(group=group).count()
    if taken >= group.capacity:
        raise GroupsFull(_("%(group)s is full (%(taken)s/%(capacity)s).") % {
            "group": group, "taken": taken, "capacity": group.capacity,
        })  # fmt: skip
    membership = Membership.objects.create(
        member=member, group=group, status=Membership.Status.ACTIVE, joined_at=at or timezone.now()
    )
    send_memberships_changed(joined=[membership.pk])
    return membership
