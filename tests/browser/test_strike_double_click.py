"""In a real Chromium: an operator who double-clicks the rule's button on the group page (or whose phone sends the
form twice on a slow network) records one strike, not two: with a two-strike rule, a double click must not take
the member out."""

import pytest
from django.urls import reverse

from community.models import Removal, Rule, Violation
from core.roles import Role
from members.models import Membership
from tests.browser.test_campaign_reminders import TIMEOUT_MS, log_in
from tests.community.factories import group_with_rules
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_browser_a_double_click_on_the_rule_records_one_strike(browser, live_server):
    operator = make_user("yunying", Role.OPERATOR)
    group, memberships = group_with_rules(owner=operator, name="成都VIP①")
    member = memberships[0].member
    video = Rule.objects.get(group=group, template_key="short_video")  # two strikes and out
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, live_server.url, operator.username)
        page.goto(live_server.url + reverse("members:group-detail", args=[group.pk]))
        form = page.locator("[data-testid=violation-form]")
        form.locator("select[name=membership]").select_option(str(memberships[0].pk))
        button = form.locator(f"button[name=rule][value='{video.pk}']")
        # Two clicks 40 ms apart (a quick double click): the second form submission leaves before the first
        # answer arrives (the browser drops the first navigation, not its request), and the server gets both.
        button.evaluate("(b) => { b.click(); setTimeout(() => b.click(), 40); }")
        page.locator(".alert-success").first.wait_for()
        page.wait_for_load_state("networkidle")
        said = [alert.inner_text() for alert in page.locator(".alert").all()]
        assert said
        assert said == [f"已记录：{member}，发短视频，第 1/2 次。"] * len(said), said
    finally:
        context.close()
    assert Violation.objects.count() == 1
    assert Membership.objects.get(pk=memberships[0].pk).strikes == 1
    assert not Removal.objects.exists()
