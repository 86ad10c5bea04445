"""A membership changed in the Django admin is announced like one changed on the group page or by the import:
the floors above (live codes' room, welcome and core-left reminders) must not depend on where it was edited."""

import datetime as dt

import pytest
from django.utils import timezone

from members.models import Membership
from members.signals import memberships_changed

from .factories import GroupFactory, MemberFactory

pytestmark = pytest.mark.django_db

JOINED = timezone.now() - dt.timedelta(days=30)


@pytest.fixture
def sent():
    received = []

    def receiver(sender, joined, ended, **kwargs):
        received.append({"joined": list(joined), "ended": list(ended)})

    memberships_changed.connect(receiver)
    yield received
    memberships_changed.disconnect(receiver)


def change_form(membership, **changes):
    local = timezone.localtime(membership.joined_at)
    data = {"member": membership.member_id, "group": membership.group_id, "status": membership.status,
            "joined_at_0": local.date().isoformat(), "joined_at_1": local.time().isoformat(timespec="seconds"),
            "left_at_0": "", "left_at_1": "", "group_nickname": "", "reason": "",
            "created_at_0": "2026-01-01", "created_at_1": "00:00:00"}  # fmt: skip
    data.update(changes)
    return data


def test_leaving_and_joining_in_the_admin_are_announced(admin_client, sent, django_capture_on_commit_callbacks):
    membership = Membership.objects.create(member=MemberFactory(), group=GroupFactory(), joined_at=JOINED)
    url = f"/admin/members/membership/{membership.pk}/change/"
    today = timezone.localdate().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, change_form(membership, status="left", left_at_0=today,
                                                      left_at_1="00:00:01", reason="退群"))  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.status == "left"
    assert sent == [{"joined": [], "ended": [membership.pk]}]

    invited = Membership.objects.create(member=MemberFactory(), group=membership.group, status="invited")
    invited.joined_at = JOINED
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/members/membership/{invited.pk}/change/",
                                     change_form(invited, status="active"))  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sent[-1] == {"joined": [invited.pk], "ended": []}


def test_an_edit_that_changes_no_status_announces_nothing_and_strikes_are_not_editable(admin_client, sent):
    membership = Membership.objects.create(member=MemberFactory(), group=GroupFactory(), joined_at=JOINED, strikes=1)
    url = f"/admin/members/membership/{membership.pk}/change/"
    response = admin_client.post(url, change_form(membership, group_nickname="成都-川药大药房", strikes="0"))
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert (membership.group_nickname, membership.strikes) == ("成都-川药大药房", 1)
    assert sent == []


def test_a_status_left_without_a_date_is_a_form_error_not_a_crash(admin_client, sent):
    membership = Membership.objects.create(member=MemberFactory(), group=GroupFactory(), joined_at=JOINED)
    response = admin_client.post(f"/admin/members/membership/{membership.pk}/change/",
                                 change_form(membership, status="left"))  # fmt: skip
    assert response.status_code == 200
    assert Membership.objects.get(pk=membership.pk).status == "active"
    assert sent == []
