"""Acceptance 4: each role logs in through the login form and opens its pages in a real Chromium; the members
list renders Chinese with real glyphs (no tofu boxes); a page error, a console error or an unmasked phone fails.
"""

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from core.roles import Role
from tests.conftest import PASSWORD, make_user
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, OrderFactory, TagFactory

pytestmark = pytest.mark.django_db(transaction=True)

E164 = "+8613812348000"
FULL = "13812348000"
MASKED = "138****8000"
TIMEOUT_MS = 20_000

ROLES = {
    # role: (start page after login, may see full phone numbers)
    Role.OPERATOR: ("members:group-list", False),
    Role.AGENT: ("outreach:my-calls", False),
    Role.MANAGER: ("members:group-list", False),
    Role.ADMIN: ("members:group-list", True),
}


@pytest.fixture
def world():
    tag = TagFactory(code="3", name="皮肤")
    group = GroupFactory(name="成都药店VIP群", code="G-VIP")
    member = MemberFactory(name="赵敏", store_name="康宁大药房", phone=E164, tags=[tag])
    MembershipFactory(member=member, group=group)
    for other in MemberFactory.create_batch(8):
        MembershipFactory(member=other, group=group)
    OrderFactory(member=member, group=group)
    return {"member": member, "group": group}


class PageWatch:
    """Records every failed response, console error and page error of a browser page."""

    def __init__(self, page, base_url: str):
        self.base = urlparse(base_url).netloc
        self.expected_403: set[str] = set()
        self.problems: list[str] = []
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._on_request_failed)

    def _on_response(self, response):
        url = urlparse(response.url)
        if url.netloc != self.base:
            self.problems.append(f"request to another host: {response.url}")
        if response.status >= 400 and not (response.status == 403 and url.path in self.expected_403):
            self.problems.append(f"{response.status} {response.url}")

    def _on_request_failed(self, request):
        # A navigation aborts what the old page still had in flight; that is not a failure of the app.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def _on_console(self, message):
        if message.type != "error":
            return
        if self.expected_403 and "status of 403" in message.text:
            return  # Chromium logs every 403 document load; the response check above judges those
        self.problems.append(f"console error: {message.text}")

    def assert_clean(self):
        assert not self.problems, "\n".join(self.problems)


def log_in(page, base_url: str, username: str):
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")


def assert_phone_shown_right(html: str, sees_full: bool, where: str):
    if sees_full:
        assert FULL in html, where
    else:
        assert FULL not in html, f"full phone number shown in {where}"
        assert E164 not in html, f"full phone number shown in {where}"


@pytest.mark.parametrize("role", list(ROLES))
def test_browser_role_logs_in_and_opens_its_pages(browser, live_server, world, role):
    start, sees_full = ROLES[role]
    user = make_user(f"user-{role}", role, is_staff=(role == Role.ADMIN))
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, user.username)
        assert urlparse(page.url).path == reverse(start)
        label = {Role.OPERATOR: "运营", Role.AGENT: "客服", Role.MANAGER: "经理", Role.ADMIN: "管理员"}[role]
        assert page.locator("[data-testid=user-roles]").inner_text() == label

        # Every entry of the role's menu opens (pages built later join this test through the menu).
        hrefs = page.eval_on_selector_all("a[data-nav]", "els => els.map(e => e.getAttribute('href'))")
        assert reverse("members:member-list") in hrefs
        assert reverse("members:group-list") in hrefs
        assert (reverse("admin:index") in hrefs) is (role == Role.ADMIN)
        for href in dict.fromkeys(hrefs):
            response = page.goto(live_server.url + href)
            assert response.status == 200, f"{role} {href}: {response.status}"

        # Members list, its htmx search, member detail and the group page: the phone as this role may see it.
        page.goto(live_server.url + reverse("members:member-list"))
        assert_phone_shown_right(page.content(), sees_full, "members list")
        with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true"):
            page.fill("#id_q", "赵敏")
        expect(page.locator("[data-testid=result-count]")).to_have_attribute("data-count", "1", timeout=TIMEOUT_MS)
        assert "q=" in page.url  # the filters are in the address bar: bookmarkable
        results = page.inner_html("[data-testid=member-results]")
        assert "赵敏" in results
        assert (MASKED in results) is not sees_full
        assert_phone_shown_right(results, sees_full, "htmx search results")

        page.click("text=赵敏")
        page.wait_for_url(re.compile(r"/members/\d+/$"))
        assert page.inner_text("[data-testid=member-phone]") == (FULL if sees_full else MASKED)
        assert_phone_shown_right(page.content(), sees_full, "member detail")

        page.goto(live_server.url + reverse("members:group-detail", args=[world["group"].pk]))
        assert "成都药店VIP群" in page.content()
        assert_phone_shown_right(page.content(), sees_full, "group page")

        # Log out through the user menu.
        page.click("[data-testid=user-menu]")
        with page.expect_navigation():
            page.click("[data-testid=logout]")
        assert urlparse(page.url).path == reverse("login")
        watch.assert_clean()
    finally:
        context.close()


