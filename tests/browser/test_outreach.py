"""In a real Chromium: an agent works three calls with the keyboard alone (accepted, call back, no answer);
the database then holds the outcomes, the invitation, the call-back reminder and the phone audit."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.models import Reminder
from core.roles import Role
from members.models import Membership
from outreach.models import CallAttempt, CallTask, PhoneReveal, Script
from tests.browser.test_ui import TIMEOUT_MS, PageWatch, log_in
from tests.conftest import make_user
from tests.members.factories import GroupFactory, MemberFactory
from tests.outreach.factories import build_list

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_analytics_store")]


def test_browser_agent_works_three_calls_with_the_keyboard(browser, live_server, artifacts):
    operator = make_user("op", Role.OPERATOR)
    agent = make_user("kefu", Role.AGENT)
    for n, cumulative in enumerate((9000, 8000, 7000)):
        MemberFactory(name=f"客户{n}", region="四川/成都", cumulative_purchase=cumulative)
    group = GroupFactory(name="成都VIP会员群", region="四川/成都")
    Script.objects.create(name="通用", text="{name}老板您好，欢迎进{group}")
    build_list(by=operator, agents=[agent], groups=[group])

    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1400, "height": 1000}, permissions=["clipboard-read", "clipboard-write"]
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    try:
        log_in(page, live_server.url, "kefu")
        assert page.url.endswith("/calls/")  # an agent's day starts at their calls
        with page.expect_navigation():
            page.keyboard.press("Enter")  # start calling
        page.wait_for_selector("#co-workspace[data-ready]")
        first = page.url
        assert "客户0老板您好，欢迎进成都VIP会员群" in page.inner_text("[data-testid=script-text]")
        page.keyboard.press("c")  # copy the script: the shared clipboard helper, through the button
        page.locator("#co-copy-script", has_text="已复制").wait_for()
        script = page.locator("[data-testid=script-text]").text_content()
        assert page.evaluate("() => navigator.clipboard.readText()") == script
        # Headless Chromium has no phone app: stop the tel: navigation itself (it would leave the page without
        # keyboard focus); the app's own click handler still records the dial.
        page.evaluate("document.getElementById('co-dial').addEventListener('click', e => e.preventDefault())")
        with page.expect_response(lambda r: r.url.endswith("/dial/")):
            page.keyboard.press("d")  # dial: the tel: link, audited
        page.keyboard.press("3")  # accepted
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#co-workspace[data-ready]")
        assert page.url != first

        page.keyboard.press("4")  # call back: the presets take the focus
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("Enter")  # "in an hour"
        picked = page.input_value("#id_callback_at")
        callback_at = datetime.fromisoformat(picked).replace(tzinfo=timezone.get_current_timezone())
        assert timedelta(minutes=59) < callback_at - timezone.now() <= timedelta(minutes=66)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("#co-workspace[data-ready]")

        page.screenshot(path=str(artifacts / "outreach-workspace.png"), full_page=True)
        page.keyboard.press("1")  # no answer
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url(lambda url: url.endswith("/calls/"))  # nothing left to call now
    finally:
        context.close()
    assert watch.problems == []

    outcomes = dict(CallAttempt.objects.values_list("task__member__name", "outcome"))
    assert outcomes == {"客户0": "accepted", "客户1": "callback", "客户2": "no_answer"}
    assert Membership.objects.get(member__name="客户0", group=group).status == Membership.Status.INVITED
    reminder = Reminder.objects.get(assignee=agent)
    assert reminder.due_at == callback_at
    assert CallTask.objects.get(member__name="客户1").next_attempt_at == reminder.due_at
    shown = set(PhoneReveal.objects.values_list("task__member__name", "action"))
    assert shown == {("客户0", "view"), ("客户0", "dial"), ("客户1", "view"), ("客户2", "view")}
    assert set(PhoneReveal.objects.values_list("user", flat=True)) == {agent.pk}
