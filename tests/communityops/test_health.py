"""The health page (/health/): a stalled worker shows there, for admins (staff) only."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from campaigns.models import Reminder


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def write_heartbeat(var_dir, *, age: dt.timedelta, pid: int = 4242) -> None:
    at = timezone.now() - age
    (var_dir / "worker-heartbeat.json").write_text(json.dumps({"token": "beat", "at": at.isoformat(), "pid": pid}))


def status_of(page: str) -> str:
    return re.search(r'data-testid="health-status" data-status="(\w+)"', page).group(1)


def test_only_staff_may_open_the_health_page(client, operator, agent, manager, admin_user, var_dir):
    response = client.get("/health/")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url
    for user in (operator, agent, manager):
        client.force_login(user)
        assert client.get("/health/").status_code == 403, user.username
    client.force_login(admin_user)
    assert client.get("/health/").status_code == 200


def test_an_inactive_or_non_staff_admin_may_not_open_it(client, admin_user, var_dir):
    admin_user.is_staff = False
    admin_user.save()
    client.force_login(admin_user)
    assert client.get("/health/").status_code == 403


def test_the_admin_menu_links_to_the_health_page_for_staff_only(client, operator, admin_user, var_dir):
    client.force_login(admin_user)
    assert 'href="/health/"' in client.get("/members/").content.decode()
    client.force_login(operator)
    assert 'href="/health/"' not in client.get("/members/").content.decode()


def test_a_fresh_heartbeat_shows_the_worker_running(client, admin_user, var_dir):
    write_heartbeat(var_dir, age=dt.timedelta(seconds=20), pid=4242)
    client.force_login(admin_user)
    page = client.get("/health/").content.decode()
    assert status_of(page) == "ok"
    assert "4242" in page  # the worker process that wrote it
    assert "filesystem://" in page  # the broker (the tests' default)


def test_a_stale_heartbeat_shows_a_stalled_worker(client, admin_user, var_dir):
    write_heartbeat(var_dir, age=dt.timedelta(minutes=10))
    client.force_login(admin_user)
    page = client.get("/health/").content.decode()
    assert status_of(page) == "stalled"
    assert "已超过 3 分钟没有任务进程执行任务" in page  # three missed heartbeats


def test_no_heartbeat_at_all_shows_a_stalled_worker(client, admin_user, var_dir):
    client.force_login(admin_user)
    page = client.get("/health/").content.decode()
    assert status_of(page) == "stalled"
    assert "还没有任务进程写过心跳" in page


def test_it_counts_due_reminders_not_yet_sent_and_the_oldest_ones_wait(client, admin_user, var_dir, settings):
    settings.REMINDER_LATE_AFTER_SECONDS = 120
    write_heartbeat(var_dir, age=dt.timedelta(seconds=5))
    now = timezone.now()

    def reminder(key, status, due, **extra):
        Reminder.objects.create(key=key, title=key, status=status, due_at=due, next_attempt_at=due, **extra)

    reminder("due", Reminder.Status.PENDING, now - dt.timedelta(minutes=30))
    reminder("due-now", Reminder.Status.PENDING, now - dt.timedelta(seconds=1))
    reminder("not-yet", Reminder.Status.PENDING, now + dt.timedelta(minutes=5))
    reminder("sent", Reminder.Status.SENT, now - dt.timedelta(hours=2), sent_at=now)
    # Claimed by a worker that died: its lease ran out 10 minutes ago, the sweep may take it again.
    reminder(
        "dead-lease", Reminder.Status.SENDING, now - dt.timedelta(hours=3), lease_until=now - dt.timedelta(minutes=10)
    )
    # Claimed by a worker that is sending it now.
    reminder(
        "in-flight", Reminder.Status.SENDING, now - dt.timedelta(hours=4), lease_until=now + dt.timedelta(minutes=1)
    )

    client.force_login(admin_user)
    response = client.get("/health/")
    health = response.context["health"]
    assert health.reminders_due == 3
    # The oldest waits since its due time (30 min), not the dead lease's due time (3 h): that one waited only since
    # its lease ran out.
    assert dt.timedelta(minutes=29) < health.reminders_oldest_age < dt.timedelta(minutes=31)
    assert health.reminders_late
    page = response.content.decode()
    assert status_of(page) == "stalled"
    assert re.search(r'data-testid="health-reminders">.*?<div class="h2 mb-1 text-danger">3</div>', page, re.S)


def test_htmx_refresh_gets_the_partial_only(client, admin_user, var_dir):
    write_heartbeat(var_dir, age=dt.timedelta(seconds=5))
    client.force_login(admin_user)
    page = client.get("/health/", HTTP_HX_REQUEST="true").content.decode()
    assert page.lstrip().startswith('<div id="co-health"')
    assert status_of(page) == "ok"
