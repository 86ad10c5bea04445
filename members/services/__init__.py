"""Writes of the members app that are more than a form save. Each is one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import local_date

from ..filters import MemberFilter
from ..models import Group, Member, Membership, SavedSelection
from ..permissions import DELETE_ANY_SELECTION
from ..selectors import invitation_order
from ..signals import send_memberships_changed


def selection_query(query: str) -> str:
    """The members-list query string as a selection keeps it: only the filter's own fields (no page), checked.

    Raises ValidationError naming the field and the reason when a value is not a valid filter.
    """
    params = QueryDict(query)
    kept = QueryDict(mutable=True)
    for key in MemberFilter.base_filters:
        values = [v for v in params.getlist(key) if v.strip()]
        if values:
            kept.setlist(key, values)
    filterset = MemberFilter(kept, queryset=Member.objects.none())
    if not filterset.is_valid():
        fields = filterset.form.fields
        problems = [f"{fields[name].label}: {' '.join(errors)}" for name, errors in filterset.errors.items()]
        raise ValidationError(_("This filter cannot be saved: %(problems)s") % {"problems": "; ".join(problems)})
    if not any(key != "sort" for key in kept):
        raise ValidationError(_("Choose at least one filter before saving a selection."))
    return kept.urlencode()


@transaction.atomic
def selection_save(*, name: str, query: str, by) -> SavedSelection:
    """Save the filter `query` under `name` (a name already taken is an error, not an overwrite)."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the selection a name."))
    query = selection_query(query)
    try:
        with transaction.atomic():
            return SavedSelection.objects.create(name=name, query=query, created_by=by)
    except IntegrityError as error:
        raise ValidationError(_("A selection named “%(name)s” already exists.") % {"name": name}) from error


def can_delete_selection(user, selection: SavedSelection) -> bool:
    own = selection.created_by_id is not None and selection.created_by_id == user.pk
    return own or user.has_perm(DELETE_ANY_SELECTION)


@transaction.atomic
def selection_delete(*, selection: SavedSelection, by) -> None:
    if not can_delete_selection(by, selection):
        raise PermissionDenied
    selection.delete()


def refusal_of_new_members(group: Group) -> str:
    """Why `group` takes no new members, in a sentence for the operator."""
    if group.is_closed:
        return _("%(group)s is closed (%(why)s): it takes no new members.") % {
            "group": group, "why": group.get_closure_display() or _("read-only"),
        }  # fmt: skip
    if group.flash_has_ended:
        return _("%(group)s is a flash group that ended on %(day)s: it takes no new members.") % {
            "group": group, "day": group.flash_ends_on.isoformat(),
        }  # fmt: skip
    return _("%(group)s is a legacy group: it takes no new members.") % {"group": group}


class GroupsFull(ValidationError):
    """No group of the pool has room for one more member."""


