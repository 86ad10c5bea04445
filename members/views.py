"""Members and groups pages: lists with filters (htmx swaps the results), and details. Thin: access check,
a selector, render. Phone numbers reach templates only through `phone_for` (the `phone` template filter)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.access import can, require_perms

from . import panels, segments, selections, selectors, services
from .filters import GroupFilter, MemberFilter
from .forms import PromoteForm
from .models import Group, Member, SavedSelection
from .permissions import (
    ADD_GROUP,
    ADD_MEMBERSHIPS,
    ADD_SELECTION,
    CHANGE_GROUP,
    CHANGE_MEMBERSHIPS,
    VIEW_GROUPS,
    VIEW_MEMBERS,
    VIEW_MEMBERSHIPS,
    VIEW_SELECTIONS,
)

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _wants_partial(request) -> bool:
    """An htmx request from the page itself gets only the results; a history restore needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


def _render_list(request, *, page_template: str, partial_template: str, context: dict):
    partial = _wants_partial(request)
    # A fragment replaces only the results: it says what was refused, which the page says beside each field.
    response = render(request, partial_template if partial else page_template, {**context, "partial": partial})
    # The same URL answers a page or a fragment: caches must key on the htmx header.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _attach_segments(members, memberships_of) -> None:
    """Set `segment` and `segment_label` on each open membership: the member's segment in that group now."""
    found = segments.of_members(m.pk for m in members)
    labels = segments.labels() if found else {}
    for member in members:
        for membership in memberships_of(member):
            membership.segment = found.get(member.pk, {}).get(membership.group_id)
            membership.segment_label = labels.get(membership.segment, "")


@require_perms(VIEW_MEMBERS)
def member_list(request):
    filterset = MemberFilter(request.GET or None, queryset=selectors.member_list(user=request.user), request=request)
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = _page(request, queryset)
    _attach_segments(page.object_list, lambda m: m.open_memberships)
    context = {
        "filter": filterset,
        "page": page,
        "members": page.object_list,
        "query": _query_without_page(request),
        "is_filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
        "can_save_selection": can(request.user, ADD_SELECTION),
        "selections": SavedSelection.objects.all()[:20] if can(request.user, VIEW_SELECTIONS) else [],
    }
    return _render_list(
        request,
        page_template="members/member_list.html",
        partial_template="members/partials/_member_results.html",
        context=context,
    )


@require_perms(VIEW_MEMBERS)
def member_detail(request, pk: int):
    try:
        member = selectors.member_get(pk=pk)
    except Member.DoesNotExist as exc:
        raise Http404 from exc
    _attach_segments([member], lambda m: [ms for ms in m.all_memberships if ms.is_open])
    customer_state = segments.customer_of_members([member.pk]).get(member.pk)
    context = {
        "member": member,
        "customer_state": customer_state,
        "customer_state_label": segments.labels().get(customer_state, ""),
        "memberships": member.all_memberships,
        "referrals": selectors.member_referrals(member=member),
        "panels": panels.panels_for("member", member, request.user),
        "can_view_groups": can(request.user, VIEW_GROUPS),
        "promote_form": _promote_form(member) if can(request.user, ADD_MEMBERSHIPS) else None,
    }
    return render(request, "members/member_detail.html", context)


def _promote_form(member: Member) -> PromoteForm:
    """The super-user groups with room that the member is not in yet (an empty choice: none has room)."""
    groups = [g for g in services.promotion_groups() if g.open_count < g.capacity]
    inside = {ms.group_id for ms in member.all_memberships if ms.is_open}
    ids = [g.pk for g in groups if g.pk not in inside]
    return PromoteForm(groups=services.promotion_groups().filter(pk__in=ids))


@require_perms(VIEW_GROUPS)
def group_list(request):
    filterset = GroupFilter(request.GET or None, queryset=selectors.group_list(user=request.user), request=request)
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = _page(request, queryset)
    flags = panels.group_flags_for(page.object_list, request.user)
    for group in page.object_list:
        group.flags = flags.get(group.pk, [])
    context = {
        "filter": filterset,
        "page": page,
        "groups": page.object_list,
        "query": _query_without_page(request),
        "is_filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
        "can_add_group": can(request.user, ADD_GROUP),
        "can_reorganise": can(request.user, CHANGE_GROUP, CHANGE_MEMBERSHIPS),
    }
    return _render_list(
        request,
        page_template="members/group_list.html",
        partial_template="members/partials/_group_results.html",
        context=context,
    )


ROSTER_TABS = (selectors.ROSTER_OPEN, selectors.ROSTER_GONE, selectors.ROSTER_ALL)


@require_perms(VIEW_GROUPS)
def group_detail(request, pk: int):
    try:
        group = selectors.group_get(pk=pk)
    except Group.DoesNotExist as exc:
        raise Http404 from exc
    can_view_roster = can(request.user, VIEW_MEMBERSHIPS, VIEW_MEMBERS)
    which = request.GET.get("show", selectors.ROSTER_OPEN)
    if which not in ROSTER_TABS:
        which = selectors.ROSTER_OPEN
    roster = _page(request, selectors.group_roster(group=group, which=which)) if can_view_roster else None
    context = {
        "group": group,
        "roster": roster,
        "show": which,
        "query": _query_without_page(request),
        "can_view_roster": can_view_roster,
        "can_change_group": can(request.user, CHANGE_GROUP),
        # A closed group is read-only: its roster offers no changes.
        "can_change_memberships": can(request.user, CHANGE_MEMBERSHIPS) and not group.is_closed,
    }
    if can_view_roster and _wants_partial(request):
        response = render(request, "members/partials/_group_roster.html", context)
        patch_vary_headers(response, ("HX-Request",))
        return response
    context["panels"] = panels.panels_for("group", group, request.user)
    response = render(request, "members/group_detail.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_perms(VIEW_MEMBERS, VIEW_SELECTIONS)
def selection_list(request):
    rows = []
    regions = selectors.region_choices()
    for selection in SavedSelection.objects.select_related("created_by"):
        filterset = selections.selection_filter(selection, user=request.user, regions=regions)
        rows.append(
            {
                "selection": selection,
                "summary": selections.filter_summary(filterset),
                "count": filterset.qs.count() if filterset.is_valid() else None,
                "can_delete": services.can_delete_selection(request.user, selection),
            }
        )
    return render(request, "members/selection_list.html", {"rows": rows})


@require_POST
@require_perms(VIEW_MEMBERS, ADD_SELECTION)
def selection_create(request):
    query = request.POST.get("query", "")
    try:
        selection = services.selection_save(name=request.POST.get("name", ""), query=query, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{reverse('members:member-list')}?{query}")
    messages.success(request, _("Saved the selection “%(name)s”.") % {"name": selection.name})
    return redirect(f"{reverse('members:member-list')}?{selection.query}")


@require_POST
@require_perms(VIEW_MEMBERS, VIEW_SELECTIONS)
def selection_delete(request, pk: int):
    selection = get_object_or_404(SavedSelection, pk=pk)
    services.selection_delete(selection=selection, by=request.user)
    messages.success(request, _("Deleted the selection “%(name)s”.") % {"name": selection.name})
    if getattr(request, "htmx", None):  # the confirm dialog posts through htmx: reload the page it came from
        return HttpResponseClientRedirect(reverse("members:selection-list"))
    return redirect("members:selection-list")
