"""Strikes where none may be recorded, posted by hand to the group page's form: on a member who already left, on a
member of another group, with another group's rule, on a closed (read-only) group, with absurd ids and notes; and
the same form sent again, which is one strike."""

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


def test_the_same_strike_form_sent_twice_is_one_strike(client, operator, world):
    """A double click or a retry sends the group page's form twice, with the same token: one strike, no removal
    for a two-strike rule (tests/browser/test_strike_double_click.py does it with real clicks)."""
    group, (membership, *_rest) = world
    client.force_login(operator)
    page = client.get(reverse("members:group-detail", args=[group.pk]))
    html = page.content.decode()
    submission = html.split('name="submission" value="', 1)[1].split('"', 1)[0]
    assert len(submission) >= 16
    data = {"membership": membership.pk, "rule": rule(group, "short_video").pk, "submission": submission}
    for _ in range(3):
        _response, said = post_strike(client, group, data)
        assert "第 1/2 次" in said
    assert Violation.objects.count() == 1
    assert Membership.objects.get(pk=membership.pk).strikes == 1
    assert not Removal.objects.exists()
    # The page shown again has a new token: the next strike is the second.
    html = client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    assert submission not in html
    _response, said = post_strike(client, group, {**data, "submission": "another-form-token-0123456789"})
    assert "第 2/2 次" in said
    assert Removal.objects.count() == 1
