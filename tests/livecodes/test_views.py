"""The pages: the public page without a login (Chinese, counts the scan, the contact when full, the referral
form), the operator's pages (create, pool, upload with its checks, posters, rewards) and who may open them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from livecodes.models import LiveCode, QRImage, Referral
from livecodes.services import referral_link_for
from members.models import Group, Member

from .helpers import live_code_with, png, set_expiry, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_redis(settings):
    settings.LIVECODE_REDIS_URL = ""


def test_public_page_needs_no_login_speaks_chinese_and_counts_the_scan(client, operator):
    live_code_with(operator, [("A", 500, 0)])
    response = client.get("/j/vip/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "长按" in html
    assert "A群" in html
    image = QRImage.objects.get()
    assert image.scans == 1
    assert f"/j/vip/qr/{image.pk}/" in html
    qr = client.get(f"/j/vip/qr/{image.pk}/")
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/png"
    assert b"".join(qr.streaming_content).startswith(b"\x89PNG")


def test_public_page_when_full_shows_the_service_account_not_a_dead_qr(client, operator):
    live_code_with(operator, [("A", 500, 200)])
    image = QRImage.objects.get()
    html = client.get("/j/vip/").content.decode()
    assert "加客服微信 chuanyao-kefu" in html
    assert "/qr/" not in html
    set_expiry(QRImage.objects.all(), timezone.now() - dt.timedelta(minutes=1))
    assert client.get(f"/j/vip/qr/{image.pk}/").status_code == 404


def test_unknown_code_is_a_kind_404(client, db):
    response = client.get("/j/nothing/")
    assert response.status_code == 404
    assert "不存在" in response.content.decode()


def test_the_referral_form_records_the_newcomer_phone(client, operator):
    live_code_with(operator, [("A", 500, 0)])
    token = referral_link_for(Member.objects.create(external_id="R")).token
    html = client.get(f"/j/vip/?ref={token}").content.decode()
    assert 'name="phone"' in html
    image = QRImage.objects.get()
    bad = client.post("/j/vip/ref/", {"ref": token, "phone": "123", "image": image.pk})
    assert bad.status_code == 400
    assert "手机号" in bad.content.decode()
    good = client.post("/j/vip/ref/", {"ref": token, "phone": "13800138000", "image": image.pk})
    assert good.status_code == 200
    assert f"/j/vip/qr/{image.pk}/" in good.content.decode()
    assert Referral.objects.get().phone == "+8613800138000"
    assert QRImage.objects.get().scans == 1, "posting the form is not another scan"


@pytest.mark.parametrize("image", ["abc", "-1", "0", "9" * 30, "9" * 5000, "１２", "1e3"])
def test_a_tampered_image_field_shows_no_qr_but_keeps_the_referral(client, operator, image):
    live_code_with(operator, [("A", 500, 0)])
    token = referral_link_for(Member.objects.create(external_id="R")).token
    response = client.post("/j/vip/ref/", {"ref": token, "phone": "13800138000", "image": image})
    assert response.status_code == 200
    html = response.content.decode()
    assert "/j/vip/qr/" not in html
    assert "chuanyao-kefu" in html, "the contact is shown instead"
    assert Referral.objects.get().phone == "+8613800138000"


OPERATOR_PAGES = ["livecodes:livecode-list", "livecodes:livecode-create", "livecodes:reward-list"]


def test_agents_are_refused_every_operator_page(client, agent, operator):
    code = live_code_with(operator, [("A", 500, 0)])
    client.force_login(agent)
    for name in OPERATOR_PAGES:
        assert client.get(reverse(name)).status_code == 403, name
    for name in ("livecodes:livecode-detail", "livecodes:poster-png", "livecodes:livecode-edit"):
        assert client.get(reverse(name, args=[code.pk])).status_code == 403, name
    assert client.post(reverse("livecodes:pool-add", args=[code.pk]), {"group": 1}).status_code == 403


def test_managers_read_but_do_not_edit(client, manager, operator):
    code = live_code_with(operator, [("A", 500, 0)])
    client.force_login(manager)
    assert client.get(reverse("livecodes:livecode-detail", args=[code.pk])).status_code == 200
    assert client.get(reverse("livecodes:livecode-edit", args=[code.pk])).status_code == 403
    assert client.get(reverse("livecodes:reward-list")).status_code == 200


def test_anonymous_operator_pages_go_to_login(client, db):
    response = client.get(reverse("livecodes:livecode-list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_operator_creates_a_live_code_fills_its_pool_and_uploads_images(client, operator):
    client.force_login(operator)
    form = {"slug": "cd-vip", "name": "成都VIP", "owner": operator.pk, "margin": 5, "contact_text": "客服"}
    form["is_active"] = "on"
    response = client.post(reverse("livecodes:livecode-create"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    code = LiveCode.objects.get(slug="cd-vip")
    group = Group.objects.create(code="CD1", name="成都VIP1群")
    assert client.post(reverse("livecodes:pool-add", args=[code.pk]), {"group": group.pk}).status_code == 302
    entry = code.entries.get()
    url = reverse("livecodes:image-upload", args=[code.pk, entry.pk])
    fake = upload("qr.png", b"<?php not an image")
    bad = client.post(url, {f"e{entry.pk}-image": fake, f"e{entry.pk}-days": 7})
    assert bad.status_code == 400
    assert "不是图片" in bad.content.decode()
    assert client.post(url, {f"e{entry.pk}-image": upload(), f"e{entry.pk}-days": 7}).status_code == 302
    image = QRImage.objects.get()
    assert image.expires_at - image.uploaded_at == dt.timedelta(days=7)
    detail = client.get(reverse("livecodes:livecode-detail", args=[code.pk])).content.decode()
    assert "成都VIP1群" in detail
    assert "http://testserver/j/cd-vip/" in detail
    assert client.get("/j/cd-vip/").status_code == 200


def test_oversized_images_are_refused(client, operator, settings):
    code = live_code_with(operator, [("A", 500, 0)])
    settings.LIVECODE_IMAGE_MAX_SIDE = 50
    entry = code.entries.get()
    client.force_login(operator)
    big = upload("big.png", png(scale=20))
    response = client.post(reverse("livecodes:image-upload", args=[code.pk, entry.pk]),
                           {f"e{entry.pk}-image": big, f"e{entry.pk}-days": 7})  # fmt: skip
    assert response.status_code == 400
    assert "像素" in response.content.decode()
    assert QRImage.objects.count() == 1


def test_poster_qr_in_png_and_svg(client, operator):
    code = live_code_with(operator, [("A", 500, 0)])
    client.force_login(operator)
    png_response = client.get(reverse("livecodes:poster-png", args=[code.pk]))
    assert png_response["Content-Type"] == "image/png"
    assert png_response.content.startswith(b"\x89PNG")
    svg = client.get(reverse("livecodes:poster-svg", args=[code.pk]))
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content


def test_rewards_page_lists_and_pays(client, operator):
    referrer = Member.objects.create(external_id="R", name="王老板")
    newcomer = Member.objects.create(external_id="N", name="新客")
    Referral.objects.create(referrer=referrer, phone="+8613800138000", newcomer=newcomer,
                            joined_at=timezone.now(), reward=Decimal("10.00"))  # fmt: skip
    client.force_login(operator)
    html = client.get(reverse("livecodes:reward-list")).content.decode()
    assert "王老板" in html
    assert "¥10.00" in html
    assert client.post(reverse("livecodes:reward-pay", args=[referrer.pk])).status_code == 302
    assert Referral.objects.get().paid_by == operator


def test_referral_link_shown_to_the_operator(client, operator):
    code = live_code_with(operator, [("A", 500, 0)])
    member = Member.objects.create(external_id="R")
    client.force_login(operator)
    response = client.post(reverse("livecodes:referral-link", args=[code.pk]), {"member": "R"})
    assert f"/j/vip/?ref={member.referral_link.token}" in response.content.decode()


def test_the_bench_view_is_not_routed_in_production(client, db):
    assert client.get("/bench/empty/").status_code in (302, 404)


def test_the_contact_image_is_served_as_the_image_it_is_whatever_its_name(client, operator):
    from django.core.files.base import ContentFile

    code = live_code_with(operator, [("A", 500, 200)])
    code.contact_image.save("kefu.html", ContentFile(png()), save=True)
    response = client.get("/j/vip/contact/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "/j/vip/contact/" in client.get("/j/vip/").content.decode()


def test_the_referral_form_takes_a_few_numbers_per_address_and_hour(client, operator, settings):
    settings.LIVECODE_REFERRALS_PER_HOUR = 2
    live_code_with(operator, [("A", 500, 0)])
    token = referral_link_for(Member.objects.create(external_id="R")).token
    posts = [
        client.post("/j/vip/ref/", {"ref": token, "phone": f"1380013800{n}"}, REMOTE_ADDR="198.51.100.7")
        for n in range(3)
    ]
    assert [post.status_code for post in posts] == [200, 200, 429]
    assert "一小时后再试" in posts[2].content.decode()
    assert Referral.objects.count() == 2
    other = client.post("/j/vip/ref/", {"ref": token, "phone": "13800138009"}, REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 200, "another address has its own allowance"


def test_the_member_page_makes_and_shows_the_member_referral_link(client, operator, manager):
    code = live_code_with(operator, [("A", 500, 0)])
    member = Member.objects.create(external_id="R")
    page = reverse("members:member-detail", args=[member.pk])
    client.force_login(operator)
    html = client.get(page).content.decode()
    assert 'data-testid="make-referral-link"' in html
    response = client.post(reverse("livecodes:member-referral-link", args=[member.pk]))
    assert response.status_code == 302
    assert response["Location"] == page + "#referrals"
    token = member.referral_link.token
    Referral.objects.create(referrer=member, phone="+8613800138001", live_code=code)
    Referral.objects.create(referrer=member, phone="+8613800138002", live_code=code,
                            newcomer=Member.objects.create(external_id="N"), joined_at=timezone.now(),
                            reward=Decimal("10.00"))  # fmt: skip
    html = client.get(page).content.decode()
    assert f"/j/vip/?ref={token}" in html
    assert "2 人留了手机号 · 1 人已入群" in html
    assert "¥10.00" in html
    client.force_login(manager)
    html = client.get(page).content.decode()
    assert f"ref={token}" in html, "managers read the link"
    assert client.post(reverse("livecodes:member-referral-link", args=[member.pk])).status_code == 403


def test_agents_do_not_see_referrals_on_the_member_page(client, agent, operator):
    member = Member.objects.create(external_id="R")
    referral_link_for(member)
    client.force_login(agent)
    response = client.get(reverse("members:member-detail", args=[member.pk]))
    assert 'data-testid="member-referrals"' not in response.content.decode()
