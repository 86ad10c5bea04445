"""Referrals: a member's link, the newcomer's phone, the match when they join, rewards; the fission multiplier
against a naive reference."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.dates import local_date, zone
from livecodes import services
from livecodes.models import Referral
from livecodes.selectors import fission_multiplier, fission_platform, rewards
from members.models import Group, Member, Membership
from members.services import membership_invite, membership_mark_joined

from .helpers import live_code_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.LIVECODE_REDIS_URL = ""
    settings.LIVECODE_REFERRAL_REWARD = Decimal("10.00")


def join(member, group, *, at=None):
    membership = membership_invite(member=member, groups=[group])
    return membership_mark_joined(membership=membership, at=at)


def test_the_referral_link_is_stable_and_unguessable(db):
    member = Member.objects.create(external_id="M1")
    first = services.referral_link_for(member)
    assert services.referral_link_for(member).token == first.token
    assert len(first.token) >= 16
    assert "M1" not in first.token
    assert services.referral_link_for(Member.objects.create(external_id="M2")).token != first.token


def test_a_newcomer_who_joins_is_referred_by_the_member_and_earns_the_reward(
    operator, django_capture_on_commit_callbacks
):
    live_code = live_code_with(operator, [("A", 500, 0)])
    group = Group.objects.get(code="A")
    referrer = Member.objects.create(external_id="R", name="王老板")
    token = services.referral_link_for(referrer).token
    services.referral_record(token=token, phone="138 0013 8000", live_code=live_code)
    newcomer = Member.objects.create(external_id="N", phone="+8613800138000")
    with django_capture_on_commit_callbacks(execute=True):
        join(newcomer, group)
    newcomer.refresh_from_db()
    assert newcomer.referred_by == referrer
    referral = Referral.objects.get()
    assert referral.newcomer == newcomer
    assert referral.reward == Decimal("10.00")
    [row] = rewards()
    assert (row.referrer, row.newcomers, row.due, row.paid) == (referrer, [newcomer], Decimal("10.00"), Decimal("0"))
    assert services.referral_rewards_pay(referrer_id=referrer.pk, by=operator) == 1
    assert services.referral_rewards_pay(referrer_id=referrer.pk, by=operator) == 0
    [row] = rewards()
    assert (row.due, row.paid) == (Decimal("0"), Decimal("10.00"))


def test_matching_many_joins_looks_only_at_those_a_referral_names(operator, django_assert_max_num_queries):
    """An import joins thousands at once: the match reads them in one query, and only a join whose phone a
    pending referral holds costs more."""
    live_code = live_code_with(operator, [("A", 500, 0)])
    referrer = Member.objects.create(external_id="R")
    services.referral_record(token=services.referral_link_for(referrer).token, phone="13800138000",
                             live_code=live_code)  # fmt: skip
    now = timezone.now()
    members = Member.objects.bulk_create(Member(external_id=f"M{n}", phone=f"+86139{n:08d}") for n in range(300))
    newcomer = Member.objects.create(external_id="N", phone="+8613800138000")
    group = Group.objects.get(code="A")
    ids = [m.pk for m in Membership.objects.bulk_create(
        Membership(member=m, group=group, joined_at=now) for m in [*members, newcomer]
    )]  # fmt: skip
    with django_assert_max_num_queries(8):
        assert services.referrals_match(ids, now=now) == 1
    newcomer.refresh_from_db()
    assert newcomer.referred_by == referrer


def test_an_existing_customer_or_the_referrer_themself_is_not_a_newcomer(operator, django_capture_on_commit_callbacks):
    live_code = live_code_with(operator, [("A", 500, 0), ("B", 500, 0)])
    a, b = Group.objects.get(code="A"), Group.objects.get(code="B")
    referrer = Member.objects.create(external_id="R", phone="+8613900000000")
    old = Member.objects.create(external_id="O", phone="+8613800138001")
    join(old, a, at=timezone.now() - dt.timedelta(days=40))
    token = services.referral_link_for(referrer).token
    services.referral_record(token=token, phone="13800138001", live_code=live_code)
    services.referral_record(token=token, phone="13900000000", live_code=live_code)
    with django_capture_on_commit_callbacks(execute=True):
        join(old, b)
        join(referrer, b)
    old.refresh_from_db()
    referrer.refresh_from_db()
    assert old.referred_by is None
    assert referrer.referred_by is None
    assert not Referral.objects.joined().exists()


def test_bad_phone_and_bad_token_are_refused_saying_where(operator):
    live_code = live_code_with(operator, [("A", 500, 0)])
    token = services.referral_link_for(Member.objects.create(external_id="R")).token
    with pytest.raises(ValidationError) as error:
        services.referral_record(token=token, phone="12345", live_code=live_code)
    assert "phone" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.referral_record(token="nope", phone="13800138000", live_code=live_code)
    assert "ref" in error.value.message_dict
    assert not Referral.objects.exists()


def test_fission_multiplier_matches_a_naive_count(db):
    rng = random.Random(13)
    groups = [Group.objects.create(code=f"G{n}", name=f"G{n}") for n in range(3)]
    seeds = Member.objects.bulk_create(Member(external_id=f"S{n}") for n in range(10))
    now = timezone.now()
    members = []
    for n in range(300):
        referrer = rng.choice(seeds) if rng.random() < 0.35 else None
        members.append(Member(external_id=f"M{n}", referred_by=referrer))
    members = Member.objects.bulk_create(members)
    memberships = []
    for member in members:
        for group in rng.sample(groups, rng.randint(1, 2)):
            joined = now - dt.timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23))
            memberships.append(Membership(member=member, group=group, joined_at=joined))
    Membership.objects.bulk_create(memberships)
    start, end = local_date(now) - dt.timedelta(days=27), local_date(now)

    result = fission_multiplier(start=start, end=end)

    for group in groups:
        joined = {
            m.member_id for m in memberships if m.group_id == group.pk and start <= local_date(m.joined_at) <= end
        }
        referred = sum(1 for member in members if member.pk in joined and member.referred_by_id is not None)
        not_referred = len(joined) - referred
        row = result[group.pk]
        assert (row.referred, row.not_referred) == (referred, not_referred)
        assert row.multiplier == (Decimal(referred) / Decimal(not_referred)).quantize(Decimal("0.0001"))
    assert 0 < result[groups[0].pk].multiplier < 1
    only = fission_multiplier(start=start, end=end, group_ids=[groups[1].pk])
    assert list(only) == [groups[1].pk]


def test_the_platform_fission_counts_each_member_once_against_a_naive_count():
    start = dt.date(2026, 11, 2)
    inside = dt.datetime(2026, 11, 4, 12, tzinfo=zone())
    before = dt.datetime(2026, 10, 20, 12, tzinfo=zone())
    g1 = Group.objects.create(code="F1", name="F1")
    g2 = Group.objects.create(code="F2", name="F2")
    referrer = Member.objects.create(external_id="R", name="R")
    joined = []
    for n, (referred, groups, at) in enumerate(
        [(True, [g1, g2], inside), (True, [g1], inside), (False, [g1], inside), (False, [g2], before)]
    ):
        member = Member.objects.create(external_id=f"N{n}", name=f"N{n}", referred_by=referrer if referred else None)
        for group in groups:
            Membership.objects.create(member=member, group=group, joined_at=at)
        joined.append((referred, at >= dt.datetime(2026, 11, 2, tzinfo=zone())))
    naive_referred = sum(1 for referred, in_period in joined if referred and in_period)
    naive_not = sum(1 for referred, in_period in joined if not referred and in_period)
    fission = fission_platform(start=start, end=start + dt.timedelta(days=6))
    assert (fission.referred, fission.not_referred) == (naive_referred, naive_not) == (2, 1)
    assert str(fission.multiplier) == "2.0000"
