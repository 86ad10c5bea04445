"""Strikes where none may be recorded, posted by hand to the group page's form: on a member who already left, on a
member of another group, with another group's rule, on a closed (read-only) group, with absurd ids and notes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Removal, Violation
from members import services as members
from members.models import Group, Membership
from tests.community.factories import group_with_rules, rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(operator):
    group, memberships = group_with_rules(owner=operator, name="成都VIP①")
    return group, memberships


def post_strike(client, group, data):
    response = client.post(reverse("community:violation-record", args=[group.pk]), data, follow=True)
    return response, " ".join(str(message) for message in response.context["messages"])


def nothing_recorded(membership) -> bool:
    return (
        not Violation.objects.exists()
        and not Removal.objects.exists()
        and not Membership.objects.get(pk=membership.pk).strikes
    )


def test_no_strike_on_a_member_who_already_left(client, operator, world):
    group, (membership, *_rest) = world
    members.membership_end(membership=membership, status=Membership.Status.LEFT)
    client.force_login(operator)
    _response, said = post_strike(client, group, {"membership": membership.pk, "rule": rule(group, "insult").pk})
    assert "未记录" in said
    assert nothing_recorded(membership)


def test_no_strike_with_another_groups_member_or_rule(client, operator, world):
    group, (membership, *_rest) = world
    other, (stranger, *_others) = group_with_rules(owner=operator, name="绵阳VIP①")
    client.force_login(operator)
    for data in (
        {"membership": stranger.pk, "rule": rule(group, "insult").pk},
        {"membership": membership.pk, "rule": rule(other, "insult").pk},
        {"membership": membership.pk, "rule": rule(group, "nickname").pk},
        {"membership": -1, "rule": 10**30},
        {"membership": membership.pk, "rule": rule(group, "insult").pk, "note": "x" * 10_000},
    ):
        _response, said = post_strike(client, group, data)
        assert "未记录" in said, data
    assert not Violation.objects.exists()
    assert not Membership.objects.filter(strikes__gt=0).exists()


def test_a_closed_group_is_read_only_for_strikes_too(client, operator, world):
    group, (membership, *_rest) = world
    members.group_close(group=group, closure=Group.Closure.DISSOLVED, at=timezone.now())
    client.force_login(operator)
    page = client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    assert 'data-testid="violation-form"' not in page
    _response, said = post_strike(client, group, {"membership": membership.pk, "rule": rule(group, "insult").pk})
    assert "只读" in said
    assert nothing_recorded(membership)
