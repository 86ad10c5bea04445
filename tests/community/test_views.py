"""The rules pages and the group page's rules part, through HTTP: who may open and post what, the two-click
violation, the announcement, the nickname check, the screenshot served only after the access check."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Reminder
from community.models import Rule, Violation
from community.services import violation_record
from core.roles import Role
from members.models import Membership
from tests.community.factories import group_with_rules, rule
from tests.community.test_strikes import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(operator):
    group, memberships = group_with_rules(owner=operator, name="成都VIP①")
    return {"group": group, "memberships": memberships}


def test_group_page_shows_rules_and_records_a_strike_in_two_clicks(client, operator, world):
    group, membership = world["group"], world["memberships"][0]
    client.force_login(operator)
    page = client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    assert 'data-testid="violation-form"' in page
    assert "发短视频 · 2 次移出" in page
    video = rule(group, "short_video")
    for _ in range(2):
        response = client.post(
            reverse("community:violation-record", args=[group.pk]),
            {"membership": membership.pk, "rule": video.pk},
            follow=True,
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert "第 2/2 次" in body
    assert "已给群主发提醒" in body
    assert Reminder.objects.filter(key=f"community:removal:ms{membership.pk}", assignee=operator).exists()
    assert 'data-testid="group-violations"' in body


def test_a_bad_screenshot_is_said_beside_nothing_written(client, operator, world):
    group, membership = world["group"], world["memberships"][0]
    client.force_login(operator)
    response = client.post(
        reverse("community:violation-record", args=[group.pk]),
        {"membership": membership.pk, "rule": rule(group, "vote").pk,
         "screenshot": SimpleUploadedFile("a.png", b"GIF89a not really", content_type="image/png")},
        follow=True,
    )  # fmt: skip
    assert "截图：截图不是图片" in response.content.decode()
    assert not Violation.objects.exists()


def test_the_screenshot_is_served_after_the_access_check(client, operator, agent, manager, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    group, membership = world["group"], world["memberships"][0]
    upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    violation = violation_record(membership=membership, rule=rule(group, "vote"), by=operator, screenshot=upload)
    url = reverse("community:violation-screenshot", args=[violation.pk])
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    client.force_login(agent)
    assert client.get(url).status_code == 403


def test_an_agent_cannot_record_violations_nor_open_the_rules(client, agent, world):
    group, membership = world["group"], world["memberships"][0]
    client.force_login(agent)
    response = client.post(
        reverse("community:violation-record", args=[group.pk]),
        {"membership": membership.pk, "rule": rule(group, "insult").pk},
    )
    assert response.status_code == 403
    assert not Violation.objects.exists()
    assert (
        'data-testid="group-rules"' not in client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    )
    for name, args in [("community:rules", []), ("community:group-rules", [group.pk]),
                       ("community:nickname-check", [group.pk])]:  # fmt: skip
        assert client.get(reverse(name, args=args)).status_code == 403, name


def test_a_manager_reads_the_rules_but_cannot_change_them_or_strike(client, manager, world):
    group, membership = world["group"], world["memberships"][0]
    client.force_login(manager)
    assert client.get(reverse("community:group-rules", args=[group.pk])).status_code == 200
    page = client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    assert 'data-testid="group-rules"' in page
    assert 'data-testid="violation-form"' not in page
    vote = rule(group, "vote")
    posts = [
        ("community:violation-record", [group.pk], {"membership": membership.pk, "rule": vote.pk}),
        ("community:rule-edit", [vote.pk], {f"rule{vote.pk}-title": "x", f"rule{vote.pk}-text": "x",
                                              f"rule{vote.pk}-strike_limit": 9}),
        ("community:group-rules-apply", [group.pk], {}),
        ("community:rules-apply-tier", [], {"tier": "precise"}),
        ("community:welcome-save", [group.pk], {"text": "x"}),
    ]  # fmt: skip
    for name, args, data in posts:
        assert client.post(reverse(name, args=args), data).status_code == 403, name
    assert rule(group, "vote").strike_limit == 2
    assert not Violation.objects.exists()


def test_an_operator_edits_a_limit_and_sees_the_announcement(client, operator, world):
    group = world["group"]
    vote = rule(group, "vote")
    client.force_login(operator)
    response = client.post(
        reverse("community:rule-edit", args=[vote.pk]),
        {
            f"rule{vote.pk}-title": "发投票",
            f"rule{vote.pk}-text": "不发投票、拉票链接",
            f"rule{vote.pk}-strike_limit": 3,
        },
        follow=True,
    )
    assert rule(group, "vote").strike_limit == 3
    announcement = re.search(r'id="announcement"[^>]*>(.*?)</pre>', response.content.decode(), re.S).group(1)
    assert announcement.splitlines() == [
        "【成都VIP①群规】",
        "1. 群昵称请改为“地区-店名”，如“成都-好药房”",
        "2. 不发短视频（2 次违规移出）",
        "3. 不发外卖券（2 次违规移出）",
        "4. 不发投票、拉票链接（3 次违规移出）",
        "5. 不骂人、不人身攻击（违者直接移出）",
        "6. 不谈论政治（违者直接移出）",
        "请大家共同遵守，谢谢配合！",
    ]
    assert 'data-co-copy="#announcement"' in response.content.decode()


def test_an_invalid_limit_is_refused_naming_the_field(client, operator, world):
    vote = rule(world["group"], "vote")
    client.force_login(operator)
    response = client.post(
        reverse("community:rule-edit", args=[vote.pk]),
        {f"rule{vote.pk}-title": "发投票", f"rule{vote.pk}-text": "不发投票", f"rule{vote.pk}-strike_limit": 0},
        follow=True,
    )
    assert "违规上限" in response.content.decode()
    assert rule(world["group"], "vote").strike_limit == 2


def test_rules_apply_to_every_group_of_a_tier(client, operator):
    from tests.members.factories import GroupFactory

    vips = [GroupFactory(tier="precise") for _ in range(3)]
    daily = GroupFactory(tier="daily")
    client.force_login(operator)
    response = client.post(reverse("community:rules-apply-tier"), {"tier": "precise"}, follow=True)
    assert response.status_code == 200
    assert all(Rule.objects.filter(group=group).count() == 6 for group in vips)
    assert not Rule.objects.filter(group=daily).exists()
    assert client.post(reverse("community:rules-apply-tier"), {"tier": "legacy"}).status_code == 302
    assert not Rule.objects.filter(group__tier="legacy").exists()


def test_nickname_check_lists_the_nicknames_off_format(client, operator, world):
    group, (good, bad, empty) = world["group"], world["memberships"]
    Membership.objects.filter(pk=bad.pk).update(group_nickname="小王")
    Membership.objects.filter(pk=empty.pk).update(group_nickname="")
    client.force_login(operator)
    body = client.get(reverse("community:nickname-check", args=[group.pk])).content.decode()
    assert 'data-count="2"' in body
    assert str(bad.member) in body
    assert str(empty.member) in body
    assert str(good.member) not in body
    region = bad.member.region.rsplit("/", 1)[-1]
    assert f"{region}-{bad.member.store_name}" in body  # the nickname to ask for


def test_the_menu_offers_the_rules_to_operators_and_managers_only(client, role_users):
    for role, user in role_users.items():
        client.force_login(user)
        html = client.get(reverse("members:group-list")).content.decode()
        assert ('data-nav="rules"' in html) is (role != Role.AGENT), role


def test_nickname_format_and_suggestion():
    from community.rulebook import nickname_problem, suggested_nickname

    assert nickname_problem("成都-好药房") is None
    assert nickname_problem("武侯区 － 康宁大药房") is None
    assert nickname_problem("小王") is not None
    assert nickname_problem("-好药房") is not None
    assert nickname_problem("   ") is not None
    assert suggested_nickname(region="成都市", store_name="成都崇州市回春药店") == "成都-崇州市回春药店"
    assert suggested_nickname(region="成都市", store_name="成都市金牛区新特门诊部") == "成都-金牛区新特门诊部"
    assert suggested_nickname(region="四川/绵阳", store_name="康宁诊所1号店") == "绵阳-康宁诊所1号店"
    assert suggested_nickname(region="", store_name="康宁诊所") == ""
