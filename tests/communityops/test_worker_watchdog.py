"""A Celery worker that stops running tasks is noticed and restarted (bin/demo and communityops/watchdog.py).

On the filesystem broker one pool process killed by SIGKILL (the out-of-memory killer, say) leaves the worker
receiving tasks it never runs. The first tests drive the watchdog's logic on a simulated clock; the last one
starts the README's bin/demo, checks that it serves with a worker and beat, kills the pool of its real worker,
waits for a task sent through the broker to run, and stops everything with Ctrl-C.
"""

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from celery import Celery

from communityops.watchdog import STALLED, WorkerWatch, verdict
from tests.communityops.test_scripts import clean_env, log_in, process_groups
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000.0  # a wall-clock time for task start times


# --- the verdict: stalled, or busy, or answering ----------------------------------------------------------


def test_a_worker_that_answered_recently_is_not_judged():
    assert not verdict(silent_for=5, stall_after=60, active=None, wall_now=NOW, time_limit=3600).stalled


def test_a_silent_worker_running_no_task_is_stalled():
    result = verdict(silent_for=61, stall_after=60, active={"demo@host": []}, wall_now=NOW, time_limit=3600)
    assert result.stalled
    assert "no task running" in result.reason


def test_a_silent_worker_that_does_not_answer_remote_control_either_is_stalled():
    result = verdict(silent_for=61, stall_after=60, active=None, wall_now=NOW, time_limit=3600)
    assert result.stalled
    assert "nor to remote control" in result.reason


def test_a_silent_worker_busy_with_a_long_task_is_left_alone():
    active = {"demo@host": [{"name": "imports.run", "time_start": NOW - 600}]}
    result = verdict(silent_for=300, stall_after=60, active=active, wall_now=NOW, time_limit=3600)
    assert not result.stalled
    assert "imports.run" in result.reason


def test_a_task_listed_past_the_time_limit_does_not_count_as_busy():
    # The worker would have killed it at the time limit: still listed, it is as stuck as the pool.
    active = {"demo@host": [{"name": "imports.run", "time_start": NOW - 3700}]}
    assert verdict(silent_for=300, stall_after=60, active=active, wall_now=NOW, time_limit=3600).stalled


# --- the watch loop, on a simulated clock -----------------------------------------------------------------


class SimulatedWorker:
    """Answers every ping sent before `stops_at` (simulated seconds); none after. Remote control says `active`."""

    def __init__(self, *, stops_at: float, active=None):
        self.now = 0.0
        self.stops_at = stops_at
        self.active = {"demo@host": []} if active is None else active
        self.sent: list[tuple[float, str]] = []
        self.inspections = 0
        self.said: list[str] = []

    def send(self, token: str) -> None:
        self.sent.append((self.now, token))

    def answered(self) -> str | None:
        answered = [token for at, token in self.sent if at < self.stops_at and at < self.now]
        return answered[-1] if answered else None

    def inspect_active(self):
        self.inspections += 1
        return self.active

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        assert self.now < 3600, "the watch never ended"

    def watch(self, **options) -> WorkerWatch:
        return WorkerWatch(
            send=self.send,
            answered=self.answered,
            inspect_active=self.inspect_active,
            say=self.said.append,
            clock=lambda: self.now,
            sleep=self.sleep,
            wall_clock=lambda: NOW,
            **{"every": 15, "stall_after": 60, "time_limit": 3600, **options},
        )


def test_the_watch_returns_stalled_soon_after_the_worker_stops_answering():
    worker = SimulatedWorker(stops_at=300)
    assert worker.watch().run() == STALLED
    # The last ping answered was sent in the last period before 300 s; the verdict comes after 60 s of silence
    # since that answer, at the latest one ping period later.
    assert 300 - 15 + 60 <= worker.now <= 300 + 60 + 15
    assert worker.said[0].startswith("the worker answers pings")
    assert "the worker is stalled" in worker.said[-1]
    assert len(worker.sent) == pytest.approx(worker.now / 15, abs=1)  # one ping per period, even unanswered


def test_the_watch_waits_for_a_busy_worker_and_says_so_once():
    long_task = {"demo@host": [{"name": "analytics.refresh", "time_start": NOW - 60}]}
    worker = SimulatedWorker(stops_at=100, active=long_task)

    def sleep(seconds: float) -> None:
        worker.now += seconds
        if worker.now >= 600:
            worker.active = {"demo@host": []}  # the task ended, and the pings are still not answered
        assert worker.now < 3600

    worker.sleep = sleep
    assert worker.watch().run() == STALLED
    assert 600 <= worker.now <= 620
    busy = [line for line in worker.said if "busy with 1 task(s): analytics.refresh" in line]
    assert len(busy) == 1
    assert worker.inspections > 10  # asked again every period while busy


# --- a real worker under a real bin/demo ------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for(predicate, *, timeout: float, what: str, output: Path):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"{what} not within {timeout:.0f} s:\n{output.read_text()[-4000:]}"
        time.sleep(0.5)
    return result