def test_browser_forbidden_page_is_a_styled_403(browser, live_server, world):
    make_user("nobody")
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    watch.expected_403 = {reverse("home"), reverse("members:member-list")}
    try:
        log_in(page, live_server.url, "nobody")
        assert page.locator("[data-testid=error-403]").is_visible()
        response = page.goto(live_server.url + reverse("members:member-list"))
        assert response.status == 403
        assert page.locator("[data-testid=error-403]").is_visible()
        assert "你不能打开这个页面" in page.content()
        assert "赵敏" not in page.content()
        watch.assert_clean()
    finally:
        context.close()


# Measure how a string renders with the page's own font stack: ink and a fingerprint of the pixels.
RENDER_JS = """
([text, font]) => {
  const canvas = document.createElement('canvas');
  canvas.width = 96; canvas.height = 64;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 96, 64);
  ctx.fillStyle = '#000'; ctx.font = font; ctx.textBaseline = 'top';
  ctx.fillText(text, 8, 8);
  const data = ctx.getImageData(0, 0, 96, 64).data;
  let ink = 0, hash = 0;
  for (let i = 0; i < data.length; i += 4) {
    const dark = data[i] < 128 ? 1 : 0;
    ink += dark;
    hash = (hash * 31 + dark * (i + 1)) % 1000000007;
  }
  return {ink, hash};
}
"""


def test_browser_members_list_in_chinese_shows_real_glyphs(browser, live_server, world, artifacts):
    operator = make_user("op-glyphs", Role.OPERATOR)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, operator.username)
        page.goto(live_server.url + reverse("members:member-list"))
        page.evaluate("document.fonts.ready")
        assert page.get_attribute("html", "lang") == "zh-hans"
        title = page.locator("h2.page-title")
        assert title.inner_text() == "客户"
        page.screenshot(path=str(artifacts / "members-list-zh-hans.png"), full_page=True)

        # The vendored Noto Sans SC (Chinese subset) was downloaded from the app and is used for Chinese.
        loaded = page.evaluate(
            """() => [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Noto Sans SC'
                   && f.status === 'loaded').map(f => f.unicodeRange)"""
        )
        assert any("U+4E00" in r.upper() for r in loaded), loaded
        assert page.evaluate("document.fonts.check('16px \"Noto Sans SC\"', '客户')")

        # Pixels: each Chinese character draws its own glyph with the page's font stack. A missing glyph draws the
        # same tofu box for every character, so distinct characters would give identical pictures.
        font = "32px " + page.evaluate("getComputedStyle(document.body).fontFamily")
        tofu_a = page.evaluate(RENDER_JS, ["\U0010fffd", font])
        tofu_b = page.evaluate(RENDER_JS, ["\U0010fffc", font])
        assert tofu_a == tofu_b, "the tofu reference should be the same box for any missing glyph"
        glyphs = {ch: page.evaluate(RENDER_JS, [ch, font]) for ch in "客户群运营"}
        for ch, rendering in glyphs.items():
            assert rendering["ink"] > 40, f"{ch} drew nothing"
            assert rendering != tofu_a, f"{ch} rendered as a tofu box"
        assert len({r["hash"] for r in glyphs.values()}) == len(glyphs), "distinct characters drew the same glyph"

        # The same check on the page itself: the real title against the title made of missing glyphs.
        real = title.screenshot()
        page.evaluate("el => { el.textContent = '\\u{10FFFD}\\u{10FFFC}'; }", title.element_handle())
        tofu_title = title.screenshot()
        page.evaluate("el => { el.textContent = '户客'; }", title.element_handle())
        swapped = title.screenshot()
        assert real != tofu_title, "the Chinese title renders like missing glyphs"
        assert real != swapped, "客户 and 户客 render the same: the characters have no distinct glyphs"
        (artifacts / "members-title-zh-hans.png").write_bytes(real)
        watch.assert_clean()
    finally:
        context.close()


def test_browser_members_list_is_usable_on_a_phone(browser, live_server, world, artifacts):
    agent = make_user("agent-phone", Role.AGENT)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, agent.username)
        page.goto(live_server.url + reverse("members:member-list"))
        # Nothing forces sideways scrolling, and the menu opens from the toggler.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert not page.locator("#navbar-menu").is_visible()
        page.click(".navbar-toggler")
        page.locator("#navbar-menu a[data-nav=members]").wait_for(state="visible")
        page.wait_for_selector("#navbar-menu.show:not(.collapsing)")
        page.screenshot(path=str(artifacts / "members-list-phone.png"))
        assert MASKED in page.content()
        watch.assert_clean()
    finally:
        context.close()


def test_browser_expired_session_sends_an_htmx_filter_to_the_login_page(browser, live_server, world):
    operator = make_user("op-expired", Role.OPERATOR)
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, operator.username)
        page.goto(live_server.url + reverse("members:member-list"))
        context.clear_cookies()
        page.fill("#id_q", "赵敏")
        page.wait_for_url(re.compile(r"/accounts/login/\?next="))
        assert page.locator("#id_username").is_visible()
        assert page.locator("[data-testid=member-results]").count() == 0
        watch.assert_clean()
    finally:
        context.close()
