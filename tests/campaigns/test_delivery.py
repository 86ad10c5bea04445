import datetime as dt

import pytest
from django.utils import timezone

from campaigns.delivery import reminders_claim, reminders_sweep
from campaigns.models import Delivery, Reminder, WebhookRobot
from tests.conftest import make_user

from .factories import GroupFactory, ReminderFactory

pytestmark = pytest.mark.django_db


def test_sweep_delivers_due_inbox_reminders_once_and_leaves_future_ones():
    now = timezone.now()
    due = ReminderFactory.create_batch(5, due_at=now - dt.timedelta(seconds=5))
    later = ReminderFactory(due_at=now + dt.timedelta(minutes=5))
    result = reminders_sweep(now=now)
    assert result.sent == 5
    assert set(Reminder.objects.filter(status="sent").values_list("pk", flat=True)) == {r.pk for r in due}
    assert Delivery.objects.filter(channel="inbox").count() == 5
    later.refresh_from_db()
    assert later.status == "pending"
    assert reminders_sweep(now=now).sent == 0


def test_overdue_reminders_go_out_marked_late_with_how_late(settings):
    settings.REMINDER_LATE_AFTER_SECONDS = 120
    now = timezone.now()
    overdue = ReminderFactory(due_at=now - dt.timedelta(minutes=47))
    on_time = ReminderFactory(due_at=now - dt.timedelta(seconds=20))
    reminders_sweep(now=now)
    overdue.refresh_from_db()
    on_time.refresh_from_db()
    assert overdue.is_late
    assert overdue.late_by == dt.timedelta(minutes=47)
    assert not on_time.is_late
    assert on_time.late_by == dt.timedelta(seconds=20)


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over_after_its_lease(settings):
    settings.REMINDER_LEASE_SECONDS = 60
    now = timezone.now()
    reminder = ReminderFactory(due_at=now - dt.timedelta(seconds=1))
    _token, rows = reminders_claim(now=now)  # then the worker "dies"
    assert [pk for pk, _channel in rows] == [reminder.pk]
    assert reminders_sweep(now=now + dt.timedelta(seconds=30)).sent == 0  # lease still running
    assert reminders_sweep(now=now + dt.timedelta(seconds=61)).sent == 1
    reminder.refresh_from_db()
    assert reminder.status == "sent"
    assert reminder.attempts == 2
    assert Delivery.objects.filter(reminder=reminder).count() == 1


def webhook_reminder(**kwargs):
    group = kwargs.pop("group", None) or GroupFactory()
    return ReminderFactory(
        channel="webhook",
        group=group,
        kind="red_packet",
        title="发红包",
        red_packet_amount="0.50",
        red_packet_count=10,
        red_packet_name="周四10点",
        due_at=timezone.now() - dt.timedelta(seconds=1),
        **kwargs,
    )


def test_webhook_posts_wecom_markdown_with_an_idempotency_key(webhook_server):
    robot = WebhookRobot.objects.create(name="运营群机器人", url=webhook_server.url)
    reminder = webhook_reminder(assignee=make_user("yun"))
    robot.groups.add(reminder.group)
    assert reminders_sweep().sent == 1
    [received] = webhook_server.received
    assert received["key"] == f"communityops-reminder-{reminder.pk}"
    assert received["body"]["msgtype"] == "markdown"
    content = received["body"]["markdown"]["content"]
    assert "¥0.50 × 10" in content
    assert "周四10点" in content
    assert reminder.group.name in content
    reminder.refresh_from_db()
    assert reminder.status == "sent"
    assert Delivery.objects.get(reminder=reminder).target == webhook_server.url


def test_webhook_keeps_to_twenty_a_minute_per_robot(webhook_server, settings):
    settings.WECOM_ROBOT_WEBHOOK_URL = webhook_server.url
    group = GroupFactory()
    for _ in range(25):
        webhook_reminder(group=group)
    result = reminders_sweep()
    assert result.sent == 20
    assert len(webhook_server.received) == 20
    waiting = Reminder.objects.filter(status="pending")
    assert waiting.count() == 5
    # They wait for a slot, without burning an attempt.
    assert all(r.next_attempt_at > timezone.now() + dt.timedelta(seconds=50) and r.attempts == 0 for r in waiting)
    assert reminders_sweep().sent == 0


def test_webhook_errors_back_off_then_fail(webhook_server, settings):
    settings.WECOM_ROBOT_WEBHOOK_URL = webhook_server.url
    settings.REMINDER_MAX_ATTEMPTS = 3
    webhook_server.errcode = 93000
    reminder = webhook_reminder()
    delays = []
    for _attempt in range(3):
        reminders_sweep(now=reminder.next_attempt_at)
        reminder.refresh_from_db()
        delays.append(reminder.next_attempt_at - timezone.now())
    assert reminder.status == "failed"
    assert reminder.attempts == 3
    assert "93000" in reminder.last_error
    assert dt.timedelta(seconds=25) < delays[0] < dt.timedelta(seconds=31)
    assert dt.timedelta(seconds=55) < delays[1] < dt.timedelta(seconds=61)
    assert len(webhook_server.received) == 3
    # A failed reminder still shows in its assignee's inbox: the in-app channel always works.
    assert reminder in Reminder.objects.for_inbox(None, now=timezone.now())


def test_a_send_recorded_before_a_crash_is_not_sent_again(webhook_server, settings):
    settings.WECOM_ROBOT_WEBHOOK_URL = webhook_server.url
    settings.REMINDER_LEASE_SECONDS = 60
    reminder = webhook_reminder()
    reminders_sweep()
    assert len(webhook_server.received) == 1
    # A worker sent and recorded the delivery, then died before the reminder said "sent".
    Reminder.objects.filter(pk=reminder.pk).update(status="sending", claim_token="dead", lease_until=timezone.now())
    assert reminders_sweep(now=timezone.now() + dt.timedelta(seconds=1)).sent == 1
    assert len(webhook_server.received) == 1
    assert Delivery.objects.filter(reminder=reminder).count() == 1


def test_no_robot_configured_fails_at_once_without_retries(settings):
    settings.WECOM_ROBOT_WEBHOOK_URL = ""
    reminder = webhook_reminder()
    reminders_sweep()
    reminder.refresh_from_db()
    assert reminder.status == "failed"
    assert reminder.attempts == 1
    assert "robot" in reminder.last_error


def test_email_goes_through_smtp_with_the_idempotency_key_as_message_id(smtp_server):
    user = make_user("yun", email="yun@example.com")
    reminder = ReminderFactory(channel="email", assignee=user, title="群公告：周四10点活动", text="明天10点开始")
    assert reminders_sweep().sent == 1
    [mail] = smtp_server.messages
    assert mail["to"] == ["yun@example.com"]
    assert mail["message"]["Message-ID"] == f"<communityops-reminder-{reminder.pk}@communityops>"
    assert mail["message"]["X-Idempotency-Key"] == f"communityops-reminder-{reminder.pk}"
    assert mail["message"]["Subject"].strip() == "[待办提醒] 群公告：周四10点活动"


def test_email_server_down_is_retried(settings):
    from tests.servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    reminder = ReminderFactory(channel="email", assignee=make_user("yun", email="yun@example.com"))
    reminders_sweep()
    reminder.refresh_from_db()
    assert reminder.status == "pending"
    assert reminder.attempts == 1
    assert reminder.next_attempt_at > timezone.now()
