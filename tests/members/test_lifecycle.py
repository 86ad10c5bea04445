"""A membership's life after the invitation: leaving, removal with its reason, moving to another group, and the
signal the floors above act on once the change is committed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from members.models import Group, Membership
from members.services import GroupsFull, membership_end, membership_mark_joined, membership_move
from members.signals import memberships_changed
from tests.members.factories import GroupFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The services' messages and stored reasons in English, to match them here (the UI speaks Chinese)."""
    with translation.override("en"):
        yield


NOW = timezone.now()


@pytest.fixture
def sent():
    received = []

    def receiver(sender, joined, ended, **kwargs):
        received.append({"joined": joined, "ended": ended})

    memberships_changed.connect(receiver)
    yield received
    memberships_changed.disconnect(receiver)


def active(member, group, days_ago=30):
    return Membership.objects.create(member=member, group=group, joined_at=NOW - dt.timedelta(days=days_ago))


def test_a_removal_keeps_its_reason_and_is_sent_once_committed(sent, django_capture_on_commit_callbacks):
    membership = active(MemberFactory(), GroupFactory())
    with django_capture_on_commit_callbacks(execute=True):
        membership_end(membership=membership, status="removed", reason="2 次违规：发短视频", at=NOW)
        assert sent == []  # not before the commit
    membership.refresh_from_db()
    assert (membership.status, membership.left_at, membership.reason) == ("removed", NOW, "2 次违规：发短视频")
    assert sent == [{"joined": [], "ended": [membership.pk]}]


def test_ending_twice_changes_nothing_the_second_time(sent, django_capture_on_commit_callbacks):
    membership = active(MemberFactory(), GroupFactory())
    with django_capture_on_commit_callbacks(execute=True):
        membership_end(membership=membership, status="left", at=NOW)
        membership_end(membership=membership, status="removed", reason="again", at=NOW + dt.timedelta(hours=1))
    membership.refresh_from_db()
    assert (membership.status, membership.left_at, membership.reason) == ("left", NOW, "")
    assert len(sent) == 1


def test_leaving_before_joining_is_refused():
    membership = active(MemberFactory(), GroupFactory(), days_ago=1)
    with pytest.raises(ValidationError, match="cannot have left before"):
        membership_end(membership=membership, status="left", at=NOW - dt.timedelta(days=3))
    assert Membership.objects.get(pk=membership.pk).status == "active"


def test_leaving_before_joining_names_the_shanghai_day_of_the_join():
    """Joined at 00:10 on 1 December in Shanghai (16:10 UTC on 30 November): the refusal names 1 December."""
    joined_at = dt.datetime(2026, 11, 30, 16, 10, tzinfo=dt.UTC)
    membership = Membership.objects.create(member=MemberFactory(), group=GroupFactory(), joined_at=joined_at)
    with pytest.raises(ValidationError, match="on 2026-12-01: they cannot have left before"):
        membership_end(membership=membership, status="left", at=joined_at - dt.timedelta(minutes=5))


def test_a_membership_ends_only_as_left_or_removed():
    with pytest.raises(ValueError, match="left or removed"):
        membership_end(membership=active(MemberFactory(), GroupFactory()), status="active")


def test_a_move_ends_the_old_membership_and_opens_one_in_the_new_group(sent, django_capture_on_commit_callbacks):
    member = MemberFactory()
    old, new = GroupFactory(name="成都1群"), GroupFactory(name="成都VIP群")
    membership = active(member, old)
    membership.group_nickname = "成都-好药房"
    membership.save()
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        moved = membership_move(membership=membership, to=new, at=NOW)
    membership.refresh_from_db()
    assert (membership.status, membership.reason) == ("left", "moved to 成都VIP群")
    assert (moved.group, moved.status, moved.joined_at, moved.group_nickname) == (new, "active", NOW, "成都-好药房")
    assert sent == [{"joined": [], "ended": [membership.pk]}, {"joined": [moved.pk], "ended": []}]


def test_a_move_into_a_full_or_legacy_group_changes_nothing():
    member = MemberFactory()
    membership = active(member, GroupFactory())
    full = GroupFactory(capacity=1)
    active(MemberFactory(), full)
    with pytest.raises(GroupsFull, match="is full"):
        membership_move(membership=membership, to=full)
    with pytest.raises(ValidationError, match="legacy"):
        membership_move(membership=membership, to=GroupFactory(tier=Group.Tier.LEGACY))
    assert Membership.objects.get(pk=membership.pk).status == "active"
    assert Membership.objects.filter(member=member).count() == 1


def test_joining_is_sent_for_an_invited_member(sent, django_capture_on_commit_callbacks):
    invited = Membership.objects.create(member=MemberFactory(), group=GroupFactory(), status="invited")
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=invited, at=NOW)
        membership_mark_joined(membership=invited, at=NOW)
    assert sent == [{"joined": [invited.pk], "ended": []}]
