"""Reorganising a legacy group (the wizard of the legacy groups page), each action in one transaction:

- merge: every open membership moves to another group (a member already there is not added twice), and the
  legacy group closes as merged;
- move core: the group's core members (segment `core`, from the registered provider) move to a precise group;
  the others stay;
- dissolve: every open membership ends as left ("group dissolved"), and the group closes as dissolved.

A moved or ended membership is ended, never deleted, so the history stays; the legacy group's row stays, and
orders are not touched: each keeps the group it was attributed to. `legacy_plan` says what an action would do
(the preview) and refuses what cannot be done (a full target) before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import local_minute_text

from .. import segments
from ..models import Group, Membership
from ..signals import send_memberships_changed

MERGE, MOVE_CORE, DISSOLVE = "merge", "move_core", "dissolve"
ACTIONS = (MERGE, MOVE_CORE, DISSOLVE)


@dataclass
class LegacyPlan:
    """What an action on a legacy group does: memberships ending there, opening in the target, and the target's
    room before and after."""

    action: str
    group: Group
    target: Group | None = None
    ending: list[int] = field(default_factory=list)  # open membership ids of the legacy group that end
    opening: list[int] = field(default_factory=list)  # member ids that get a new membership in the target
    already_in_target: int = 0
    target_open: int = 0

    @property
    def target_room_after(self) -> int:
        return self.target.capacity - self.target_open - len(self.opening) if self.target else 0

    @property
    def closes_group(self) -> bool:
        return self.action in (MERGE, DISSOLVE)


def _reason(action: str, target: Group | None) -> str:
    if action == DISSOLVE:
        return _("group dissolved")
    if action == MERGE:
        return _("merged into %(group)s") % {"group": target}
    return _("core member moved to %(group)s") % {"group": target}


def legacy_plan(*, group: Group, action: str, target: Group | None = None) -> LegacyPlan:
    """The preview of `action` on the legacy `group`; ValidationError (by field: action, target) if it cannot
    be done. Call it inside the write's transaction, with both groups locked, to check what is written."""
    if action not in ACTIONS:
        raise ValidationError({"action": _("Choose merge, move the core members, or dissolve.")})
    if group.tier != Group.Tier.LEGACY:
        raise ValidationError(_("%(group)s is not a legacy group.") % {"group": group})
    if group.is_closed:
        raise ValidationError(_("%(group)s is already closed.") % {"group": group})
    memberships = Membership.objects.open().filter(group=group)
    if action == DISSOLVE:
        return LegacyPlan(action, group, ending=list(memberships.values_list("pk", flat=True)))
    if target is None:
        raise ValidationError({"target": _("Choose the group they move to.")})
    if target.pk == group.pk:
        raise ValidationError({"target": _("Choose another group than the legacy group itself.")})
    if not target.takes_new_members:
        from . import refusal_of_new_members

        raise ValidationError({"target": refusal_of_new_members(target)})
    if action == MOVE_CORE:
        if target.tier != Group.Tier.PRECISE:
            raise ValidationError({"target": _("Core members move to a precise group.")})
        try:
            core = segments.member_ids(segment="core", group=group)
        except segments.SegmentsUnavailable as error:
            raise ValidationError(_("Segments are not available: the core members cannot be found.")) from error
        memberships = memberships.filter(member_id__in=core)
    pairs = list(memberships.values_list("pk", "member_id"))
    in_target = set(
        Membership.objects.open().filter(group=target, member_id__in=[m for _pk, m in pairs])
        .values_list("member_id", flat=True)
    )  # fmt: skip
    plan = LegacyPlan(
        action, group, target,
        ending=[pk for pk, _m in pairs],
        opening=[m for _pk, m in pairs if m not in in_target],
        already_in_target=len(in_target),
        target_open=Membership.objects.open().filter(group=target).count(),
    )  # fmt: skip
    if plan.target_room_after < 0:
        raise ValidationError({
            "target": _(
                "%(group)s has room for %(room)s more members, %(needed)s would move in: choose a bigger group or "
                "raise its capacity first."
            ) % {"group": target, "room": target.capacity - plan.target_open, "needed": len(plan.opening)}
        })  # fmt: skip
    return plan


@transaction.atomic
def legacy_reorganise(*, group: Group, action: str, target: Group | None = None, at=None) -> LegacyPlan:
    """Carry out `action` on the legacy `group` (see the module): all of it, or nothing when it is refused."""
    at = at or timezone.now()
    ids = sorted({group.pk} | ({target.pk} if target else set()))
    locked = {g.pk: g for g in Group.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    group, target = locked[group.pk], (locked[target.pk] if target else None)
    plan = legacy_plan(group=group, action=action, target=target)
    ending = Membership.objects.filter(pk__in=plan.ending)
    latest = ending.aggregate(latest=Max("joined_at"))["latest"]
    if latest and latest > at:
        raise ValidationError(
            _("A member joined after %(at)s: they cannot have left before.") % {"at": local_minute_text(at)}
        )
    ending.update(status=Membership.Status.LEFT, left_at=at, reason=_reason(action, target)[:200])
    opened = Membership.objects.bulk_create(
        Membership(member_id=member_id, group=target, status=Membership.Status.ACTIVE, joined_at=at)
        for member_id in plan.opening
    )
    if plan.closes_group:
        from .groups import group_close

        closure = Group.Closure.MERGED if action == MERGE else Group.Closure.DISSOLVED
        plan.group = group_close(group=group, closure=closure, at=at)
    send_memberships_changed(joined=[m.pk for m in opened], ended=plan.ending)
    return plan
