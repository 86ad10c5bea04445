"""Reads of the community pages and panels: rules, strikes, the announcement, the nickname check."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db.models import Count, Q

from members.models import Group, Membership

from . import rulebook
from .models import Removal, Rule, Violation

RECENT_VIOLATIONS = 8


def group_rules(*, group: Group) -> list[Rule]:
    return list(Rule.objects.filter(group=group).order_by("position", "pk"))


def group_announcement(*, group: Group, rules: list[Rule] | None = None) -> str:
    """The rules as the announcement to paste (empty when the group has none)."""
    rules = group_rules(group=group) if rules is None else rules
    return rulebook.announcement(group_name=group.name, rules=rules) if rules else ""


def group_violations(*, group: Group, limit: int | None = RECENT_VIOLATIONS):
    violations = (
        Violation.objects.filter(membership__group=group)
        .select_related("membership__member", "rule", "recorded_by", "membership__removal__reminder")
        .order_by("-recorded_at", "-pk")
    )
    return list(violations[:limit] if limit else violations)


def open_memberships(*, group: Group):
    """Who can be struck: the group's active members, by name."""
    return (
        Membership.objects.filter(group=group, status=Membership.Status.ACTIVE)
        .select_related("member")
        .order_by("member__name", "member__external_id")
    )


def group_rules_panel(*, obj: Group, user) -> dict:
    """The group page's rules part (members.panels): the rules with their limits, the violation form, the last
    violations and the removals waiting for the owner."""
    from core.access import can

    from .permissions import ADD_VIOLATIONS

    rules = group_rules(group=obj)
    pending = Removal.objects.filter(membership__group=obj, removed_at__isnull=True).count()
    context = {
        "group": obj,
        "rules": rules,
        "strike_rules": [rule for rule in rules if rule.takes_strikes],
        "violations": group_violations(group=obj),
        "pending_removals": pending,
        "can_record": can(user, ADD_VIOLATIONS) and not obj.is_closed,
        "nickname_problems": len(nickname_check(group=obj)) if any(r.kind == Rule.Kind.NICKNAME for r in rules) else 0,
    }
    if context["can_record"] and context["strike_rules"]:
        context["memberships"] = list(open_memberships(group=obj))
        context["submission"] = secrets.token_urlsafe(16)  # the form's own: sent twice, it is one strike
    return context


@dataclass(frozen=True)
class NicknameProblem:
    membership: Membership
    problem: str
    suggestion: str


def nickname_check(*, group: Group) -> list[NicknameProblem]:
    """The active members whose group nickname is not "地区-店名", by name."""
    problems = []
    for membership in open_memberships(group=group):
        problem = rulebook.nickname_problem(membership.group_nickname)
        if problem:
            member = membership.member
            suggestion = rulebook.suggested_nickname(region=member.region, store_name=member.store_name)
            problems.append(NicknameProblem(membership, problem, suggestion))
    return problems


def rules_overview():
    """Every group but legacy ones, with how many rules and strikes it has (the rules page)."""
    return (
        Group.objects.taking_campaigns()
        .select_related("owner")
        .annotate(
            rule_count=Count("rules", distinct=True),
            violation_count=Count("memberships__violations", distinct=True),
            pending_removals=Count(
                "memberships__removal", filter=Q(memberships__removal__removed_at__isnull=True), distinct=True
            ),
        )
        .order_by("tier", "code")
    )
