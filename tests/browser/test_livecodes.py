"""In a real Chromium at a phone's size (390×844): the live code page speaks Chinese, is readable without
zooming (body text ≥ 14 px), never scrolls sideways, shows a QR image that loads; when the groups are full it
shows the service account instead; the referral form fits too. Screenshots go to the browser artifacts."""

import pytest
from django.contrib.auth.models import User

from members.models import Group
from tests.browser.test_ui import TIMEOUT_MS, PageWatch
from tests.livecodes.helpers import fill, live_code_with

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}

MEASURE = """() => {
  const texts = [...document.querySelectorAll('main p, main label, main button, main input')]
    .filter(el => el.offsetParent !== null && el.textContent.trim().length + (el.value || '').length > 0);
  const sizes = texts.map(el => parseFloat(getComputedStyle(el).fontSize));
  const img = document.querySelector('img.co-livecode-qr');
  return {
    lang: document.documentElement.lang,
    smallest: Math.min(...sizes),
    count: sizes.length,
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    image: img ? {loaded: img.complete && img.naturalWidth > 0, width: img.getBoundingClientRect().width} : null,
  };
}"""


def open_phone(browser, url):
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 MicroMessenger/8.0.40",
    )  # fmt: skip
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, url)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return context, page, watch


def check_readable(page) -> dict:
    measured = page.evaluate(MEASURE)
    assert measured["lang"] == "zh-hans"
    assert measured["count"] > 0
    assert measured["smallest"] >= 14, measured
    assert measured["scrollWidth"] <= measured["clientWidth"], measured
    return measured


def test_browser_live_code_page_on_a_phone(browser, live_server, artifacts, settings):
    settings.LIVECODE_REDIS_URL = ""
    owner = User.objects.create_user("owner")
    live_code_with(owner, [("VIP1", 500, 120)])
    context, page, watch = open_phone(browser, f"{live_server.url}/j/vip/")
    try:
        measured = check_readable(page)
        assert measured["image"]["loaded"], measured
        assert 200 <= measured["image"]["width"] <= 390
        assert "长按识别二维码" in page.inner_text("main")
        assert "VIP1群" in page.inner_text("main")
        page.screenshot(path=str(artifacts / "livecode-phone.png"), full_page=True)
        watch.assert_clean()
    finally:
        context.close()

    fill(Group.objects.get(code="VIP1"), 80)  # the group is full: the service account, no dead QR
    context, page, watch = open_phone(browser, f"{live_server.url}/j/vip/")
    try:
        check_readable(page)
        assert "加客服微信 chuanyao-kefu" in page.inner_text("main")
        assert page.query_selector("img.co-livecode-qr") is None
        page.screenshot(path=str(artifacts / "livecode-phone-full.png"), full_page=True)
        watch.assert_clean()
    finally:
        context.close()


def test_browser_referral_form_on_a_phone(browser, live_server, artifacts, settings):
    from livecodes.models import Referral
    from livecodes.services import referral_link_for
    from members.models import Member

    settings.LIVECODE_REDIS_URL = ""
    owner = User.objects.create_user("owner")
    live_code_with(owner, [("VIP1", 500, 0)])
    token = referral_link_for(Member.objects.create(external_id="R", name="王老板")).token
    context, page, watch = open_phone(browser, f"{live_server.url}/j/vip/?ref={token}")
    try:
        check_readable(page)
        page.fill("input[name=phone]", "138 0013 8000")
        with page.expect_navigation():
            page.click("[data-testid=referral-form] button[type=submit]")
        assert page.query_selector("[data-testid=referral-done]") is not None
        check_readable(page)
        page.screenshot(path=str(artifacts / "livecode-phone-referral.png"), full_page=True)
        watch.assert_clean()
    finally:
        context.close()
    assert Referral.objects.get().phone == "+8613800138000"
