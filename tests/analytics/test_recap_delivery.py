"""The Monday recap e-mail against a real local SMTP server (aiosmtpd, `smtp_server`): one message per active
manager with the PDF attached and the headline numbers in both bodies, nothing more on a rerun, a refused
message sent by the next run; a notice linking to the recap in each manager's inbox, never counted as a missed
reminder; beat runs it Mondays at 09:00 Asia/Shanghai."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from analytics.models import Recap, RecapDelivery
from analytics.recap.delivery import recap_week_deliver
from analytics.recap.periods import parse_period
from campaigns import period_numbers
from campaigns.models import Reminder
from core.money import yuan
from core.roles import Role
from tests.analytics.recap_demo import NOW
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
WEEK = parse_period("2026-W48")  # the last complete week at NOW (Tuesday 2026-12-01)


@pytest.fixture
def managers(recap_demo):
    return {
        "wang": make_user("wang", Role.MANAGER, email="wang@example.com"),
        "zhao": make_user("zhao", Role.MANAGER, Role.OPERATOR, email="zhao@example.com"),
        "gone": make_user("gone", Role.MANAGER, email="gone@example.com", is_active=False),
        "nomail": make_user("nomail", Role.MANAGER),
        "operator": make_user("op", Role.OPERATOR, email="op@example.com"),
    }


def recipients(smtp_server) -> list[str]:
    return sorted(address for m in smtp_server.messages for address in m["to"])


def test_monday_recap_goes_once_to_each_active_manager_with_the_pdf(smtp_server, managers):
    report = recap_week_deliver(now=NOW)
    assert report.period == "2026-W48"
    # The demo's manager (jingli) and ours; not the inactive one, not the operator; "nomail": inbox only.
    expected = ["jingli@demo.communityops.local", "wang@example.com", "zhao@example.com"]
    assert recipients(smtp_server) == expected
    assert report.no_address == 1

    doc = Recap.objects.get(period="2026-W48").document  # kept by the job, as the page keeps it
    gmv = yuan(doc["targets"]["total"]["gmv"])
    for received in smtp_server.messages:
        message = received["message"]
        subject = str(message["Subject"]).strip()
        assert subject.startswith("复盘 11月23日–29日 · 2026-W48")
        assert gmv in subject
        assert message["Message-ID"].startswith("<recap-2026-W48-")
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        for body in (text, html):
            assert gmv in body
            assert yuan(doc["groups"]["platform"]["gmv"]) in body
            assert yuan(doc["groups"]["platform"]["delta"], signed=True) in body  # a change reads signed
            assert "/analytics/recap/?period=2026-W48" in body
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == "recap-2026-W48.pdf"
        assert attachment.get_content().startswith(b"%PDF-")

    again = recap_week_deliver(now=NOW + dt.timedelta(hours=1))
    assert again.sent == []
    assert again.already_sent == 3
    assert len(smtp_server.messages) == 3, "one e-mail per manager per week"
    assert set(RecapDelivery.objects.filter(period="2026-W48").values_list("status", flat=True)) == {
        "sent", "no_address"
    }  # fmt: skip


def test_monday_recap_puts_a_notice_linking_to_the_recap_in_each_managers_inbox(client, smtp_server, managers):
    recap_week_deliver(now=NOW)
    recap_week_deliver(now=NOW)
    notices = Reminder.objects.filter(kind=Reminder.Kind.NOTICE)
    active = {managers[name].pk for name in ("wang", "zhao", "nomail")}
    assert active <= set(notices.values_list("assignee", flat=True))
    assert managers["gone"].pk not in set(notices.values_list("assignee", flat=True))
    assert notices.filter(assignee=managers["wang"]).count() == 1, "a rerun adds no second notice"
    notice = notices.get(assignee=managers["nomail"])
    assert notice.link == f"{reverse('analytics:recap')}?period=2026-W48"
    assert notice.title == "11月23日–29日 · 2026-W48 复盘已生成"

    client.force_login(managers["nomail"])
    inbox = client.get(reverse("campaigns:reminder-inbox")).content.decode()
    assert 'data-testid="reminder-link"' in inbox
    assert f'href="{notice.link}"' in inbox
    assert client.get(notice.link).status_code == 200

    # A notice asks nothing to be done: next week's recap does not count it missed.
    later = NOW + dt.timedelta(days=8)
    slips = period_numbers.reminder_slips(start=NOW - dt.timedelta(hours=1), end=later, now=later)
    assert managers["nomail"].pk not in slips.total


def test_monday_recap_refused_by_the_server_is_sent_by_the_next_run(smtp_server, managers):
    smtp_server.refuse = {"zhao@example.com"}
    first = recap_week_deliver(now=NOW)
    assert "zhao@example.com" not in first.sent
    assert "wang@example.com" in first.sent
    assert list(first.failed) == ["zhao@example.com"]
    row = RecapDelivery.objects.get(period="2026-W48", user=managers["zhao"])
    assert row.status == RecapDelivery.Status.PENDING
    assert "550" in row.last_error
    smtp_server.refuse = set()
    second = recap_week_deliver(now=NOW)
    assert second.sent == ["zhao@example.com"]
    assert recipients(smtp_server).count("zhao@example.com") == 1


def test_monday_recap_runs_mondays_at_nine_shanghai_time():
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-weekly-recap"]
    assert entry["task"] == "analytics.deliver_weekly_recap"
    schedule = entry["schedule"]
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert schedule.day_of_week == {1}
    assert min(schedule.hour) == 9
    assert schedule.minute == {0}
    from analytics.tasks import deliver_weekly_recap_task

    assert deliver_weekly_recap_task.name == entry["task"]
