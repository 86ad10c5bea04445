"""The member's pages of a live code (/j/<code>/, its QR and contact images, the referral form) under absurd
requests: codes of 10 kB and in Chinese, a path that starts with a real code, `?ref=` of 100 kB, SQL, HTML and
NUL bytes, QR ids negative, huge, of another live code, of a paused, closed or legacy group, and referral POSTs
with missing or garbage fields, sent again and again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from livecodes import services
from livecodes.choice import snapshots_drop
from livecodes.models import LiveCode, QRImage, Referral
from members import services as members
from members.models import Group, Member

from .helpers import live_code_with

pytestmark = pytest.mark.django_db

CODE40 = "chengdu-vip-2026-double-eleven-posters-a"


@pytest.fixture(autouse=True)
def _no_redis(settings):
    settings.LIVECODE_REDIS_URL = ""


def scans() -> int:
    """Scans counted (without Redis, each scan is written at once)."""
    return sum(QRImage.objects.values_list("scans", flat=True)) + sum(
        LiveCode.objects.values_list("unavailable_scans", flat=True)
    )


def test_a_path_that_names_no_code_is_a_404_and_counts_no_scan(client, operator):
    assert len(CODE40) == LiveCode._meta.get_field("slug").max_length
    live_code_with(operator, [("A", 500, 0)], slug=CODE40)
    assert client.get(f"/j/{CODE40}/").status_code == 200
    counted = scans()
    for path in (
        f"/j/{CODE40}x/",  # a real code and more: not an alias of the real one
        f"/j/{CODE40}{'x' * 10_000}/",
        "/j/" + "a" * 10_000 + "/",
        "/j/%E6%88%90%E9%83%BD/",  # 成都
        "/j/vip%00/",
        "/j/../admin/",
    ):
        assert client.get(path).status_code == 404, path[:60]
    for path in (f"/j/{CODE40}x/contact/", f"/j/{CODE40}x/qr/{QRImage.objects.get().pk}/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/j/{CODE40}x/ref/", {"phone": "13800138000", "ref": "x"}).status_code == 404
    assert scans() == counted


@pytest.mark.parametrize(
    "ref",
    ["x" * 100_000, "' OR 1=1; DROP TABLE livecodes_referral;--", '"><script>alert(1)</script>', "a\x00b", "成都"],
)
def test_an_absurd_ref_is_cut_and_escaped_and_the_scan_still_counted(client, operator, ref):
    live_code_with(operator, [("A", 500, 0)])
    counted = scans()
    response = client.get("/j/vip/", {"ref": ref})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert 'name="ref"' in html
    hidden = response.context["referral_form"]["ref"].value()
    assert len(hidden) <= 32
    assert scans() == counted + 1
    # Sent back as it came, it records nothing and says why.
    posted = client.post("/j/vip/ref/", {"phone": "13800138000", "ref": hidden})
    assert posted.status_code == 400
    assert posted.context["referral_form"].errors
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"phone": "", "ref": ""},
        {"phone": "1" * 100_000, "ref": "y" * 1000},
        {"phone": "13800138000\x00", "ref": "z"},
        {"phone": "<script>", "ref": "z"},
        {"phone": "'; DELETE FROM members_member;--", "ref": "z"},
        {"phone": ["13800138000", "13900139000"], "ref": ["a", "b"]},
    ],
)
def test_a_garbage_referral_is_refused_saying_where_and_records_nothing(client, operator, data):
    live_code_with(operator, [("A", 500, 0)])
    Member.objects.create(external_id="keep")
    response = client.post("/j/vip/ref/", data)
    assert response.status_code == 400
    assert response.context["referral_form"].errors
    assert not Referral.objects.exists()
    assert Member.objects.count() == 1


def test_the_same_referral_sent_again_and_again_is_one_referral_then_rate_limited(client, operator, settings):
    settings.LIVECODE_REFERRALS_PER_HOUR = 3
    live_code_with(operator, [("A", 500, 0)])
    token = services.referral_link_for(Member.objects.create(external_id="R1")).token
    statuses = [client.post("/j/vip/ref/", {"phone": "138 0013 8000", "ref": token}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Referral.objects.count() == 1


def test_qr_ids_that_are_absurd_or_of_another_code_are_a_404(client, operator):
    live_code_with(operator, [("A", 500, 0)])
    other = live_code_with(operator, [("B", 500, 0)], slug="other")
    theirs = QRImage.objects.get(entry__live_code=other).pk
    for image_id in (0, theirs, 2**31, 2**63, 10**30):
        assert client.get(f"/j/vip/qr/{image_id}/").status_code == 404, image_id
    assert client.get("/j/vip/qr/-1/").status_code == 404
    assert client.get("/j/vip/qr/1e3/").status_code == 404
    assert client.get(f"/j/other/qr/{theirs}/").status_code == 200


def qr_status(client, image) -> int:
    return client.get(f"/j/vip/qr/{image.pk}/").status_code


def test_a_paused_closed_ended_or_legacy_groups_qr_is_not_given_to_whoever_tries_the_ids(client, operator):
    """Image ids are counted up: anyone can walk them. Only what the live code may show now is served."""
    code = live_code_with(operator, [("A", 500, 0), ("B", 500, 0), ("C", 500, 0), ("D", 500, 0)])
    paused, closed, ended, legacy = (QRImage.objects.get(entry__group__code=c) for c in "ABCD")
    assert {qr_status(client, image) for image in (paused, closed, ended, legacy)} == {200}

    services.pool_entry_toggle(entry=code.entries.get(group__code="A"), active=False)
    members.group_close(group=Group.objects.get(code="B"), closure=Group.Closure.DISSOLVED)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Group.objects.filter(code="C").update(tier=Group.Tier.FLASH, flash_ends_on=yesterday)
    Group.objects.filter(code="D").update(tier=Group.Tier.LEGACY)
    for image in (paused, closed, ended, legacy):
        assert qr_status(client, image) == 404, image.entry.group.code


def test_an_inactive_codes_pages_are_all_a_404(client, operator):
    code = live_code_with(operator, [("A", 500, 0)])
    image = QRImage.objects.get()
    LiveCode.objects.filter(pk=code.pk).update(is_active=False)
    snapshots_drop(["vip"])
    for path in ("/j/vip/", f"/j/vip/qr/{image.pk}/", "/j/vip/contact/"):
        assert client.get(path).status_code == 404, path
    assert client.post("/j/vip/ref/", {"phone": "13800138000", "ref": "x"}).status_code == 404
    assert reverse("livecodes:public", args=["vip"]) == "/j/vip/"


def test_names_and_texts_from_files_are_shown_as_text_on_the_public_page(client, operator):
    """A group name from a groups file, the live code's name and contact text: markup in them is shown, not run."""
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    code = live_code_with(operator, [("A", 500, 0)])
    Group.objects.filter(code="A").update(name=evil)
    LiveCode.objects.filter(pk=code.pk).update(name=evil, contact_text=evil)
    snapshots_drop(["vip"])
    shown = client.get("/j/vip/").content.decode()
    Group.objects.filter(code="A").update(capacity=1)
    Member.objects.create(external_id="M1").memberships.create(group=Group.objects.get(code="A"))
    snapshots_drop(["vip"])
    full = client.get("/j/vip/").content.decode()
    assert 'data-testid="livecode-full"' in full
    for html in (shown, full):
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
