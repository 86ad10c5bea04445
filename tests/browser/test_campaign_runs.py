"""Issue 15 in a real Chromium: an operator adds next week to an existing weekly run from its page (the copy is
第N+1期 with last week's items, one week later; removing one of its items asks first), and an ended campaign's
page and live page show its result. Screenshots go to the browser artifacts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignSeries, Order
from campaigns.services import series_create
from core.roles import Role
from tests.campaigns.factories import (
    GroupFactory,
    ItemFactory,
    MemberFactory,
    ProductFactory,
    grant_campaign_permissions,
)
from tests.conftest import make_user

from .test_campaign_reminders import TIMEOUT_MS, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run_world():
    """A Thursday run of three weeks in two VIP groups: two ended with their orders, the third a draft."""
    grant_campaign_permissions()
    operator = make_user("yun", Role.OPERATOR, first_name="婷", last_name="李")
    manager = make_user("jing", Role.MANAGER, first_name="强", last_name="周")
    groups = [GroupFactory(name="成都VIP①群", owner=operator), GroupFactory(name="成都VIP②群", owner=operator)]
    today = timezone.localdate()
    last_thursday = today - dt.timedelta(days=(today.weekday() - 3) % 7 or 7)
    series = CampaignSeries(
        code="VIP", name="VIP会员特供日", first_date=last_thursday - dt.timedelta(weeks=1), weeks=3,
        gmv_target=Decimal("75000.00"), loss_cap=Decimal("3000.00"), owner=operator,
    )  # fmt: skip
    first, second, third = series_create(series=series, groups=groups)
    meter = ProductFactory(name="鱼跃电子血压计", lowest_public_price=Decimal("399"), unit_cost=Decimal("245"))
    mask = ProductFactory(name="医用口罩 50只", lowest_public_price=Decimal("25"), unit_cost=Decimal("14"))
    for campaign in (first, second, third):
        ItemFactory(campaign=campaign, product=meter, price=Decimal("299"), expected_quantity=40, supplier_cap=60)
        ItemFactory(campaign=campaign, product=mask, price=Decimal("16.9"), expected_quantity=600, position=1)
    Campaign.objects.filter(pk__in=[first.pk, second.pk]).update(status=Campaign.Status.ENDED)
    for campaign, amounts in ((first, ["40000.00", "32480.00"]), (second, ["50000.00", "29350.00"])):
        for n, amount in enumerate(amounts):
            Order.objects.create(
                order_id=f"{campaign.code}-{n}", member=MemberFactory(), amount=Decimal(amount), campaign=campaign,
                group=groups[n], placed_at=campaign.starts_at + dt.timedelta(hours=n + 1),
            )  # fmt: skip
    return {"operator": operator, "manager": manager, "series": series, "ended": second, "last": third}


def open_page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return context, page, errors


def test_browser_operator_adds_next_week_to_an_existing_run(browser, live_server, run_world, artifacts):
    operator, series, last = run_world["operator"], run_world["series"], run_world["last"]
    context, page, errors = open_page(browser)
    try:
        log_in(page, live_server.url, operator.username)
        # From the campaign list to the run's page: its total so far, then "add next week".
        page.goto(live_server.url + reverse("campaigns:campaign-list"))
        page.click(f"[data-testid=run-list] >> text={series.name}")
        page.wait_for_selector("[data-testid=run-table]")
        assert "¥151,830.00" in page.locator("[data-testid=run-total-gmv]").inner_text()  # 72,480 + 79,350
        assert page.locator("[data-testid=run-total-attainment]").inner_text() == "101%"  # of 150,000
        page.screenshot(path=str(artifacts / "run-before-next-week.png"), full_page=True)
        with page.expect_navigation():
            page.click("[data-testid=series-next-week]")

        added = series.campaigns.order_by("-starts_at").first()
        assert added.pk != last.pk
        assert page.url == live_server.url + reverse("campaigns:campaign-detail", args=[added.pk])
        heading = page.locator(".page-title").inner_text()
        assert "VIP会员特供日 第4期" in heading
        assert timezone.localtime(added.starts_at) == timezone.localtime(last.starts_at) + dt.timedelta(weeks=1)
        items = page.locator("[data-testid=item-table] tbody").inner_text()
        assert "鱼跃电子血压计" in items
        assert "医用口罩 50只" in items
        # The plan (40 × ¥299 + 600 × ¥16.90 = ¥22,100) is far below the ¥75,000 target: a warning, not a refusal.
        assert "¥22,100.00" in page.locator("[data-testid=publish-warnings]").inner_text()
        page.screenshot(path=str(artifacts / "run-next-week-added.png"), full_page=True)

        # Removing an item asks first: dismissing keeps it, accepting removes it.
        page.once("dialog", lambda dialog: dialog.dismiss())
        page.locator("[data-testid=remove-item]").first.click()
        page.wait_for_timeout(300)
        assert added.items.count() == 2
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.locator("[data-testid=remove-item]").first.click()
        expect(page.locator("[data-testid=remove-item]")).to_have_count(1)
        assert added.items.count() == 1

        # The run's page numbers it and the list shows it.
        page.goto(live_server.url + reverse("campaigns:series-detail", args=[series.pk]))
        rows = page.locator("[data-testid=run-row]")
        assert rows.count() == 4
        assert "第4期" in rows.nth(3).inner_text()
    finally:
        context.close()
    assert not errors


def test_browser_ended_campaign_page_shows_its_result(browser, live_server, run_world, artifacts):
    manager, ended = run_world["manager"], run_world["ended"]
    context, page, errors = open_page(browser)
    try:
        log_in(page, live_server.url, manager.username)
        page.goto(live_server.url + reverse("campaigns:campaign-detail", args=[ended.pk]))
        result = page.locator("[data-testid=campaign-result]")
        assert "最终结果" in result.inner_text()
        assert page.locator("[data-testid=result-gmv]").inner_text() == "¥79,350.00"
        assert page.locator("[data-testid=result-attainment]").inner_text() == "106%"
        assert page.locator("[data-testid=result-orders]").inner_text() == "2"
        assert page.locator("[data-testid=result-buyers]").inner_text() == "2"
        assert page.locator("[data-testid=campaign-status]").inner_text() == "已结束"
        assert "鱼跃电子血压计" in page.locator("[data-testid=item-table]").inner_text()
        assert page.locator("[data-testid=apply-playbook]").count() == 0
        assert page.locator("[data-testid=schedule-form]").count() == 0
        page.screenshot(path=str(artifacts / "campaign-ended.png"), full_page=True)

        # Its live page: ended, final figures, no pace projection.
        page.click("text=最终结果 >> nth=0")
        page.wait_for_selector("[data-testid=live-ended]")
        assert page.locator("[data-testid=live-gmv]").inner_text() == "¥79,350.00"
        assert page.locator("[data-testid=live-attainment]").inner_text() == "106%"
        assert page.locator("[data-testid=live-projected]").count() == 0
        assert not page.title().startswith("进行中")
        page.screenshot(path=str(artifacts / "campaign-ended-live.png"), full_page=True)

        # At phone width the result reads without sideways scrolling.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(live_server.url + reverse("campaigns:campaign-detail", args=[ended.pk]))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "campaign-ended-390.png"), full_page=True)
    finally:
        context.close()
    assert not errors
