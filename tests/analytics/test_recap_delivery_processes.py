"""The Monday recap job killed mid-run, with real processes: `manage.py deliver_recap` runs on a SQLite file and
sends through the Django SMTP backend to a local aiosmtpd server; when the second manager's message arrives the
server SIGKILLs the job before accepting it. Rerun before the dead run's lease is out, the job sends to whoever
was never claimed and leaves the claimed one alone; once the lease is out, it sends that one. Every manager gets
exactly one e-mail, the first one included."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 120  # far longer than a run here: "before the lease is out" is certain
MANAGERS = ["m1@example.com", "m2@example.com", "m3@example.com"]
SETUP = """
from django.contrib.auth.models import Group, User
manager, operator = Group.objects.get(name="manager"), Group.objects.get(name="operator")
for i in (1, 2, 3):
    User.objects.create_user(f"m{i}", email=f"m{i}@example.com", password="x").groups.add(manager)
User.objects.create_user("op", email="op@example.com", password="x").groups.add(operator)
"""
JOB = ["deliver_recap", "--week", "2026-W48", "--now", "2026-11-30T09:00:00+08:00"]


class KillingRecorder:
    """Accepts and records messages; on the message number `kill_at` it SIGKILLs `victim` instead, so that
    message is never accepted (the client never hears 250)."""

    def __init__(self):
        self.accepted: list[dict] = []
        self.kill_at: int | None = None
        self.victim: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.seen += 1
            if self.victim is not None and self.seen == self.kill_at:
                os.kill(self.victim.pid, signal.SIGKILL)  # the worker dies mid-send, as an OOM kill does
                self.victim.wait()
                return "421 Closing"
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.accepted.append({"to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(address for item in self.accepted for address in item["to"])


@pytest.fixture
def smtp():
    recorder = KillingRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, controller.port
    controller.stop()


def test_a_recap_job_killed_mid_send_and_run_again_sends_one_email_per_manager(tmp_path, smtp, migrated_sqlite):
    recorder, port = smtp
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "recap-mail-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        "ALLOWED_HOSTS": "localhost",
        "LANGUAGE_CODE": "zh-hans",
        "COMMUNITYOPS_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "RECAP_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "SITE_URL": "https://ops.example.com",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(*args):
        return subprocess.run([*manage, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)

    shutil.copy(migrated_sqlite, database)  # as `manage.py migrate` leaves it (tests/migrated.py)
    assert run("shell", "-c", SETUP).returncode == 0
    watcher = sqlite3.connect(database, timeout=5, isolation_level=None)

    def rows() -> dict[str, str]:
        return dict(watcher.execute("SELECT address, status FROM analytics_recapdelivery ORDER BY address"))

    # Run 1: killed while the second manager's message is being handed over.
    recorder.kill_at = 2
    recorder.victim = subprocess.Popen([*manage, *JOB], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)  # fmt: skip
    recorder.victim.wait(timeout=600)
    assert recorder.victim.returncode == -signal.SIGKILL, recorder.victim.communicate()
    recorder.victim = None
    assert recorder.recipients() == ["m1@example.com"]
    assert rows() == {"m1@example.com": "sent", "m2@example.com": "sending", "m3@example.com": "pending"}

    # Run 2, before the dead run's lease is out: the unclaimed manager is sent; the claimed one is left alone.
    second = run(*JOB)
    assert second.returncode == 0, second.stderr
    assert "sent 1, already sent 1, claimed elsewhere 1" in second.stdout
    assert recorder.recipients() == ["m1@example.com", "m3@example.com"]

    # Run 3, once the lease is out (moved into the past rather than waited for): the last one is sent.
    watcher.execute("UPDATE analytics_recapdelivery SET lease_until = '2000-01-01 00:00:00' WHERE status = 'sending'")
    third = run(*JOB)
    assert third.returncode == 0, third.stderr
    assert "sent 1, already sent 2" in third.stdout
    assert recorder.recipients() == MANAGERS, "exactly one e-mail per manager, though the job was killed"
    assert set(rows().values()) == {"sent"}

    # And again: nothing more. Each e-mail had the PDF; the inbox got one notice per manager.
    assert "sent 0, already sent 3" in run(*JOB).stdout
    assert recorder.recipients() == MANAGERS
    for item in recorder.accepted:
        (attachment,) = list(item["message"].iter_attachments())
        assert attachment.get_content().startswith(b"%PDF-")
        body = item["message"].get_body(preferencelist=("plain",)).get_content()
        assert "https://ops.example.com/analytics/recap/?period=2026-W48" in body
    notices = "SELECT count(*), count(DISTINCT assignee_id) FROM campaigns_reminder WHERE kind = 'notice'"
    assert watcher.execute(notices).fetchone() == (3, 3)
