"""Writes of the members app that are more than a form save. Each is one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from .filters import MemberFilter
from .models import Member, SavedSelection
from .permissions import DELETE_ANY_SELECTION


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