@transaction.atomic
def membership_invite(*, member: Member, groups: Sequence[Group]) -> Membership:
    """Invite `member` to the first of `groups` with room, or return their open membership in one.

    The groups are tried in `selectors.invitation_order` (the member's own region first). Room is capacity
    minus open (invited or active) memberships, counted under a lock on the group's row, so two invitations at
    once cannot both take a group's last place. Legacy groups take no new members. Raises GroupsFull, saying
    how full each group is, when none has room.
    """
    if not groups:
        raise GroupsFull(_("No group to invite to: add a group to the list."))
    ids = [group.pk for group in groups]
    existing = Membership.objects.open().filter(member=member, group_id__in=ids).select_related("group").first()
    if existing is not None:
        return existing
    locked = {group.pk: group for group in Group.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    fill = []
    for group in invitation_order(member, [locked[pk] for pk in ids]):
        taken = Membership.objects.open().filter(group=group).count()
        if group.takes_new_members and taken < group.capacity:
            return Membership.objects.create(member=member, group=group, status=Membership.Status.INVITED)
        fill.append(f"{group.name} {taken}/{group.capacity}")
    raise GroupsFull(
        _("Every group of the list is full (%(fill)s): an operator must add a group with room.")
        % {"fill": "，".join(fill)}
    )


@transaction.atomic
def membership_mark_joined(*, membership: Membership, at=None) -> Membership:
    """An invited member joined the group (the members import does the same from the file)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status == Membership.Status.INVITED:
        membership.status = Membership.Status.ACTIVE
        membership.joined_at = at or timezone.now()
        membership.save(update_fields=["status", "joined_at"])
        send_memberships_changed(joined=[membership.pk])
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, status: str, reason: str = "", at=None) -> Membership:
    """The member left the group, or was removed from it (`status` left or removed), with the reason kept.

    Ending an already ended membership changes nothing (a second click, a file imported twice). An invited
    member who never joined can be ended too (the invitation was declined): their joined_at stays empty.
    """
    if status not in (Membership.Status.LEFT, Membership.Status.REMOVED):
        raise ValueError(f"a membership ends as left or removed, not {status!r}")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_open:
        return membership
    at = at or timezone.now()
    if membership.joined_at and at < membership.joined_at:
        raise ValidationError(
            _("%(member)s joined %(group)s on %(joined)s: they cannot have left before.")
            % {"member": membership.member, "group": membership.group, "joined": local_date(membership.joined_at)}
        )
    membership.status, membership.left_at, membership.reason = status, at, reason[:200]
    membership.save(update_fields=["status", "left_at", "reason"])
    send_memberships_changed(ended=[membership.pk])
    return membership


@transaction.atomic
def membership_move(*, membership: Membership, to: Group, at=None) -> Membership:
    """Move a member to another group: the old membership ends as left ("moved to …"), a new active one opens
    in `to`, within its capacity (GroupsFull otherwise, and nothing is changed). Returns the new membership."""
    at = at or timezone.now()
    group = Group.objects.select_for_update().get(pk=to.pk)
    # The membership as it is now, locked: the caller's copy may be stale (a second click, another tab that moved
    # the member elsewhere meanwhile), and a membership already ended must not open another one.
    membership = Membership.objects.select_for_update().select_related("member", "group").get(pk=membership.pk)
    if not membership.is_open:
        raise ValidationError(
            _("%(member)s is no longer in %(group)s.") % {"member": membership.member, "group": membership.group}
        )
    if group.pk == membership.group_id:
        raise ValidationError(_("%(member)s is already in %(group)s.") % {"member": membership.member, "group": group})
    if not group.takes_new_members:
        raise ValidationError(refusal_of_new_members(group))
    existing = Membership.objects.open().filter(member_id=membership.member_id, group=group).first()
    taken = Membership.objects.open().filter(group=group).count()
    if existing is None and taken >= group.capacity:
        raise GroupsFull(_("%(group)s is full (%(taken)s/%(capacity)s).") % {
            "group": group, "taken": taken, "capacity": group.capacity,
        })  # fmt: skip
    membership_end(
        membership=membership, status=Membership.Status.LEFT, reason=_("moved to %(group)s") % {"group": group}, at=at
    )
    if existing is not None:
        return existing
    moved = Membership.objects.create(
        member_id=membership.member_id, group=group, status=Membership.Status.ACTIVE, joined_at=at,
        group_nickname=membership.group_nickname,
    )  # fmt: skip
    send_memberships_changed(joined=[moved.pk])
    return moved


# The group lifecycle and the legacy reorganisation live beside: imported last, they use what is above.
from .groups import flash_groups_close, group_close, membership_promote, promotion_groups  # noqa: E402
from .reorganise import LegacyPlan, legacy_plan, legacy_reorganise  # noqa: E402

__all__ = [
    "GroupsFull",
    "LegacyPlan",
    "can_delete_selection",
    "flash_groups_close",
    "group_close",
    "promotion_groups",
    "legacy_plan",
    "legacy_reorganise",
    "membership_end",
    "membership_invite",
    "membership_mark_joined",
    "membership_move",
    "membership_promote",
    "refusal_of_new_members",
    "selection_delete",
    "selection_query",
    "selection_save",
]
