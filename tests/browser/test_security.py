"""Issue 11 in a real Chromium: under the strict Content-Security-Policy every page still runs its scripts, draws
its charts and keeps its styles (the browser reports each thing the policy blocks: none may be); the API docs
render; five wrong passwords show the lockout on the login page, in Chinese. Screenshots go to the artifacts."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import store
from campaigns.models import Order, OrderLine
from core.roles import Role
from tests.analytics.story import build_story
from tests.campaigns.factories import CampaignFactory, ItemFactory, ProductFactory
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 20_000

# Playwright's init scripts run outside the page's policy; this one records every violation the page reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


class PolicyWatch:
    """Every policy violation, console error and page error of a page, per URL visited."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _on_console(self, message):
        if message.type == "error" and "status of 429" not in message.text:
            self.problems.append(f"console error on {urlparse(self.page.url).path}: {message.text}")

    def collect(self):
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.problems.append(f"{urlparse(self.page.url).path}: {violation}")

    def assert_clean(self):
        self.collect()
        assert not self.problems, "\n".join(self.problems)


def log_in(page, base_url: str, username: str, password: str = PASSWORD):
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")


@pytest.fixture
def world():
    story = build_story()
    store.clear()
    now = timezone.now()
    live = CampaignFactory(name="周四特惠 进行中", code="LIVE", groups=[story["vip"]], status="live",
                           starts_at=now - dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=10),
                           gmv_target=Decimal("80000"))  # fmt: skip
    mask = ProductFactory(name="医用口罩(50只)", stock=900)
    ItemFactory(campaign=live, product=mask, price=Decimal("19.9"), supplier_cap=500)
    member = story["members"][0]
    for n in range(6):
        order = Order.objects.create(order_id=f"L{n}", member=member, placed_at=now - dt.timedelta(minutes=9 * n + 1),
                                     amount=Decimal("696.50"), group=story["vip"], campaign=live)  # fmt: skip
        OrderLine.objects.create(order=order, product=mask, quantity=35, amount=Decimal("696.5"))
    root = make_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    return {**story, "live": live, "root": root}


def test_browser_pages_run_under_the_content_security_policy(browser, live_server, world, artifacts):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PolicyWatch(page)
    vip, member = world["vip"], world["members"][0]
    try:
        log_in(page, live_server.url, world["root"].username)
        pages = [
            (reverse("members:member-list"), None),
            (reverse("members:member-detail", args=[member.pk]), None),
            (reverse("members:group-list"), None),
            (reverse("members:group-detail", args=[vip.pk]), None),
            (reverse("campaigns:campaign-live", args=[world["live"].pk]), ".co-live-chart canvas"),
            (reverse("campaigns:reminder-calendar"), None),
            (reverse("imports:import-list"), None),
            (reverse("analytics:dashboard") + "?week=2026-W02", None),
            (reverse("analytics:platform") + "?week=2026-W02", "[data-chart] canvas"),
            (reverse("analytics:group", args=["CD-VIP"]) + "?week=2026-W02&weeks=8", "[data-chart] canvas"),
            (reverse("analytics:decomposition") + "?after-week=2026-W02", None),
            (reverse("admin:index"), None),
            (reverse("admin:axes_accessattempt_changelist"), None),
            (reverse("api-docs"), ".swagger-ui .info .title"),
        ]
        for url, drawn in pages:
            response = page.goto(live_server.url + url)
            assert response.status == 200, url
            assert "'self'" in response.headers["content-security-policy"], url
            if drawn:
                page.locator(drawn).first.wait_for(state="attached")
            page.wait_for_load_state("networkidle")
            watch.collect()
            if url.startswith(reverse("campaigns:campaign-live", args=[world["live"].pk])):
                # The chart's height and the bars' widths came from inline style="" before: now from app.css.
                assert page.locator(".co-live-chart").bounding_box()["height"] == 260
                bar = page.locator("progress").first
                assert bar.get_attribute("value") is not None
                assert 0 < bar.bounding_box()["width"]
                page.screenshot(path=str(artifacts / "security-campaign-live.png"), full_page=True)
            if url.startswith(reverse("api-docs")):
                assert "communityops API" in page.locator(".swagger-ui .info .title").inner_text()
                # swagger.css (the inline <style> it replaced) applies.
                assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"
                page.screenshot(path=str(artifacts / "security-api-docs.png"), full_page=True)
            if url.startswith(reverse("analytics:group", args=["CD-VIP"])):
                page.screenshot(path=str(artifacts / "security-analytics-group.png"), full_page=True)
        # An htmx request (the members search) under the policy too.
        page.goto(live_server.url + reverse("members:member-list"))
        with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true"):
            page.fill("#id_q", "客户A")
        page.wait_for_load_state("networkidle")
        watch.assert_clean()
    finally:
        context.close()


def test_browser_five_wrong_passwords_show_the_lockout_in_chinese(browser, live_server, world, artifacts):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PolicyWatch(page)
    try:
        for _ in range(4):
            log_in(page, live_server.url, world["root"].username, "wrong-password")
            assert page.locator("[data-testid=login-error]").is_visible()
        log_in(page, live_server.url, world["root"].username, "wrong-password")
        assert page.locator("[data-testid=login-locked]").inner_text() == (
            "登录失败次数过多，已锁定 30 分钟；管理员可提前解锁。"
        )
        page.screenshot(path=str(artifacts / "security-login-locked.png"), full_page=True)
        # The right password is refused too while the lockout lasts.
        log_in(page, live_server.url, world["root"].username)
        assert urlparse(page.url).path == reverse("login")
        assert page.locator("[data-testid=login-locked]").is_visible()
        watch.assert_clean()
    finally:
        context.close()
