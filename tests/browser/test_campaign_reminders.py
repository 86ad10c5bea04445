"""Acceptance 5: an operator applies the warm-up playbook to a new campaign in a real Chromium, sees the reminders
in the calendar, marks one done in the inbox (htmx, one click); the database says so afterwards. Screenshots of
the campaigns pages go to the browser artifacts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.delivery import reminders_sweep
from campaigns.models import Order, OrderLine, Reminder
from core.roles import Role
from tests.campaigns.factories import (
    CampaignFactory,
    GroupFactory,
    ItemFactory,
    MemberFactory,
    ProductFactory,
    grant_campaign_permissions,
    shipped_playbook,
)
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 20_000


def log_in(page, base_url: str, username: str):
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=login-submit]")


@pytest.fixture
def operator_world():
    grant_campaign_permissions()
    playbook = shipped_playbook("weekly-warm-up")
    operator = make_user("yun", Role.OPERATOR, first_name="云", last_name="李")
    group = GroupFactory(name="四川VIP1群", owner=operator)
    other = GroupFactory(name="四川VIP2群", owner=operator)
    # A Thursday 10:00–22:00 after tomorrow: the warm-up's Wednesday steps are all still ahead (on a Wednesday,
    # tomorrow's campaign has today's 10:00 red packet behind it).
    today = timezone.localdate()
    days = (3 - today.weekday()) % 7
    thursday = today + dt.timedelta(days=days if days >= 2 else days + 7)
    tz = timezone.get_current_timezone()
    starts_at = dt.datetime.combine(thursday, dt.time(10), tzinfo=tz)
    campaign = CampaignFactory(name="VIP周四特惠", code="VIP-THU", groups=[group, other], starts_at=starts_at,
                               ends_at=starts_at + dt.timedelta(hours=12), owner=operator)  # fmt: skip
    ItemFactory(campaign=campaign, product=ProductFactory(name="电子血压计", lowest_public_price=Decimal("399")),
                price=Decimal("299"), expected_quantity=30)  # fmt: skip
    ItemFactory(campaign=campaign, product=ProductFactory(name="医用口罩", lowest_public_price=Decimal("25"),
                unit_cost=Decimal("15")), price=Decimal("19.9"), expected_quantity=400)  # fmt: skip
    return {"operator": operator, "group": group, "other": other, "campaign": campaign, "playbook": playbook}


def test_browser_operator_applies_warm_up_sees_calendar_and_marks_done(browser, live_server, operator_world, artifacts):
    operator, campaign, playbook = operator_world["operator"], operator_world["campaign"], operator_world["playbook"]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, live_server.url, operator.username)

        # Apply the warm-up playbook to the campaign's two groups from the campaign page.
        page.goto(live_server.url + reverse("campaigns:campaign-detail", args=[campaign.pk]))
        form = page.locator("[data-testid=apply-playbook]")
        assert form.locator("select").input_value() == str(playbook.pk)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator(".alert-success").count() >= 1
        page.screenshot(path=str(artifacts / "campaign-detail.png"), full_page=True)
        steps = playbook.steps.count()
        assert Reminder.objects.filter(campaign=campaign).count() == 2 * steps

        # The calendar of the campaign's week shows them, per group, with the red packets named 周四10点.
        week = timezone.localtime(campaign.starts_at).date()
        page.goto(f"{live_server.url}{reverse('campaigns:reminder-calendar')}?week={week:%Y-%m-%d}")
        calendar = page.locator("[data-testid=calendar]")
        assert calendar.locator("text=四川VIP1群").count() == 1
        assert calendar.locator("text=发红包 ¥0.50 × 10「周四10点」").count() == 6  # 3 per group
        page.screenshot(path=str(artifacts / "reminder-calendar.png"), full_page=True)

        # The first red packet comes due (time moves on): the real sweep delivers it to the inbox.
        packet = Reminder.objects.filter(campaign=campaign, group=operator_world["group"], kind="red_packet").earliest(
            "due_at"
        )
        Reminder.objects.filter(pk=packet.pk).update(
            due_at=timezone.now() - dt.timedelta(minutes=3), next_attempt_at=timezone.now() - dt.timedelta(minutes=3)
        )
        assert reminders_sweep().sent == 1
        page.goto(live_server.url + reverse("campaigns:reminder-inbox"))
        row = page.locator(f"[data-testid=reminder-{packet.pk}]")
        assert "周四10点" in row.inner_text()
        page.screenshot(path=str(artifacts / "reminder-inbox.png"), full_page=True)
        with page.expect_response(lambda r: "/complete/" in r.url and r.request.headers.get("hx-request") == "true"):
            row.locator("[data-testid=done]").click()
        page.wait_for_selector(f"[data-testid=reminder-{packet.pk}] [data-testid=reminder-status]")
        assert page.url.endswith(reverse("campaigns:reminder-inbox"))  # no full reload, no navigation
        page.screenshot(path=str(artifacts / "reminder-inbox-done.png"), full_page=True)
    finally:
        context.close()

    packet.refresh_from_db()
    assert packet.status == Reminder.Status.DONE
    assert packet.done_by == operator
    assert packet.done_at is not None
    others = Reminder.objects.filter(campaign=campaign).exclude(pk=packet.pk)
    assert set(others.values_list("status", flat=True)) == {"pending"}
    assert not errors


def test_browser_campaign_pages_render(browser, live_server, operator_world, artifacts):
    """A tour for the eye: list, refused publish, live page with orders and a restock alert, playbook, coupons."""
    operator, campaign, group = operator_world["operator"], operator_world["campaign"], operator_world["group"]
    now = timezone.now()
    live = CampaignFactory(name="周四特惠 进行中", code="LIVE", groups=[group], status="live", owner=operator,
                           starts_at=now - dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=10),
                           gmv_target=Decimal("80000"))  # fmt: skip
    mask = ProductFactory(name="医用口罩(50只)", stock=900)
    ItemFactory(campaign=live, product=mask, price=Decimal("19.9"), supplier_cap=500)
    ItemFactory(campaign=live, product=ProductFactory(name="电子血压计"), price=Decimal("299"), supplier_cap=60)
    member = MemberFactory()
    for n in range(12):
        order = Order.objects.create(order_id=f"L{n}", member=member, placed_at=now - dt.timedelta(minutes=7 * n + 1),
                                     amount=Decimal("1592.00"), group=group, campaign=live)  # fmt: skip
        OrderLine.objects.create(order=order, product=mask, quantity=35, amount=Decimal("696.5"))
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, live_server.url, operator.username)
        for name, args, shot in [
            ("campaigns:campaign-list", [], "campaign-list"),
            ("campaigns:campaign-live", [live.pk], "campaign-live"),
            ("campaigns:playbook-detail", [operator_world["playbook"].pk], "playbook-detail"),
            ("campaigns:coupon-list", [], "coupons"),
            ("campaigns:series-create", [], "series-form"),
        ]:
            response = page.goto(live_server.url + reverse(name, args=args))
            assert response.status == 200, name
            if name == "campaigns:campaign-live":
                page.wait_for_function("document.querySelector('.co-live-chart canvas') !== null")
                assert "tell the supplier to restock" in page.content() or "补货" in page.content()
            page.screenshot(path=str(artifacts / f"{shot}.png"), full_page=True)
        # A refused publish lists its reasons.
        ItemFactory(campaign=campaign, product=ProductFactory(name="维生素C片", lowest_public_price=Decimal("39")),
                    price=Decimal("39"))  # fmt: skip
        page.goto(live_server.url + reverse("campaigns:campaign-detail", args=[campaign.pk]))
        with page.expect_navigation():
            page.click("[data-testid=publish]")
        # Post/redirect/get: the refusal lands on the campaign's URL, which lists the reasons.
        assert page.url == live_server.url + reverse("campaigns:campaign-detail", args=[campaign.pk])
        refused = page.locator("[data-testid=publish-checks]").inner_text()
        assert "维生素C片" in refused
        page.screenshot(path=str(artifacts / "campaign-publish-refused.png"), full_page=True)
    finally:
        context.close()
    assert not errors
