"""Acceptance 4 of issue 5: a manager opens a group's weekly trends and the GMV decomposition in a real Chromium,
in Chinese, and every chart is drawn (its canvas holds series, not an empty frame). Screenshots go to the browser
artifacts."""

import random
from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.urls import reverse

from analytics import store
from campaigns.models import Order
from core.roles import Role
from members.models import Member, Membership
from tests.analytics.story import build_story, local
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 20_000

# Counts the canvas pixels that are neither transparent nor near-white, and the distinct colours among them.
INK = """
(box) => {
  const canvas = box.querySelector("canvas");
  if (!canvas) return {ink: 0, colours: 0};
  const ctx = canvas.getContext("2d");
  const {data} = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let ink = 0; const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 0 && (r < 235 || g < 235 || b < 235)) { ink++; colours.add((r >> 4) + "," + (g >> 4) + "," + (b >> 4)); }
  }
  return {ink, colours: colours.size, width: canvas.width, height: canvas.height};
}
"""


@pytest.fixture
def numbers_world():
    """The hand-made story plus twelve weeks of seeded orders in CD-VIP, so every chart has a story to draw."""
    grant = import_module("analytics.migrations.0002_grant_roles")
    from django.contrib.auth.models import Group, Permission

    for codename, roles in grant.GRANTS.items():
        permission = Permission.objects.get(content_type__app_label="analytics", codename=codename)
        for role in roles:
            Group.objects.get(name=role).permissions.add(permission)
    story = build_story()
    rng = random.Random(5)
    vip = story["vip"]
    members = Member.objects.bulk_create([Member(external_id=f"V{i}", name=f"药房老板{i}") for i in range(40)])
    Membership.objects.bulk_create(
        Membership(member=m, group=vip, joined_at=local(2025, 9, 1) + timedelta(days=rng.randrange(0, 90)))
        for m in members
    )
    orders = []
    for i in range(600):
        member = rng.choice(members[: 10 + i // 30])  # a core that grows: early weeks have fewer buyers
        at = local(2025, 10, 13) + timedelta(days=rng.randrange(0, 91), hours=rng.choice([10, 14, 20]))
        amount = Decimal(rng.choice([199, 399, 880, 1280, 2599])) + Decimal(rng.randrange(0, 100)) / 100
        orders.append(Order(order_id=f"B{i}", member=member, group=vip, placed_at=at, amount=amount))
    Order.objects.bulk_create(orders)
    store.clear()
    return {"manager": make_user("jing", Role.MANAGER, first_name="静", last_name="王"), **story}


def log_in(page, base_url: str, username: str):
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")


def assert_charts_drawn(page, testids):
    for testid in testids:
        box = page.locator(f"[data-testid={testid}]")
        box.locator("canvas").first.wait_for(state="attached", timeout=TIMEOUT_MS)
        ink = box.evaluate(INK)
        assert ink["width"] > 100, (testid, ink)
        # Axes and labels alone are grey: drawn series add coloured pixels.
        assert ink["ink"] > 2000, (testid, ink)
        assert ink["colours"] >= 4, (testid, ink)


def test_browser_manager_sees_group_trends_and_decomposition_drawn_in_chinese(
    browser, live_server, numbers_world, artifacts
):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, numbers_world["manager"].username)

    page.goto(live_server.url + reverse("analytics:group", args=["CD-VIP"]) + "?week=2026-W02&weeks=12")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "主力客户" in page.content()
    assert_charts_drawn(page, ["chart-gmv", "chart-factors", "chart-segments", "chart-rates", "chart-forecast"])
    assert "营业额" in page.locator("[data-testid=sentence]").inner_text()
    page.screenshot(path=str(artifacts / "analytics-group.png"), full_page=True)
    # The numbers behind a chart are one click away.
    page.click("[data-testid=rates-table-tab]")
    page.locator("#rates-table table").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "新增率" in page.locator("#rates-table").inner_text()

    page.goto(live_server.url + reverse("analytics:decomposition") + "?after-week=2026-W02&group=CD-VIP")
    assert_charts_drawn(page, ["chart-waterfall"])
    sentence = page.locator("[data-testid=sentence]").inner_text()
    assert sentence.startswith("营业额 ")
    assert "主力客户" in sentence
    page.screenshot(path=str(artifacts / "analytics-decomposition.png"), full_page=True)

    page.goto(live_server.url + reverse("analytics:dashboard") + "?week=2026-W02")
    page.locator("[data-testid=ranking]").wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "analytics-ranking.png"), full_page=True)
    page.goto(live_server.url + reverse("analytics:platform") + "?week=2026-W02")
    assert_charts_drawn(page, ["chart-grades", "chart-gmv", "chart-factors"])
    page.screenshot(path=str(artifacts / "analytics-platform.png"), full_page=True)
    assert not errors, errors
    context.close()


def test_browser_manager_reads_the_weekly_recap_and_writes_its_retrospective(
    browser, live_server, numbers_world, artifacts
):
    """Issue 14: the recap page in Chinese, its four charts drawn, and the retrospective kept with the week."""
    from django.apps import apps

    from campaigns.models import Campaign
    from core.grants import grant_role_permissions

    grant_role_permissions(apps, "analytics", import_module("analytics.migrations.0005_recap_roles").GRANTS)
    campaign = Campaign.objects.create(
        code="THU-W02", name="周四特惠", starts_at=local(2026, 1, 8, 10), ends_at=local(2026, 1, 8, 22),
        gmv_target=Decimal("3000.00"), status=Campaign.Status.ENDED,
    )  # fmt: skip
    campaign.groups.add(numbers_world["vip"])
    Order.objects.filter(placed_at__gte=local(2026, 1, 8), placed_at__lt=local(2026, 1, 9)).update(campaign=campaign)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, numbers_world["manager"].username)
    page.goto(live_server.url + reverse("analytics:recap") + "?period=2026-W02")
    assert "复盘" in page.title()
    assert_charts_drawn(page, ["chart-targets", "chart-waterfall", "chart-movers", "chart-rates"])
    assert "周四特惠" in page.locator("[data-testid=recap-targets]").inner_text()
    page.screenshot(path=str(artifacts / "analytics-recap.png"), full_page=True)
    page.fill("#id_text", "首场活动落地页不适配手机")
    with page.expect_navigation():
        page.click("[data-testid=recap-note-save]")
    assert page.locator("#id_text").input_value() == "首场活动落地页不适配手机"
    page.goto(live_server.url + reverse("analytics:recap") + "?period=2026-W01")
    assert page.locator("#id_text").input_value() == ""
    assert not errors, errors
    context.close()
