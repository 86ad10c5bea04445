"""A real Celery worker process, started as bin/demo and production start it, consumes from a real broker.

The worker runs the production settings against its own SQLite file (migrated by a real `manage.py
migrate`); the test sends a task through the broker from outside and waits for its effect.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import Celery

ROOT = Path(__file__).resolve().parents[2]
# Settings the test run relaxes through the environment; a production process must not inherit them.
TEST_ONLY_VARIABLES = (
    "DJANGO_",
    "CELERY_",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "DATABASE_URL",
    "COMMUNITYOPS_VAR_DIR",
)


def project_env(var_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(TEST_ONLY_VARIABLES)}
    env.update(
        DJANGO_SETTINGS_MODULE="communityops.settings",
        DJANGO_DEBUG="0",
        SECRET_KEY="celery-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        COMMUNITYOPS_VAR_DIR=str(var_dir),
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@pytest.fixture
def var_dir(tmp_path, migrated_sqlite) -> Path:
    shutil.copy(migrated_sqlite, tmp_path / "communityops.sqlite3")
    return tmp_path


@contextmanager
def celery_worker(env: dict[str, str], cwd: Path, log: Path):
    """`celery -A communityops worker` as a real process (in its own session, so its pool goes with it)."""
    command = [sys.executable, "-m", "celery", "-A", "communityops", "worker", "--loglevel", "INFO"]
    command += [
        "--concurrency",
        "1",
        "--without-mingle",
        "--without-gossip",
        "--hostname",
        f"t{uuid.uuid4().hex[:8]}@%h",
    ]
    with open(log, "w") as out:
        # cwd: kombu's filesystem transport writes its exchange table to ./control; keep it in the tmp dir.
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for_ping(var_dir: Path, token: str, worker: subprocess.Popen, log: Path, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    path = var_dir / "worker-ping.json"
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}):\n{log.read_text()[-3000:]}")
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            data = {}
        if data.get("token") == token:
            return data
        time.sleep(0.2)
    pytest.fail(f"no answer to the ping within {timeout}s:\n{log.read_text()[-3000:]}")


def send_ping(broker_url: str, token: str, **transport_options) -> None:
    """Send the task from outside the project, as another process (the web, beat) would."""
    probe = Celery("probe", broker=broker_url, set_as_current=False)
    probe.conf.broker_transport_options = transport_options
    probe.conf.task_serializer = "json"
    with probe.connection_for_write() as connection:
        probe.send_task("communityops.tasks.ping", args=[token], connection=connection)


@pytest.mark.redis
def test_worker_consumes_a_task_from_redis(redis_server, var_dir):
    env = project_env(var_dir, f"sqlite:///{var_dir / 'communityops.sqlite3'}", CELERY_BROKER_URL=redis_server.url)
    log = var_dir / "worker.log"
    with celery_worker(env, var_dir, log) as worker:
        token = uuid.uuid4().hex
        send_ping(redis_server.url, token)
        answer = wait_for_ping(var_dir, token, worker, log)
    assert answer["database"] == "sqlite"  # the worker reached its database
    assert answer["pid"] != worker.pid  # a pool process ran it, not the consumer
    assert "Connected to redis://" in log.read_text()


def test_worker_consumes_a_task_from_the_filesystem_broker(var_dir):
    # The demo's worker: production settings refuse the filesystem broker outside the demo.
    env = project_env(var_dir, f"sqlite:///{var_dir / 'communityops.sqlite3'}", DEMO_MODE="1")
    log = var_dir / "worker.log"
    broker = var_dir / "broker"
    for folder in ("out", "processed"):
        (broker / folder).mkdir(parents=True, exist_ok=True)  # the worker's settings make them too
    with celery_worker(env, var_dir, log) as worker:
        token = uuid.uuid4().hex
        # The folders the settings derive from COMMUNITYOPS_VAR_DIR; nothing else is shared.
        send_ping(
            "filesystem://",
            token,
            data_folder_in=str(broker / "out"),
            data_folder_out=str(broker / "out"),
            processed_folder=str(broker / "processed"),
            control_folder=str(var_dir / "control"),
        )
        answer = wait_for_ping(var_dir, token, worker, log)
    assert answer["database"] == "sqlite"
    assert "Connected to filesystem://" in log.read_text()
    assert not list((broker / "out").iterdir())  # consumed, not left in the queue


def test_ping_and_heartbeat_write_their_own_files(db, settings, tmp_path):
    from communityops.tasks import heartbeat, heartbeat_read, ping, ping_read

    settings.VAR_DIR = tmp_path
    assert ping_read() is None
    assert heartbeat_read() is None
    ping.delay("hello")  # eager in tests
    heartbeat.delay()
    assert ping_read()["token"] == "hello"  # a heartbeat right after a ping does not hide the answer
    assert heartbeat_read()["token"] == "beat"
    assert ping_read()["database"] == "sqlite"


def test_beat_schedules_the_heartbeat():
    import communityops.tasks  # noqa: F401 (the worker and beat import it through autodiscovery)
    from communityops.celery import app

    entry = app.conf.beat_schedule["communityops-heartbeat"]
    assert entry["task"] == "communityops.tasks.heartbeat"