def test_demo_serves_restarts_a_worker_whose_pool_was_killed_and_stops_everything_on_ctrl_c(
    tmp_path, migrated_sqlite, collected_static
):
    """The README's bin/demo, started once for its three stories (a start is most of the time): it serves, with a
    worker and beat, a login over plain HTTP; a worker whose pool was killed is restarted and tasks run again;
    Ctrl-C stops every process it started."""
    port = free_port()
    var = tmp_path / "var"
    var.mkdir()
    # An already migrated database and collected static files, as a demo started before leaves them (bin/demo
    # still runs migrate and collectstatic; a fresh clone's first run is slower).
    shutil.copy(migrated_sqlite, var / "communityops.sqlite3")
    shutil.copytree(collected_static, var / "staticfiles")
    output = tmp_path / "demo.out"
    env = clean_env(
        PORT=str(port),
        COMMUNITYOPS_VAR_DIR=str(var),
        WEB_CONCURRENCY="1",
        WORKER_PING_SECONDS="2",
        WORKER_STALL_SECONDS="10",
    )
    with open(output, "w") as out:
        demo = subprocess.Popen(
            ["bin/demo", "--no-setup"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # A shell that starts with SIGINT ignored (a background job's child) cannot trap it; Ctrl-C in
            # a terminal never reaches such a process anyway, so give bin/demo the terminal's default.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    pgids: list[int] = []
    try:
        wait_for(
            lambda: demo.poll() is not None or "Press Ctrl-C to stop" in output.read_text(),
            timeout=300,
            what="bin/demo ready",
            output=output,
        )
        assert demo.poll() is None, f"bin/demo exited ({demo.returncode}):\n{output.read_text()[-4000:]}"
        text = output.read_text()
        pgids = [int(pid) for pid in re.search(r"pids: web=(\d+) worker=(\d+) beat=(\d+)", text).groups()]
        worker = pgids[1]

        # It serves: the URL and a login per role printed, the login page answers, and a login works over plain
        # HTTP (no secure-only cookies, no redirect); the worker answered the start-up ping and beat started.
        base_url = f"http://127.0.0.1:{port}/"
        assert base_url in text
        for login in ("yunying     yunying123", "kefu        kefu123", "jingli      jingli123", "admin       admin123"):
            assert login in text
        with urllib.request.urlopen(base_url + "accounts/login/", timeout=30) as response:
            assert response.status == 200
        status, landed = log_in(base_url, "yunying", "yunying123")
        assert status == 200
        assert "/accounts/login/" not in landed
        logs = var / "log"
        worker_log = logs / "worker.log"
        assert "ready." in worker_log.read_text()
        assert re.search(r"Task communityops\.tasks\.ping\[.*\] succeeded", worker_log.read_text())
        assert "beat: Starting..." in (logs / "beat.log").read_text()
        groups = process_groups()
        assert all(pgid in groups for pgid in pgids)
        assert len(groups[worker]) >= 2  # the worker and its pool

        # Ready means the worker answered a ping; its watchdog starts now. What the out-of-memory killer does:
        # SIGKILL to the pool processes, the worker's main process stays.
        pool = children_of(worker)
        assert pool, "the worker has no pool processes"
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()

        # A task sent through the broker, as the web or beat would, runs within a bounded time. (Found by its id in
        # the worker's log: the ping file holds only the last answer, and the watchdog's pings follow it.)
        task_id = uuid.uuid4().hex
        broker = var / "broker"
        probe = Celery("probe", broker="filesystem://", set_as_current=False)
        probe.conf.broker_transport_options = {
            "data_folder_in": str(broker / "out"),
            "data_folder_out": str(broker / "out"),
            "processed_folder": str(broker / "processed"),
            "control_folder": str(broker / "control"),
        }
        probe.conf.task_serializer = "json"
        with probe.connection_for_write() as connection:
            probe.send_task("communityops.tasks.ping", args=["after the kill"], task_id=task_id, connection=connection)
        wait_for(
            lambda: f"ping[{task_id}] succeeded" in worker_log.read_text(),
            timeout=180,
            what="the ping sent after the kill answered",
            output=output,
        )
        recovered_in = time.monotonic() - killed_at
        print(f"\nworker recovered {recovered_in:.1f} s after its pool was killed")

        text = output.read_text()
        assert re.search(r"bin/demo: the worker stalled: .*; restarting the worker", text)
        assert "bin/demo: worker restarted (pid " in text
        assert "restarting the worker" in worker_log.read_text()
        assert "the worker is stalled" in (logs / "watchdog.log").read_text()
        assert demo.poll() is None  # the demo runs on

        new_worker = int(re.search(r"worker restarted \(pid (\d+)\)", text).group(1))
        pgids.append(new_worker)
        assert new_worker != worker

        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=60) == 130
        assert "Stopped" in output.read_text()
        remaining = process_groups()
        assert [pgid for pgid in pgids if pgid in remaining] == []
    finally:
        for pgid in [demo.pid, *pgids]:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        demo.wait(timeout=30)
