"""Rules, strikes and the nickname check. Thin: access check, a form or a selector, one service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can, require_perms
from members.models import Group
from members.permissions import VIEW_GROUPS, VIEW_MEMBERS, VIEW_MEMBERSHIPS

from . import selectors, services
from .forms import RuleForm, TierRulesForm, ViolationForm, WelcomeForm
from .models import GroupWelcome, Rule, Violation
from .permissions import ADD_VIOLATIONS, CHANGE_RULES, VIEW_RULES, VIEW_VIOLATIONS


def _form_errors(form) -> str:
    return "；".join(
        f"{form.fields[name].label if name in form.fields else ''}：{' '.join(errors)}".lstrip("：")
        for name, errors in form.errors.items()
    )


@require_perms(VIEW_RULES, VIEW_GROUPS)
def rules_overview(request):
    context = {
        "groups": selectors.rules_overview(),
        "tier_form": TierRulesForm(),
        "can_change": can(request.user, CHANGE_RULES),
    }
    return render(request, "community/rules_overview.html", context)


@require_POST
@require_perms(CHANGE_RULES, VIEW_GROUPS)
def rules_apply_tier(request):
    form = TierRulesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("community:rules")
    tier = form.cleaned_data["tier"]
    result = services.rules_apply_templates(groups=Group.objects.filter(tier=tier))
    messages.success(
        request,
        _("Rules applied to %(groups)s %(tier)s: %(created)s new rules.")
        % {"groups": result.groups, "tier": Group.Tier(tier).label, "created": result.created},
    )
    return redirect("community:rules")


@require_perms(VIEW_RULES, VIEW_GROUPS)
def group_rules(request, pk: int):
    group = get_object_or_404(Group.objects.select_related("owner"), pk=pk)
    rules = selectors.group_rules(group=group)
    can_change = can(request.user, CHANGE_RULES)
    welcome = GroupWelcome.objects.filter(group=group).first()
    context = {
        "group": group,
        "rule_forms": [(rule, RuleForm(instance=rule, prefix=f"rule{rule.pk}")) for rule in rules],
        "announcement": selectors.group_announcement(group=group, rules=rules),
        "welcome_text": services.alerts.welcome_text(group),
        "welcome_form": WelcomeForm(instance=welcome, initial=None if welcome else {"text": _default_welcome()}),
        "can_change": can_change,
    }
    return render(request, "community/group_rules.html", context)


def _default_welcome() -> str:
    from .rulebook import DEFAULT_WELCOME

    return DEFAULT_WELCOME


@require_POST
@require_perms(CHANGE_RULES, VIEW_GROUPS)
def group_rules_apply(request, pk: int):
    group = get_object_or_404(Group, pk=pk)
    result = services.rules_apply_templates(groups=[group])
    if result.created:
        messages.success(request, _("Added %(created)s rules from the template set.") % {"created": result.created})
    else:
        messages.info(request, _("The group already has every rule of the template set."))
    return redirect("community:group-rules", pk=group.pk)


@require_POST
@require_perms(CHANGE_RULES, VIEW_GROUPS)
def rule_edit(request, pk: int):
    rule = get_object_or_404(Rule.objects.select_related("group"), pk=pk)
    form = RuleForm(request.POST, instance=Rule.objects.get(pk=rule.pk), prefix=f"rule{rule.pk}")
    if form.is_valid():
        data = form.cleaned_data
        services.rule_update(rule=rule, title=data["title"], text=data["text"], strike_limit=data.get("strike_limit"))
        messages.success(request, _("Saved the rule “%(title)s”.") % {"title": rule.title})
    else:
        messages.error(request, _("The rule “%(title)s” was not saved: %(errors)s") % {
            "title": rule.title, "errors": _form_errors(form),
        })  # fmt: skip
    return redirect(f"{reverse('community:group-rules', args=[rule.group_id])}#rule-{rule.pk}")


@require_POST
@require_perms(CHANGE_RULES, VIEW_GROUPS)
def welcome_save(request, pk: int):
    group = get_object_or_404(Group, pk=pk)
    form = WelcomeForm(request.POST, instance=GroupWelcome.objects.filter(group=group).first())
    if form.is_valid():
        services.welcome_save(group=group, text=form.cleaned_data["text"])
        messages.success(request, _("Saved the welcome message."))
    else:
        messages.error(request, _form_errors(form))
    return redirect(f"{reverse('community:group-rules', args=[group.pk])}#welcome")


@require_POST
@require_perms(ADD_VIOLATIONS, VIEW_GROUPS, VIEW_MEMBERSHIPS)
def violation_record(request, pk: int):
    group = get_object_or_404(Group, pk=pk)
    form = ViolationForm(request.POST, request.FILES, group=group)
    back = f"{reverse('members:group-detail', args=[group.pk])}#group-rules"
    if not form.is_valid():
        messages.error(request, _("The violation was not recorded: %(errors)s") % {"errors": _form_errors(form)})
        return redirect(back)
    data = form.cleaned_data
    try:
        violation = services.violation_record(
            membership=data["membership"], rule=data["rule"], by=request.user, note=data["note"],
            screenshot=data["screenshot"], submission=data["submission"],
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    membership = violation.membership
    text = _("Recorded: %(member)s, %(rule)s, strike %(number)s of %(limit)s.") % {
        "member": membership.member, "rule": violation.rule.title, "number": violation.number,
        "limit": violation.rule.strike_limit,
    }  # fmt: skip
    if hasattr(membership, "removal"):
        text += " " + _("The limit is reached: the group's owner has a reminder to remove them.")
    messages.success(request, text)
    return redirect(back)


@require_perms(VIEW_RULES, VIEW_GROUPS, VIEW_MEMBERSHIPS, VIEW_MEMBERS)
def nickname_check(request, pk: int):
    group = get_object_or_404(Group, pk=pk)
    context = {
        "group": group,
        "problems": selectors.nickname_check(group=group),
        "has_rule": Rule.objects.filter(group=group, kind=Rule.Kind.NICKNAME).exists(),
    }
    return render(request, "community/nickname_check.html", context)


@require_perms(VIEW_VIOLATIONS, VIEW_GROUPS)
def violation_screenshot(request, pk: int):
    """The screenshot of a violation: served here, after the access check, not from a public media URL."""
    violation = get_object_or_404(Violation, pk=pk)
    if not violation.screenshot:
        raise Http404
    try:
        handle = violation.screenshot.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(handle, filename=violation.screenshot.name.rsplit("/", 1)[-1])
