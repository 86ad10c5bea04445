"""Pages of the group lifecycle: create and edit a group, end or move a membership from the group page, the
legacy groups to reorganise and their wizard, promoting a member to a super-user group. Thin: access check, a
form, a service (members.services), render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import require_perms

from . import selectors, services
from .forms import GroupForm, LegacyForm, MembershipEndForm, MembershipMoveForm, PromoteForm
from .models import Group, Member, Membership
from .permissions import ADD_GROUP, ADD_MEMBERSHIPS, CHANGE_GROUP, CHANGE_MEMBERSHIPS, VIEW_GROUPS, VIEW_MEMBERS
from .services.reorganise import DISSOLVE

MEMBERSHIP_ACTIONS = ("leave", "remove", "move")


def _form_errors(form, error: ValidationError) -> None:
    """A service's refusal beside the field it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_perms(VIEW_GROUPS, ADD_GROUP)
def group_create(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = form.save()
        messages.success(request, _("Group %(name)s created.") % {"name": group.name})
        return redirect("members:group-detail", group.pk)
    return render(request, "members/group_form.html", {"form": form, "group": None}, status=400 if form.errors else 200)


@require_perms(VIEW_GROUPS, CHANGE_GROUP)
def group_edit(request, pk: int):
    group = get_object_or_404(Group, pk=pk)
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Group %(name)s saved.") % {"name": group.name})
        return redirect("members:group-detail", group.pk)
    return render(
        request, "members/group_form.html", {"form": form, "group": group}, status=400 if form.errors else 200
    )


@require_perms(VIEW_GROUPS, VIEW_MEMBERS, CHANGE_MEMBERSHIPS)
def membership_action(request, pk: int, membership_pk: int, action: str):
    """The confirm step of leave / remove / move (the first click is the button on the roster's row)."""
    if action not in MEMBERSHIP_ACTIONS:
        raise Http404
    membership = get_object_or_404(Membership.objects.select_related("member", "group"), pk=membership_pk, group_id=pk)
    group_url = reverse("members:group-detail", args=[pk])
    if not membership.is_open:
        messages.info(request, _("%(member)s is no longer in this group.") % {"member": membership.member})
        return redirect(group_url)
    if membership.group.is_closed:  # read-only: the page offers no changes, nor does its URL
        messages.error(request, services.refusal_of_new_members(membership.group))
        return redirect(group_url)
    if action == "move":
        form = MembershipMoveForm(request.POST or None, membership=membership)
    else:
        form = MembershipEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if action == "move":
                moved = services.membership_move(membership=membership, to=form.cleaned_data["to"])
                messages.success(
                    request, _("%(member)s moved to %(group)s.") % {"member": membership.member, "group": moved.group}
                )
            else:
                status = Membership.Status.LEFT if action == "leave" else Membership.Status.REMOVED
                services.membership_end(membership=membership, status=status, reason=form.cleaned_data["reason"])
                messages.success(request, _("%(member)s: %(status)s.") % {
                    "member": membership.member, "status": Membership.Status(status).label,
                })  # fmt: skip
            return redirect(group_url)
        except ValidationError as error:
            _form_errors(form, error)
    context = {"membership": membership, "group": membership.group, "action": action, "form": form}
    return render(request, "members/membership_action.html", context, status=400 if form.errors else 200)


@require_perms(VIEW_GROUPS, CHANGE_GROUP, CHANGE_MEMBERSHIPS)
def legacy_list(request):
    return render(request, "members/legacy_list.html", {"rows": selectors.legacy_groups()})


def _choice_key(action: str, target: Group | None) -> str:
    return f"{action}:{target.pk if target else ''}"


@require_perms(VIEW_GROUPS, CHANGE_GROUP, CHANGE_MEMBERSHIPS)
def legacy_wizard(request, pk: int):
    """Choose, preview (the counts of what will happen), then confirm: the second POST carries `confirm`."""
    group = get_object_or_404(Group, pk=pk, tier=Group.Tier.LEGACY)
    form = LegacyForm(request.POST or None, group=group)
    plan = None
    if request.method == "POST" and form.is_valid():
        action, target = form.cleaned_data["action"], form.cleaned_data["target"]
        target = None if action == DISSOLVE else target
        try:
            # Confirm carries what was previewed: a choice changed since then is previewed again, not carried out.
            previewed = request.POST.get("previewed") == _choice_key(action, target)
            if request.POST.get("confirm") and previewed:
                plan = services.legacy_reorganise(group=group, action=action, target=target)
                done = _("%(group)s reorganised: %(ended)s memberships ended, %(opened)s opened.")
                messages.success(
                    request, done % {"group": group, "ended": len(plan.ending), "opened": len(plan.opening)}
                )
                return redirect("members:legacy-list")
            plan = services.legacy_plan(group=group, action=action, target=target)
        except ValidationError as error:
            _form_errors(form, error)
            plan = None
    context = {"group": group, "form": form, "plan": plan, "facts": selectors.legacy_group_facts(group)}
    if plan is not None:
        context["previewed"] = _choice_key(plan.action, plan.target)
    return render(request, "members/legacy_wizard.html", context, status=400 if form.errors else 200)


@require_POST
@require_perms(VIEW_MEMBERS, ADD_MEMBERSHIPS)
def member_promote(request, pk: int):
    member = get_object_or_404(Member, pk=pk)
    form = PromoteForm(request.POST, groups=services.promotion_groups())
    if form.is_valid():
        try:
            membership = services.membership_promote(member=member, group=form.cleaned_data["group"])
            messages.success(request, _("%(member)s joined %(group)s.") % {"member": member, "group": membership.group})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("members:member-detail", member.pk)
