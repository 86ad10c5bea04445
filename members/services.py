"""Writes of the members app that are more than a form save. Each is one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from .filters import MemberFilter
from .models import Group, Member, Membership, SavedSelection
from .permissions import DELETE_ANY_SELECTION
from .selectors import invitation_order


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
    return membership
