"""A group with the template rules, its owner an operator, and active members: what the community tests start from."""

import datetime as dt

from django.utils import timezone

from community.models import Rule
from community.services import rules_apply_templates
from core.roles import Role
from members.models import Membership
from tests.conftest import make_user
from tests.members.factories import GroupFactory, MemberFactory


def group_with_rules(*, owner=None, members: int = 3, **group_fields):
    owner = owner or make_user(f"owner{GroupFactory._meta.next_sequence()}", Role.OPERATOR)
    group = GroupFactory(owner=owner, tier="precise", **group_fields)
    rules_apply_templates(groups=[group])
    memberships = [
        Membership.objects.create(
            member=MemberFactory(),
            group=group,
            joined_at=timezone.now() - dt.timedelta(days=30),
            group_nickname=f"成都-好药房{n}",
        )  # fmt: skip
        for n in range(members)
    ]
    return group, memberships


def rule(group, key: str) -> Rule:
    return Rule.objects.get(group=group, template_key=key)
