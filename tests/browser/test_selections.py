"""In a real Chromium: an operator narrows the members list to the dormant big buyers of one group, saves the
filter by name, and opens it again from the menu; the database holds exactly that filter."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core.roles import Role
from members.models import SavedSelection
from tests.browser.test_ui import TIMEOUT_MS, PageWatch, log_in
from tests.conftest import make_user
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, OrderFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_analytics_store")]


@pytest.fixture
def world():
    now = timezone.now()
    vip = GroupFactory(code="CD-VIP1", name="成都VIP1")
    other = GroupFactory(code="CD-DAILY", name="成都日常群")
    big_dormant = MemberFactory(name="沉睡大客户", cumulative_purchase=Decimal("8000"))
    small_dormant = MemberFactory(name="沉睡小客户", cumulative_purchase=Decimal("900"))
    core = MemberFactory(name="主力客户甲", cumulative_purchase=Decimal("9000"))
    for member in (big_dormant, small_dormant, core):
        MembershipFactory(member=member, group=vip, joined_at=now - timedelta(days=200))
    MembershipFactory(member=core, group=other, joined_at=now - timedelta(days=200))
    OrderFactory(member=big_dormant, group=vip, placed_at=now - timedelta(days=60))
    OrderFactory(member=small_dormant, group=vip, placed_at=now - timedelta(days=70))
    for days in (2, 9):
        OrderFactory(member=core, group=vip, placed_at=now - timedelta(days=days))
    return {"vip": vip}


def result_count(page) -> str:
    return page.get_attribute("[data-testid=result-count]", "data-count")


def test_browser_operator_saves_and_reopens_a_segment_selection(browser, live_server, world, artifacts):
    make_user("op", Role.OPERATOR)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, "op")
        page.goto(live_server.url + reverse("members:member-list"))
        assert result_count(page) == "3"
        vip = str(world["vip"].pk)
        with page.expect_response(lambda r: f"group={vip}" in r.url):
            page.select_option("#id_group", vip)
        with page.expect_response(lambda r: "segment=dormant" in r.url):
            page.select_option("#id_segment", "dormant")
        expect(page.locator("[data-testid=result-count]")).to_have_attribute("data-count", "2", timeout=TIMEOUT_MS)
        # The member's segment in each of their groups is on the row, in Chinese.
        assert "成都VIP1 · 沉睡客户" in " ".join(page.inner_text("[data-testid=member-table]").split())
        with page.expect_response(lambda r: "min_purchase=5000" in r.url):
            page.fill("#id_min_purchase", "5000")
            page.press("#id_min_purchase", "Tab")
        expect(page.locator("[data-testid=result-count]")).to_have_attribute("data-count", "1", timeout=TIMEOUT_MS)
        assert "沉睡大客户" in page.inner_text("[data-testid=member-table]")

        # Name the filter and save it (the name box sits outside the results each filter change replaces).
        page.fill("input[name=name][form=save-selection-form]", "成都VIP1 沉睡 ≥5000")
        with page.expect_navigation():
            page.click("[data-testid=save-selection]")
        assert "已保存筛选" in page.content()
        page.screenshot(path=str(artifacts / "members-saved-selection.png"))
        saved = SavedSelection.objects.get()
        assert saved.name == "成都VIP1 沉睡 ≥5000"
        assert saved.query == f"group={vip}&segment=dormant&min_purchase=5000"

        # Later: open it from the menu on a fresh members list.
        page.goto(live_server.url + reverse("members:member-list"))
        assert result_count(page) == "3"
        page.click("[data-testid=selections-menu]")
        with page.expect_navigation():
            page.click("text=成都VIP1 沉睡 ≥5000")
        assert result_count(page) == "1"
        assert page.input_value("#id_segment") == "dormant"
        watch.assert_clean()
    finally:
        context.close()


HUMAN_DELAY_MS = 120  # about eight keys a second: an operator typing, not a script filling a field


@pytest.mark.parametrize(
    ("filter_field", "filter_value", "refresh_marker", "count"),
    [
        # A number field refreshes the results when it loses focus: clicking into the name box does that.
        ("#id_min_purchase", "5000", "min_purchase=5000", "2"),
        # The search box refreshes 400 ms after the last key: while the operator is already typing the name.
        ("#id_q", "沉睡大", "q=", "1"),
    ],
    ids=["number-then-name", "search-then-name"],
)
def test_browser_a_name_typed_while_the_results_refresh_is_saved(
    browser, live_server, world, artifacts, filter_field, filter_value, refresh_marker, count
):
    make_user("op", Role.OPERATOR)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, "op")
        page.goto(live_server.url + reverse("members:member-list"))
        vip = str(world["vip"].pk)
        with page.expect_response(lambda r: f"group={vip}" in r.url):
            page.select_option("#id_group", vip)
        name_box = page.locator("input[name=name][form=save-selection-form]")
        name_box.wait_for(state="visible")

        page.click(filter_field)
        page.keyboard.type(filter_value, delay=HUMAN_DELAY_MS)
        name = "成都VIP1 沉睡大客户 回访"
        # The refresh the filter asked for lands while the name is being typed (the test waits for it inside).
        with page.expect_response(lambda r: refresh_marker in r.url and "/members/" in r.url):
            name_box.click()
            page.keyboard.type(name, delay=HUMAN_DELAY_MS)
        page.wait_for_selector(f"[data-testid=result-count][data-count='{count}']")
        page.wait_for_selector(".htmx-request", state="detached")
        assert name_box.input_value() == name
        with page.expect_navigation():
            page.click("[data-testid=save-selection]")
        assert "已保存筛选" in page.content(), page.inner_text("body")
        page.screenshot(path=str(artifacts / f"members-save-while-refreshing-{filter_field[4:]}.png"))
        saved = SavedSelection.objects.get()
        assert saved.name == name
        assert f"group={vip}" in saved.query
        assert refresh_marker in saved.query
        watch.assert_clean()
    finally:
        context.close()
