"""A playbook's page reads as finished Chinese: steps filled in with what they know ('发红包 ¥0.50 × 10'), the
rest named ('「活动时间」'), their timing in words ('开始前 1 天 10:00', '建群后 10 分钟'), and no codes."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from campaigns.playbooks import step_when
from tests.conftest import PASSWORD

from .factories import StepFactory, shipped_playbook

pytestmark = pytest.mark.django_db

SHIPPED = ("weekly-warm-up", "daily-group-sop", "flash-group", "new-member-welcome")


def page(client, user, name, *args):
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("code", SHIPPED)
def test_shipped_playbook_page_has_no_placeholder_english_or_code(client, operator, code):
    html = page(client, operator, "campaigns:playbook-detail", shipped_playbook(code).pk)
    steps = re.search(r'data-testid="steps".*?</table>', html, re.S).group(0)
    assert not re.search(r"\{[a-z_]*\}", steps), "a placeholder shown unfilled"
    assert not re.search(r"\b(min|d|day|every|end)\b|T−|T\+", steps), "timing shorthand in English"
    assert code not in html


def test_red_packet_and_countdown_steps_are_filled_with_what_the_step_knows(client, operator):
    html = page(client, operator, "campaigns:playbook-detail", shipped_playbook("weekly-warm-up").pk)
    assert "发红包 ¥0.50 × 10「「活动时间」」" not in html
    assert "发红包 ¥0.50 × 10「活动时间」" in html  # the amount and count are the step's; the time the campaign's
    assert "倒计时：还有60分钟" in html
    assert "倒计时：还有10分钟" in html
    assert "开始前 1 天 10:00" in html
    assert "开始前 10 分钟" in html
    assert "开始时" in html
    assert "结束前 1 小时" in html


def test_group_steps_say_their_day_in_chinese(client, operator):
    html = page(client, operator, "campaigns:playbook-detail", shipped_playbook("flash-group").pk)
    assert "建群后 10 分钟" in html  # was "+10 min"
    assert "建群第 1 天 20:00" in html
    assert "第1天：分享一条案例或干货" in html  # was "第{day}天"
    assert "转化开始：发红包 ¥1.00 × 20" in html


def test_playbook_list_shows_no_codes(client, operator):
    html = page(client, operator, "campaigns:playbook-list")
    for code in SHIPPED:
        assert f">{code}" not in html
        assert f"{code} ·" not in html
    assert "日常群 SOP" in html


@pytest.mark.parametrize(
    ("fields", "chinese"),
    [
        ({"anchor": "campaign_start", "offset_days": -1, "at_time": "20:00"}, "开始前 1 天 20:00"),
        ({"anchor": "campaign_start", "offset_days": 0, "at_time": "08:30"}, "开始当天 08:30"),
        ({"anchor": "campaign_end", "offset_days": 1, "at_time": "10:00"}, "结束后 1 天 10:00"),
        ({"anchor": "campaign_start", "offset_minutes": -90}, "开始前 1 小时 30 分钟"),
        ({"anchor": "campaign_end", "offset_minutes": 0}, "结束时"),
        ({"anchor": "group_created", "offset_days": 2, "at_time": "20:00"}, "建群第 3 天 20:00"),
        ({"anchor": "group_created", "offset_days": 1, "offset_minutes": 10}, "建群后 1 天 10 分钟"),
        ({"anchor": "daily", "at_time": "08:30", "repeat_days": 7}, "每天 08:30，共 7 天"),
    ],
)
def test_step_when_in_words(fields, chinese):
    import datetime as dt

    if "at_time" in fields:
        fields = {**fields, "at_time": dt.time.fromisoformat(fields["at_time"])}
    step = StepFactory.build(**fields)
    with translation.override("zh-hans"):
        assert step_when(step) == chinese


def test_copying_a_playbook_asks_only_for_a_name(client, operator):
    original = shipped_playbook("daily-group-sop")
    html = page(client, operator, "campaigns:playbook-detail", original.pk)
    assert 'name="code"' not in html
    url = reverse("campaigns:playbook-copy", args=[original.pk])
    first = client.post(url, {"name": "成都日常群 SOP"})
    second = client.post(url, {"name": "重庆日常群 SOP"})
    assert first.status_code == second.status_code == 302
    copies = list(original.copies.order_by("pk").values_list("name", "code"))
    assert copies == [("成都日常群 SOP", "daily-group-sop-copy"), ("重庆日常群 SOP", "daily-group-sop-copy-2")]
