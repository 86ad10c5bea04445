"""The reminder inbox in a real Chromium, as the daily job: an operator copies an announcement's text (the job is
pasting it into WeChat) and the clipboard holds exactly that text; a week-old reminder says how late it is; the
manager sees the team's overdue reminders and may close one."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Reminder
from core.roles import Role
from tests.browser.test_ui import TIMEOUT_MS, PageWatch, log_in
from tests.campaigns.factories import GroupFactory, ReminderFactory, grant_campaign_permissions
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

ANNOUNCEMENT = "【群公告】今天 10:00 开始，22:00 结束。\n电子血压计 ¥299\n活动链接：https://example.cn/c/VIP-THU"


@pytest.fixture
def world():
    grant_campaign_permissions()
    operator = make_user("yun", Role.OPERATOR, first_name="云", last_name="李")
    manager = make_user("jing", Role.MANAGER, first_name="丽", last_name="王")
    group = GroupFactory(name="四川VIP1群", owner=operator)
    now = timezone.now()
    announcement = ReminderFactory(
        assignee=operator, group=group, status="sent", kind="announcement", title="群公告：今天10点开始",
        text=ANNOUNCEMENT, due_at=now - dt.timedelta(days=3, hours=1),
    )  # fmt: skip
    red_packet = ReminderFactory(
        assignee=operator, group=group, status="sent", kind="red_packet", title="发红包 ¥0.50 × 10「周四10点」",
        text="红包名称写活动时间。", due_at=now - dt.timedelta(days=3, hours=2),
    )  # fmt: skip
    return {"operator": operator, "manager": manager, "announcement": announcement, "red_packet": red_packet}


def test_browser_copying_an_announcement_puts_its_text_in_the_clipboard(browser, live_server, world, artifacts):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1440, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, "yun")
        page.goto(live_server.url + reverse("campaigns:reminder-inbox"))
        row = page.locator(f"[data-testid=reminder-{world['announcement'].pk}]")
        # Three days late, in the section of earlier days, saying so.
        assert page.locator("[data-testid=inbox-earlier]").locator(f"#reminder-{world['announcement'].pk}").count()
        assert row.locator("[data-testid=overdue]").inner_text() == "逾期 3 天"
        # The red packet's text is an instruction to the person: nothing to copy there.
        assert page.locator(f"[data-testid=reminder-{world['red_packet'].pk}] [data-testid=copy-text]").count() == 0

        page.evaluate("() => navigator.clipboard.writeText('something else')")
        row.locator("[data-testid=copy-text]").click()
        row.locator("[data-testid=copy-text]", has_text="已复制").wait_for()
        assert page.evaluate("() => navigator.clipboard.readText()") == ANNOUNCEMENT
        page.screenshot(path=str(artifacts / "inbox-operator.png"), full_page=True)
        watch.assert_clean()
    finally:
        context.close()


def test_browser_manager_sees_the_teams_overdue_reminders_and_closes_one(browser, live_server, world, artifacts):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, "jing")
        page.goto(live_server.url + reverse("campaigns:reminder-inbox"))
        team = page.locator("[data-testid=team-overdue]")
        assert team.locator("[data-testid=team-overdue-count]").inner_text() == "2"
        assert "李云" in team.locator("[data-testid=team-load]").inner_text()
        page.screenshot(path=str(artifacts / "inbox-manager.png"), full_page=True)
        red_packet = world["red_packet"]
        team.locator(f"#reminder-{red_packet.pk} [data-testid=skip]").click()
        team.locator(f"#reminder-{red_packet.pk} [data-testid=reminder-status]").wait_for()
        red_packet.refresh_from_db()
        assert red_packet.status == Reminder.Status.SKIPPED
        assert red_packet.done_by == world["manager"]
        watch.assert_clean()
    finally:
        context.close()

    # Phone width: the page still fits.
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "yun")
        page.goto(live_server.url + reverse("campaigns:reminder-inbox"))
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / "inbox-operator-390.png"), full_page=True)
    finally:
        context.close()
