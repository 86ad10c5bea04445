"""Rules from the template set, edited per group; the welcome message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from members.models import Group

from .. import rulebook
from ..models import GroupWelcome, Rule


@dataclass(frozen=True)
class RuleSetResult:
    groups: int
    created: int


@transaction.atomic
def rules_apply_templates(*, groups: Iterable[Group]) -> RuleSetResult:
    """Give each group the template set's rules it does not have yet; rules already made from a template (and
    edited since) are kept as they are, so applying twice changes nothing."""
    group_ids = [group.pk for group in groups]
    have = set(Rule.objects.filter(group_id__in=group_ids).values_list("group_id", "template_key"))
    new = [
        Rule(
            group_id=group_id,
            kind=template.kind,
            template_key=template.key,
            title=template.title,
            text=template.text,
            strike_limit=template.strike_limit,
            position=position,
        )  # fmt: skip
        for group_id in group_ids
        for position, template in enumerate(rulebook.TEMPLATES, start=1)
        if (group_id, template.key) not in have
    ]
    Rule.objects.bulk_create(new, ignore_conflicts=True)
    return RuleSetResult(groups=len(group_ids), created=len(new))


def rule_update(*, rule: Rule, title: str, text: str, strike_limit: int | None) -> Rule:
    """Edit a rule's title, announcement text and strike limit (a nickname rule keeps none). A lower limit
    applies to the next violation recorded, not to strikes already counted."""
    rule.title, rule.text = title.strip(), text.strip()
    rule.strike_limit = None if rule.kind == Rule.Kind.NICKNAME else strike_limit
    rule.full_clean()
    rule.save(update_fields=["title", "text", "strike_limit"])
    return rule


def welcome_save(*, group: Group, text: str) -> GroupWelcome:
    welcome, _created = GroupWelcome.objects.get_or_create(group=group, defaults={"text": text.strip()})
    welcome.text = text.strip()
    welcome.full_clean()
    welcome.save(update_fields=["text", "updated_at"])
    return welcome
