"""The operator's live code forms under absurd input: margins of −1, 10^12 and larger than a group's room, groups
that can never take anyone by scan, closed and ended groups added to a pool, image lifetimes of 0 and 10^11 days,
another live code's pool entries, rewards paid twice."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from livecodes import services
from livecodes.forms import PoolAddForm
from livecodes.models import LiveCode, QRImage, Referral
from livecodes.selectors import pool_overview
from members import services as members
from members.models import Group, Member

from .helpers import live_code_with, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_redis(settings, tmp_path):
    settings.LIVECODE_REDIS_URL = ""
    settings.MEDIA_ROOT = tmp_path / "media"


def edit(client, code, **changes):
    form = {"slug": code.slug, "name": code.name, "owner": code.owner_id, "margin": code.margin, "is_active": "on"}
    return client.post(reverse("livecodes:livecode-edit", args=[code.pk]), {**form, **changes})


@pytest.mark.parametrize("margin", ["-1", str(10**12), "200", "1e3", ""])
def test_an_absurd_margin_is_refused_beside_its_field(client, operator, margin):
    code = live_code_with(operator, [("A", 500, 0)], margin=5)
    client.force_login(operator)
    response = edit(client, code, margin=margin)
    assert list(response.context["form"].errors) == ["margin"]
    assert LiveCode.objects.get(pk=code.pk).margin == 5


def test_a_margin_that_leaves_a_pool_group_no_place_is_refused_naming_the_group(client, operator):
    code = live_code_with(operator, [("BIG", 500, 0), ("SMALL", 30, 0)], margin=5)
    client.force_login(operator)
    response = edit(client, code, margin="30")
    errors = response.context["form"].errors
    assert list(errors) == ["margin"]
    assert "SMALL群" in errors["margin"][0]
    assert "30" in errors["margin"][0]
    assert LiveCode.objects.get(pk=code.pk).margin == 5
    assert edit(client, code, margin="29").status_code == 302
    # Paused, the small group no longer bounds the margin.
    services.pool_entry_toggle(entry=code.entries.get(group__code="SMALL"), active=False)
    assert edit(client, code, margin="100").status_code == 302
    assert LiveCode.objects.get(pk=code.pk).margin == 100


def test_a_group_the_margin_leaves_no_place_is_not_added_to_the_pool(client, operator):
    code = live_code_with(operator, [("A", 500, 0)], margin=20)
    tiny = Group.objects.create(code="T", name="小群", capacity=20)
    client.force_login(operator)
    response = client.post(reverse("livecodes:pool-add", args=[code.pk]), {"group": tiny.pk})
    assert response.status_code == 400
    assert "小群" in response.context["add_form"].errors["group"][0]
    assert not code.entries.filter(group=tiny).exists()


def test_closed_ended_and_legacy_groups_are_not_added_to_a_pool_and_the_reason_is_theirs(operator):
    code = live_code_with(operator, [("A", 500, 0)])
    closed = Group.objects.create(code="C", name="已解散群")
    closed = members.group_close(group=closed, closure=Group.Closure.DISSOLVED)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ended = Group.objects.create(code="F", name="快闪群", tier=Group.Tier.FLASH, flash_ends_on=yesterday)
    legacy = Group.objects.create(code="L", name="老群", tier=Group.Tier.LEGACY)
    assert not {closed, ended, legacy} & set(PoolAddForm(live_code=code).fields["group"].queryset)
    with translation.override("en"):
        for group, reason in ((closed, "closed"), (ended, "ended on"), (legacy, "legacy")):
            with pytest.raises(ValidationError, match=reason):
                services.pool_add(live_code=code, group=group)
    assert code.entries.count() == 1


def test_the_pool_never_shows_a_negative_limit(client, operator):
    code = live_code_with(operator, [("A", 500, 0)], margin=50)
    Group.objects.filter(code="A").update(capacity=40)  # lowered on the group's page, below the margin
    (row,) = pool_overview(code, now=timezone.now())
    assert (row.limit, row.room, row.held) == (0, 0, 0)
    client.force_login(operator)
    assert "-10" not in client.get(reverse("livecodes:livecode-detail", args=[code.pk])).content.decode()


@pytest.mark.parametrize("days", ["0", "-1", "8", str(10**11), "x", ""])
def test_an_absurd_image_lifetime_is_refused_and_nothing_stored(client, operator, days):
    code = live_code_with(operator, [("A", 500, 0)])
    entry = code.entries.get()
    client.force_login(operator)
    url = reverse("livecodes:image-upload", args=[code.pk, entry.pk])
    response = client.post(url, {f"e{entry.pk}-image": upload(), f"e{entry.pk}-days": days})
    assert response.status_code == 400
    assert QRImage.objects.count() == 1


def test_another_live_codes_pool_entries_are_out_of_reach(client, operator):
    code = live_code_with(operator, [("A", 500, 0)])
    other = live_code_with(operator, [("B", 500, 0)], slug="other")
    theirs = other.entries.get()
    client.force_login(operator)
    upload_url = reverse("livecodes:image-upload", args=[code.pk, theirs.pk])
    assert client.post(upload_url, {f"e{theirs.pk}-image": upload(), f"e{theirs.pk}-days": 7}).status_code == 404
    assert client.post(reverse("livecodes:pool-toggle", args=[code.pk, theirs.pk])).status_code == 404
    assert other.entries.get().is_active
    assert QRImage.objects.filter(entry=theirs).count() == 1


def test_rewards_paid_twice_are_paid_once_and_absurd_ids_are_a_404(client, operator):
    referrer = Member.objects.create(external_id="R1")
    newcomer = Member.objects.create(external_id="N1", referred_by=referrer)
    Referral.objects.create(referrer=referrer, phone="+8613800138000", newcomer=newcomer,
                            joined_at=timezone.now(), reward=Decimal("10.00"))  # fmt: skip
    client.force_login(operator)
    url = reverse("livecodes:reward-pay", args=[referrer.pk])
    assert client.post(url).status_code == 302
    paid_at = Referral.objects.get().paid_at
    assert client.post(url).status_code == 302
    assert Referral.objects.get().paid_at == paid_at
    for absurd in (0, 2**63, 10**30):
        assert client.post(reverse("livecodes:reward-pay", args=[absurd])).status_code == 404
