"""Exactly once, with the real parts: PostgreSQL, real worker processes, SIGKILL, a local webhook receiver."""

import os
import signal
import sys
import time
from collections import Counter

import pytest

from .realparts import ROOT, fetch, manage, seed_due_reminders, spawn

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def pg(migrated_postgres_url):
    """A fresh database as the real `migrate` leaves it (a copy of the session's migrated template)."""
    return migrated_postgres_url


def read_ids(path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def sweep_args(report, *extra):
    return [str(ROOT / "manage.py"), "sweep_reminders", "--report-ids", str(report), *extra]


def test_two_concurrent_sweeps_deliver_ten_thousand_reminders_each_once(pg, tmp_path):
    seed_due_reminders(pg, 10_000)
    go = tmp_path / "go"
    reports = [tmp_path / "a.ids", tmp_path / "b.ids"]
    workers = [spawn(pg, *sweep_args(report, "--batch", "200", "--start-when", str(go))) for report in reports]
    start_together(go, workers)
    assert [worker.wait(timeout=180) for worker in workers] == [0, 0]

    a, b = (read_ids(report) for report in reports)
    assert a, "both sweeps took part"
    assert b, "both sweeps took part"
    assert not set(a) & set(b)
    assert len(a) + len(b) == len(set(a) | set(b)) == 10_000
    assert fetch(pg, "SELECT status, count(*) FROM campaigns_reminder GROUP BY status") == [("sent", 10_000)]
    assert_each_sent_reminder_has_its_delivery(pg, 10_000)
    assert fetch(pg, "SELECT max(attempts) FROM campaigns_reminder") == [(1,)]


def start_together(go, workers) -> None:
    """Release the racers once each has imported Django and connected (a fixed start time lost the race on
    a slow machine: one sweep was still starting when the other had delivered everything)."""
    ready = wait_for(lambda: len(list(go.parent.glob(f"{go.name}.*.ready"))) == len(workers), timeout=120)
    assert ready, [worker.poll() for worker in workers]
    go.touch()


def assert_each_sent_reminder_has_its_delivery(pg, count: int) -> None:
    """One Delivery row per reminder, with the reminder's own key. (The key is unique, so a second row for a
    reminder cannot exist; what can go wrong is a reminder marked sent whose delivery was never recorded, or
    a delivery recorded under another reminder's key.)"""
    assert fetch(pg, "SELECT count(*) FROM campaigns_delivery") == [(count,)]
    missing = fetch(
        pg,
        "SELECT count(*) FROM campaigns_reminder r WHERE NOT EXISTS (SELECT 1 FROM campaigns_delivery d"
        " WHERE d.reminder_id = r.id AND d.idempotency_key = 'communityops-reminder-' || r.id)",
    )
    assert missing == [(0,)]


def wait_for(predicate, *, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(pg, tmp_path):
    seed_due_reminders(pg, 10_000)
    lease = "3"
    killed_report, rescuer_report = tmp_path / "killed.ids", tmp_path / "rescuer.ids"
    victim = spawn(pg, *sweep_args(killed_report, "--batch", "50"), REMINDER_LEASE_SECONDS=lease)
    assert wait_for(lambda: len(read_ids(killed_report)) >= 500, timeout=60)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    # The database says what the victim delivered: its report file may lack the last batch, committed just
    # before the kill and not yet written down.
    sent_before = {pk for (pk,) in fetch(pg, "SELECT id FROM campaigns_reminder WHERE status = 'sent'")}
    assert 500 <= len(sent_before) < 10_000
    assert set(read_ids(killed_report)) <= sent_before

    # The rescuer starts at once: what the victim had claimed stays its own until the lease runs out.
    time.sleep(float(lease) + 0.5)
    manage(pg, "sweep_reminders", "--report-ids", str(rescuer_report), REMINDER_LEASE_SECONDS=lease)

    rescued = set(read_ids(rescuer_report))
    assert not sent_before & rescued
    assert len(sent_before | rescued) == 10_000
    assert fetch(pg, "SELECT status, count(*) FROM campaigns_reminder GROUP BY status") == [("sent", 10_000)]
    assert_each_sent_reminder_has_its_delivery(pg, 10_000)
    # The victim's batch in flight rolled back with its transaction: nothing was left claimed.
    assert fetch(pg, "SELECT count(*) FROM campaigns_reminder WHERE status = 'sending'") == [(0,)]


def test_a_worker_killed_during_webhook_sends_is_resumed_with_the_same_keys(pg, tmp_path, webhook_server):
    count = 40
    seed_due_reminders(pg, count, channel="webhook")
    webhook_server.delay = 0.15  # a slow robot, so the kill lands while a request is in flight
    extra = {"REMINDER_LEASE_SECONDS": "2", "WECOM_ROBOT_WEBHOOK_URL": webhook_server.url,
             "WECOM_ROBOT_PER_MINUTE": "1000"}  # fmt: skip
    victim = spawn(pg, *sweep_args(tmp_path / "killed.ids", "--batch", "10"), **extra)
    assert wait_for(lambda: len(webhook_server.received) >= 12, timeout=60)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    time.sleep(2.5)
    manage(pg, "sweep_reminders", "--report-ids", str(tmp_path / "rescuer.ids"), **extra)

    keys = Counter(webhook_server.keys())
    assert len(keys) == count  # every reminder reached the robot
    # At most the one request in flight at the kill was resent, and with its original idempotency key.
    assert sum(n - 1 for n in keys.values()) <= 1
    assert fetch(pg, "SELECT status, count(*) FROM campaigns_reminder GROUP BY status") == [("sent", count)]
    assert_each_sent_reminder_has_its_delivery(pg, count)


@pytest.mark.redis
def test_reminders_due_while_redis_is_down_go_out_after_it_is_back_marked_late(pg, tmp_path, redis_server):
    extra = {"CELERY_BROKER_URL": redis_server.url, "REMINDER_SWEEP_SECONDS": "1", "REMINDER_LATE_AFTER_SECONDS": "8",
             "CAMPAIGN_TICK_SECONDS": "3600"}  # fmt: skip
    celery = [sys.executable, "-m", "celery", "-A", "communityops"]
    worker = spawn(
        pg, *celery[1:], "worker", "--pool", "solo", "--loglevel", "INFO", log=tmp_path / "worker.log", **extra
    )
    beat = spawn(pg, *celery[1:], "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule"),
                 log=tmp_path / "beat.log", **extra)  # fmt: skip

    def sent() -> int:
        return fetch(pg, "SELECT count(*) FROM campaigns_reminder WHERE status = 'sent'")[0][0]

    try:
        seed_due_reminders(pg, 3, due_seconds_ago=0, prefix="warm")
        assert wait_for(lambda: sent() == 3, timeout=60, interval=0.2), (tmp_path / "worker.log").read_text()[-3000:]
        # Running normally: reminders go out within a sweep interval, not late.
        seed_due_reminders(pg, 3, due_seconds_ago=-1, prefix="running")
        assert wait_for(lambda: sent() == 6, timeout=60, interval=0.2)
        assert fetch(pg, "SELECT count(*) FROM campaigns_reminder WHERE key LIKE 'running:%%' AND is_late") == [(0,)]

        redis_server.stop()
        time.sleep(2)  # a sweep already running when Redis went away finishes first
        seed_due_reminders(pg, 20, due_seconds_ago=-2, prefix="outage")  # due in two seconds, while Redis is down
        time.sleep(14)
        statuses = fetch(pg, "SELECT status, count(*) FROM campaigns_reminder GROUP BY status ORDER BY status")
        assert statuses == [("pending", 20), ("sent", 6)], statuses
        assert worker.poll() is None
        assert beat.poll() is None

        redis_server.start()
        assert wait_for(lambda: sent() == 26, timeout=120, interval=0.5), (tmp_path / "beat.log").read_text()[-3000:]
        late = fetch(
            pg, "SELECT is_late, extract(epoch FROM late_by) FROM campaigns_reminder WHERE key LIKE 'outage:%%'"
        )
        assert len(late) == 20
        assert all(is_late and seconds >= 12 for is_late, seconds in late), late
        assert_each_sent_reminder_has_its_delivery(pg, 26)
    finally:
        for process in (beat, worker):
            process.terminate()
            try:
                process.wait(timeout=20)
            except Exception:
                process.kill()


def test_two_workers_together_keep_a_robot_under_twenty_messages_a_minute(pg, tmp_path, webhook_server):
    seed_due_reminders(pg, 30, channel="webhook")
    extra = {"WECOM_ROBOT_WEBHOOK_URL": webhook_server.url}
    go = tmp_path / "go"
    workers = [
        spawn(pg, *sweep_args(tmp_path / f"{name}.ids", "--batch", "5", "--start-when", str(go)), **extra)
        for name in ("a", "b")
    ]
    start_together(go, workers)
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    assert len(webhook_server.received) == 20
    assert len(set(webhook_server.keys())) == 20
    assert fetch(pg, "SELECT status, count(*) FROM campaigns_reminder GROUP BY status ORDER BY status") == [
        ("pending", 10),
        ("sent", 20),
    ]
    # The ten left wait for the window to slide, without having spent an attempt.
    waiting = "SELECT min(next_attempt_at) > now() + interval '30 seconds', max(attempts) FROM campaigns_reminder"
    assert fetch(pg, waiting + " WHERE status = 'pending'") == [(True, 0)]
