"""Phone numbers stay masked on every page of the group lifecycle, the rules and strikes and the live codes, for the
roles that may not see them (operator, manager), whatever the member did: referred someone, was referred, broke a
rule (the removal reminder), sits in a legacy group. The admin, who may, sees them (so the check can fail)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from community.services import violation_record
from livecodes import services as livecodes
from members.models import Membership
from members.signals import send_memberships_changed
from tests.community.factories import group_with_rules, rule
from tests.livecodes.helpers import live_code_with
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db

REFERRER, NEWCOMER = "+8613812345678", "+8613987654321"
FULL = ["13812345678", "13987654321", "138 1234 5678", "139 8765 4321", "1381234", "1398765"]


@pytest.fixture(autouse=True)
def _no_redis(settings):
    settings.LIVECODE_REDIS_URL = ""


@pytest.fixture
def pages(operator, django_capture_on_commit_callbacks):
    group, memberships = group_with_rules(owner=operator, name="成都VIP①")
    referrer = memberships[0].member
    referrer.phone = REFERRER
    referrer.save()
    with django_capture_on_commit_callbacks(execute=True):
        violation_record(membership=memberships[0], rule=rule(group, "insult"), by=operator)  # a removal reminder
    code = live_code_with(operator, [("A", 500, 0)])
    livecodes.referral_record(token=livecodes.referral_link_for(referrer).token, phone="13987654321", live_code=code)
    newcomer = MemberFactory(phone=NEWCOMER)
    with django_capture_on_commit_callbacks(execute=True):
        joined = Membership.objects.create(member=newcomer, group=group, joined_at=timezone.now())
        send_memberships_changed(joined=[joined.pk])  # matched: a reward to pay, a welcome reminder
    legacy = GroupFactory(code="L1", tier="legacy")
    MembershipFactory(group=legacy, member=referrer)
    return [
        reverse("members:group-list"), reverse("members:group-detail", args=[group.pk]),
        reverse("members:member-list"), reverse("members:member-detail", args=[referrer.pk]),
        reverse("members:member-detail", args=[newcomer.pk]),
        reverse("members:membership-action", args=[group.pk, memberships[0].pk, "remove"]),
        reverse("members:membership-action", args=[group.pk, memberships[0].pk, "move"]),
        reverse("members:legacy-list"), reverse("members:legacy-wizard", args=[legacy.pk]),
        reverse("community:rules"), reverse("community:group-rules", args=[group.pk]),
        reverse("community:nickname-check", args=[group.pk]),
        reverse("livecodes:livecode-list"), reverse("livecodes:livecode-detail", args=[code.pk]),
        reverse("livecodes:reward-list"), reverse("campaigns:reminder-inbox"),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ["operator", "manager"])
def test_no_full_phone_number_on_any_page_of_the_lifecycle(client, request, pages, role):
    client.force_login(request.getfixturevalue(role))
    opened = 0
    for path in pages:
        response = client.get(path)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, path
        opened += 1
        html = response.content.decode()
        assert not [number for number in FULL if number in html], path
    assert opened >= 10


def test_the_admin_who_may_sees_them(client, admin_user, pages):
    client.force_login(admin_user)
    html = "".join(client.get(path).content.decode() for path in pages)
    assert "13812345678" in html
    assert "13987654321" in html
