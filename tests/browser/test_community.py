"""Issue 13, acceptance 3: an operator records two short-video strikes on a member from the group page (choose
the member, press the rule), the removal reminder appears in the group owner's inbox, the owner marks it done
and the member is removed with the reason kept. Screenshots of the group page's rules part, the rules page with
the announcement to copy, and the nickname check go to the browser artifacts."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.delivery import reminders_sweep
from campaigns.models import Reminder
from community.models import Rule
from core.roles import Role
from members.models import Membership
from tests.browser.test_campaign_reminders import TIMEOUT_MS, log_in
from tests.community.factories import group_with_rules
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def new_page(browser, width=1366):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_browser_two_strikes_reach_the_owners_inbox_and_done_removes_the_member(browser, live_server, artifacts):
    owner = make_user("qunzhu", Role.OPERATOR, first_name="婷", last_name="李")
    recorder = make_user("yunying", Role.OPERATOR, first_name="芳", last_name="王")
    group, memberships = group_with_rules(owner=owner, members=4, name="成都VIP会员特供群①", code="VIP-CD1")
    Membership.objects.filter(pk=memberships[3].pk).update(group_nickname="小王😀")
    target = memberships[1]
    video = Rule.objects.get(group=group, template_key="short_video")

    context, page, errors = new_page(browser)
    try:
        log_in(page, live_server.url, recorder.username)
        page.goto(live_server.url + reverse("members:group-detail", args=[group.pk]))
        panel = page.locator("[data-testid=group-rules]")
        assert "发短视频 · 2 次移出" in panel.inner_text()
        for strike in (1, 2):
            form = page.locator("[data-testid=violation-form]")
            form.locator("select[name=membership]").select_option(str(target.pk))  # click 1: the member
            with page.expect_navigation():
                form.locator(f"button[name=rule][value='{video.pk}']").click()  # click 2: the rule broken
            assert f"第 {strike}/2 次" in page.locator(".alert-success").inner_text()
        assert "已给群主发提醒" in page.locator(".alert-success").inner_text()
        assert "1 人等待群主移出" in page.locator("[data-testid=pending-removals]").inner_text()
        page.locator("#group-rules").screenshot(path=str(artifacts / "community-group-rules-panel.png"))
        page.screenshot(path=str(artifacts / "community-group-page.png"), full_page=True)

        page.goto(live_server.url + reverse("community:group-rules", args=[group.pk]))
        announcement = page.locator("[data-testid=announcement]").inner_text()
        assert announcement.startswith("【成都VIP会员特供群①群规】\n1. 群昵称请改为“地区-店名”")
        assert "2. 不发短视频（2 次违规移出）" in announcement
        page.locator("[data-testid=copy-announcement]").click()
        expect(page.locator("[data-testid=copy-announcement]")).to_contain_text("已复制", timeout=TIMEOUT_MS)
        page.screenshot(path=str(artifacts / "community-rules-announcement.png"), full_page=True)

        page.goto(live_server.url + reverse("community:nickname-check", args=[group.pk]))
        assert page.locator("[data-testid=nickname-count]").get_attribute("data-count") == "1"
        page.screenshot(path=str(artifacts / "community-nickname-check.png"), full_page=True)
        page.goto(live_server.url + reverse("community:rules"))
        page.screenshot(path=str(artifacts / "community-rules-overview.png"), full_page=True)
    finally:
        context.close()

    reminder = Reminder.objects.get(key=f"community:removal:ms{target.pk}")
    assert reminder.assignee == owner
    reminders_sweep()  # delivered to the inbox channel, as the worker would
    context, page, owner_errors = new_page(browser)
    try:
        log_in(page, live_server.url, owner.username)
        page.goto(live_server.url + reverse("campaigns:reminder-inbox"))
        row = page.locator(f"[data-testid=reminder-{reminder.pk}]")
        assert f"移出群成员：{target.member}（2 次违规：发短视频）" in row.inner_text()
        page.screenshot(path=str(artifacts / "community-owner-inbox.png"), full_page=True)
        with page.expect_response(lambda r: "/complete/" in r.url and r.request.headers.get("hx-request") == "true"):
            row.locator("[data-testid=done]").click()
        page.wait_for_selector(f"[data-testid=reminder-{reminder.pk}] [data-testid=reminder-status]")

        target.refresh_from_db()
        assert (target.status, target.reason) == ("removed", "2 次违规：发短视频")
        page.goto(live_server.url + reverse("members:group-detail", args=[group.pk]) + "?show=gone")
        assert str(target.member) in page.locator("[data-testid=group-roster]").inner_text()
        assert "已移出" in page.locator("[data-testid=group-violations]").inner_text()
        page.locator("#group-rules").screenshot(path=str(artifacts / "community-group-rules-after-removal.png"))
    finally:
        context.close()
    assert not errors
    assert not owner_errors
