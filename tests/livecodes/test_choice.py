"""The live-code choice on the database path (no Redis): room by members, the scan-join limit, the margin,
holds by recent scans, expired images, a group that just filled."""

import datetime as dt

import pytest
from django.utils import timezone

from livecodes import choice, services
from livecodes.models import LiveCode, QRImage, ScanHold
from members.models import Group, Member, Membership
from members.services import membership_invite, membership_mark_joined

from .helpers import fill, live_code_with, set_expiry, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_redis(settings):
    settings.LIVECODE_REDIS_URL = ""


def shown(slug="vip"):
    result = choice.scan(slug)
    return result.candidate.group_id if result.candidate else None


def test_scans_fill_groups_in_order_and_never_past_their_room(operator):
    live_code_with(operator, [("A", 500, 197), ("B", 500, 0)])
    a, b = (Group.objects.get(code=code) for code in "AB")
    # A: 200 (the scan-join limit) − 197 members = 3 places; then B.
    assert [shown() for _ in range(5)] == [a.pk, a.pk, a.pk, b.pk, b.pk]
    assert ScanHold.objects.filter(group=a).count() == 3


def test_margin_and_capacity_below_the_scan_limit(operator):
    live_code_with(operator, [("A", 100, 95), ("B", 500, 180)], margin=3)
    a, b = (Group.objects.get(code=code) for code in "AB")
    # A: min(100, 200) − 3 − 95 = 2; B: 200 − 3 − 180 = 17.
    assert [shown() for _ in range(3)] == [a.pk, a.pk, b.pk]


def test_a_full_group_or_an_expired_image_is_never_shown_and_nothing_left_shows_the_contact(operator):
    live_code = live_code_with(operator, [("FULL", 500, 200), ("OLD", 500, 0)])
    set_expiry(QRImage.objects.filter(entry__group__code="OLD"), timezone.now() - dt.timedelta(seconds=1))
    result = choice.scan("vip")
    assert result.candidate is None
    assert result.live_code["contact_text"] == "加客服微信 chuanyao-kefu"
    live_code.refresh_from_db()
    assert live_code.unavailable_scans == 1


def test_a_group_that_just_filled_is_not_shown(operator):
    live_code_with(operator, [("A", 500, 198), ("B", 500, 0)])
    a, b = (Group.objects.get(code=code) for code in "AB")
    fill(a, 2)  # two members joined by other means: A is at the scan-join limit
    assert shown() == b.pk


def test_holds_expire_so_a_scan_that_never_joined_frees_its_place(operator, settings):
    settings.LIVECODE_HOLD_MINUTES = 10
    live_code_with(operator, [("A", 500, 199), ("B", 500, 0)])
    a, b = (Group.objects.get(code=code) for code in "AB")
    assert shown() == a.pk
    assert shown() == b.pk
    ScanHold.objects.update(at=timezone.now() - dt.timedelta(minutes=11))
    assert shown() == a.pk


def test_the_newest_unexpired_image_is_shown_and_counted(operator):
    live_code = live_code_with(operator, [("A", 500, 0)])
    entry = live_code.entries.get()
    newer = services.image_upload(entry=entry, upload=upload("newer.png"), uploaded_at=timezone.now(), days=7)
    QRImage.objects.filter(pk=newer.pk).update(expires_at=timezone.now() + dt.timedelta(days=8))
    result = choice.scan("vip")
    assert result.candidate.image_id == newer.pk
    assert result.candidate.expires_ts == QRImage.objects.get(pk=newer.pk).expires_at.timestamp()
    assert QRImage.objects.get(pk=newer.pk).scans == 1


def test_legacy_and_paused_groups_take_nobody(operator):
    live_code = live_code_with(operator, [("A", 500, 0), ("B", 500, 0)])
    Group.objects.filter(code="A").update(tier=Group.Tier.LEGACY)
    services.pool_entry_toggle(entry=live_code.entries.get(group__code="B"), active=False)
    assert shown() is None


def test_a_closed_flash_group_takes_nobody(operator):
    live_code_with(operator, [("A", 500, 0), ("B", 500, 0)])
    a, b = (Group.objects.get(code=code) for code in "AB")
    Group.objects.filter(pk=a.pk).update(closed_at=timezone.now())
    assert shown() == b.pk
    assert [c.group_id for c in choice.candidates(LiveCode.objects.get(), now=timezone.now())] == [b.pk]


def test_the_first_group_with_room_is_found_behind_many_full_ones(operator):
    rows = [(f"F{n:02d}", 500, 200) for n in range(30)] + [("OPEN", 500, 0)] + [("LATER", 500, 0)]
    live_code_with(operator, rows)
    assert shown() == Group.objects.get(code="OPEN").pk


def test_an_unknown_or_inactive_code_is_none(operator):
    live_code_with(operator, [("A", 500, 0)])
    LiveCode.objects.update(is_active=False)
    assert choice.scan("vip") is None
    assert choice.scan("nope") is None


def test_invited_members_count_against_the_room(operator):
    live_code_with(operator, [("A", 500, 199), ("B", 500, 0)])
    a, b = (Group.objects.get(code=code) for code in "AB")
    member = Member.objects.create(external_id="X")
    membership = membership_invite(member=member, groups=[a])
    assert membership.status == Membership.Status.INVITED
    assert shown() == b.pk
    membership_mark_joined(membership=membership)
    assert shown() == b.pk
