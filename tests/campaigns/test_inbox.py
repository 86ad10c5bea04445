"""The reminder inbox built for the daily job (issue 15): today's reminders in the order they fell due, then the
ones still open from earlier days (most recent first), each saying how late it is ("逾期 3 天"); announcement text
with a copy button; and for managers, the team's overdue reminders by person."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.inbox import inbox_for
from campaigns.models import Reminder
from campaigns.templatetags.campaign_ui import overdue_text
from core.roles import Role
from tests.conftest import PASSWORD, make_user

from .factories import GroupFactory, ReminderFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)  # a Thursday afternoon
INBOX = reverse("campaigns:reminder-inbox")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def at(day_offset: int, hour: int, minute: int = 0) -> dt.datetime:
    return (NOW + dt.timedelta(days=day_offset)).replace(hour=hour, minute=minute)


@pytest.fixture
def week(operator):
    """The operator's reminders around NOW, by title."""
    rows = {
        "just now": at(0, 14, 59),  # within the grace: due, not overdue
        "this morning": at(0, 10),
        "just after midnight": at(0, 0, 1),
        "last night": at(-1, 20),
        "three days ago": at(-3, 9),
        "tomorrow": at(1, 10),  # not due: not in the inbox
    }
    made = {
        title: ReminderFactory(assignee=operator, status="sent", title=title, due_at=due) for title, due in rows.items()
    }
    ReminderFactory(assignee=operator, status="done", title="done already", due_at=at(0, 9))
    return made


def test_today_oldest_first_then_earlier_days_most_recent_first(operator, week):
    inbox = inbox_for(user=operator, now=NOW)
    assert [r.title for r in inbox.today] == ["just after midnight", "this morning", "just now"]
    assert [r.title for r in inbox.earlier] == ["last night", "three days ago"]
    assert inbox.earlier_count == 2
    assert not inbox.oversees_team


def test_each_says_how_late_once_past_the_grace(operator, week):
    inbox = inbox_for(user=operator, now=NOW)
    late = {r.title: r.overdue for r in [*inbox.today, *inbox.earlier]}
    assert late["just now"] is None  # a minute late is within the two-minute grace
    assert late["this morning"] == dt.timedelta(hours=5)
    assert late["three days ago"] == dt.timedelta(days=3, hours=6)
    with translation.override("zh-hans"):
        assert overdue_text(late["this morning"]) == "逾期 5 小时"
        assert overdue_text(late["last night"]) == "逾期 19 小时"
        assert overdue_text(late["three days ago"]) == "逾期 3 天"
        assert overdue_text(dt.timedelta(seconds=130)) == "逾期 2 分钟"
    with translation.override("en"):
        assert overdue_text(dt.timedelta(days=1, hours=2)) == "overdue 1 day"


@override_settings(REMINDER_LATE_AFTER_SECONDS=3600)
def test_the_grace_is_the_delivery_setting(operator, week):
    inbox = inbox_for(user=operator, now=NOW)
    assert {r.title: r.overdue for r in inbox.today}["this morning"] == dt.timedelta(hours=5)
    assert Reminder.objects.overdue(now=NOW).filter(title="just now").count() == 0
    assert Reminder.objects.overdue(now=NOW + dt.timedelta(minutes=61)).filter(title="just now").count() == 1


def test_inbox_page_marks_overdue_and_offers_to_copy_only_text_to_paste(client, operator):
    group = GroupFactory(name="四川VIP1群", owner=operator)
    long_ago = timezone.now() - dt.timedelta(days=3, hours=2)
    announcement = ReminderFactory(
        assignee=operator, group=group, status="sent", kind="announcement", title="群公告",
        text="【群公告】今天 10:00 开始 & 22:00 结束\n<链接>", due_at=long_ago,
    )  # fmt: skip
    red_packet = ReminderFactory(
        assignee=operator, group=group, status="sent", kind="red_packet", title="发红包", text="红包名称写活动时间。",
        due_at=long_ago,
    )  # fmt: skip
    body = login(client, operator).get(INBOX).content.decode()
    assert "前几天到期、还没办" in body
    assert body.count("逾期 3 天") == 2
    # The text to paste is shown as it will be pasted (escaped, line break kept) beside its copy button.
    assert (
        f'id="reminder-text-{announcement.pk}" data-testid="reminder-text">【群公告】今天 10:00 开始 &amp; 22:00 结束\n'
        "&lt;链接&gt;</div>"
    ) in body
    assert f'data-co-copy="#reminder-text-{announcement.pk}"' in body
    assert f'data-co-copy="#reminder-text-{red_packet.pk}"' not in body
    assert "红包名称写活动时间。" in body
    assert "/js/copy" in body  # the shared clipboard helper, loaded by the base layout


def test_manager_sees_the_teams_overdue_reminders_by_person(client, operator, manager):
    other = make_user("dora", Role.OPERATOR, first_name="芳", last_name="刘")
    now = timezone.now()
    ReminderFactory(assignee=operator, status="sent", title="甲逾期", due_at=now - dt.timedelta(days=2))
    ReminderFactory(assignee=operator, status="failed", title="甲也逾期", due_at=now - dt.timedelta(hours=3))
    ReminderFactory(assignee=other, status="pending", title="乙逾期", due_at=now - dt.timedelta(days=6))
    ReminderFactory(assignee=other, status="done", title="乙做完了", due_at=now - dt.timedelta(days=1))
    ReminderFactory(assignee=other, status="sent", title="乙刚到期", due_at=now - dt.timedelta(seconds=30))

    inbox = inbox_for(user=manager, now=now)
    assert inbox.oversees_team
    assert inbox.team_count == 3
    assert [r.title for r in inbox.team] == ["甲也逾期", "甲逾期", "乙逾期"]
    assert all(r.closable for r in inbox.team)  # managers may close anyone's due reminder
    assert [(load.name, load.count) for load in inbox.team_load] == [("alice", 2), ("刘芳", 1)]
    assert inbox.team_load[1].overdue_by >= dt.timedelta(days=6)

    body = login(client, manager).get(INBOX).content.decode()
    assert "团队逾期未办" in body
    assert "逾期 6 天" in body
    # An operator has no team section: their own inbox only.
    body = login(client, operator).get(INBOX).content.decode()
    assert "团队逾期未办" not in body
    assert "乙逾期" not in body


def test_manager_with_a_team_on_time_is_told_so(client, manager, operator):
    ReminderFactory(assignee=operator, status="sent", title="刚到期", due_at=timezone.now())
    body = login(client, manager).get(INBOX).content.decode()
    assert "没有人有逾期的提醒。" in body
