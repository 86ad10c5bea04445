"""In a real Chromium: an operator removes a member from the group page in two clicks (the row's button, then
the confirm form with the reason) and sees the membership removed with its reason; then previews a legacy
group's merge in the wizard. Screenshots of the group page and the wizard go to the artifacts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from members.models import Group, Membership
from tests.browser.test_ui import TIMEOUT_MS, PageWatch, log_in
from tests.conftest import make_user
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, OrderFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_analytics_store")]


@pytest.fixture
def world():
    now = timezone.now()
    vip = GroupFactory(code="CD-VIP1", name="成都VIP会员特供群①", capacity=200)
    names = ["王建国", "李秀英", "张伟", "刘芳"]
    memberships = [
        MembershipFactory(member=MemberFactory(name=name), group=vip, joined_at=now - timedelta(days=40 + i))
        for i, name in enumerate(names)
    ]
    legacy = GroupFactory(code="OLD-2019", name="2019老客户群", tier=Group.Tier.LEGACY)
    daily = GroupFactory(code="DAILY-03", name="成都新客服务群", tier=Group.Tier.DAILY)
    for i in range(6):
        member = MemberFactory(name=f"老客户{i}")
        MembershipFactory(member=member, group=legacy, joined_at=now - timedelta(days=400))
        if i < 2:
            for days in (3, 10):
                OrderFactory(member=member, group=legacy, placed_at=now - timedelta(days=days))
    return {"vip": vip, "memberships": memberships, "legacy": legacy, "daily": daily}


def test_browser_operator_removes_a_member_in_two_clicks_and_previews_a_legacy_merge(
    browser, live_server, world, artifacts
):
    make_user("op", Role.OPERATOR)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(page, live_server.url)
    target = world["memberships"][1]
    try:
        log_in(page, live_server.url, "op")
        page.goto(live_server.url + reverse("members:group-detail", args=[world["vip"].pk]))
        page.screenshot(path=str(artifacts / "lifecycle-group-page.png"), full_page=True)
        with page.expect_navigation():
            page.click(f"[data-testid=remove-{target.pk}]")  # the first click
        assert "将成员移出群" in page.inner_text("h2")
        page.fill("#id_reason", "两次发广告")
        with page.expect_navigation():
            page.click("[data-testid=confirm-membership-action]")  # the second
        assert "李秀英" in page.inner_text(".alert-success, .alert")
        roster = page.inner_text("[data-testid=group-roster]")
        assert "李秀英" not in roster  # no longer in the group

        page.click("text=已退群或移出")
        page.wait_for_selector("[data-testid=membership-left]")
        gone = " ".join(page.inner_text("[data-testid=group-roster]").split())
        assert "李秀英" in gone
        assert "已移出" in gone
        assert "两次发广告" in gone
        page.screenshot(path=str(artifacts / "lifecycle-group-removed.png"), full_page=True)
        target.refresh_from_db()
        assert (target.status, target.reason) == (Membership.Status.REMOVED, "两次发广告")

        # The legacy groups, and the wizard's preview of a merge.
        page.goto(live_server.url + reverse("members:group-list"))
        with page.expect_navigation():
            page.click("[data-testid=legacy-groups-link]")
        with page.expect_navigation():
            page.click("[data-testid=reorganise-OLD-2019]")
        page.check("input[name=action][value=merge]")
        page.select_option("#id_target", str(world["daily"].pk))
        with page.expect_navigation():
            page.click("[data-testid=legacy-preview-button]")
        preview = page.inner_text("[data-testid=legacy-preview]")
        assert "6 人加入 成都新客服务群" in " ".join(preview.split())
        page.screenshot(path=str(artifacts / "lifecycle-legacy-wizard.png"), full_page=True)
        assert Membership.objects.open().filter(group=world["legacy"]).count() == 6  # a preview writes nothing
        with page.expect_navigation():
            page.click("[data-testid=legacy-confirm]")
        assert Membership.objects.open().filter(group=world["daily"]).count() == 6
        watch.assert_clean()
    finally:
        context.close()
