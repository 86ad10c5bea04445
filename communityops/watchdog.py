"""The worker watchdog bin/demo runs beside the Celery worker: it tells a stalled worker from a busy one.

On the filesystem broker a worker can stop running tasks for good while all its processes stay up and it
still logs "received" (settings.py, BROKER_NOT_FOR_PRODUCTION, says why). So the watchdog pings through the
broker, as bin/demo does at start-up: an answer proves broker → worker → pool → database. When no ping has
been answered for `stall_after` seconds, it asks the worker (remote control, answered by the worker's main
process, not its pool) which tasks are running. A worker running a task is busy: the pings wait in the queue
behind it, and it is left alone. A worker running nothing, or not answering at all, is stalled: the watchdog
says why and exits with STALLED; bin/demo then restarts the worker, and the watchdog with it.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

STALLED = 75  # EX_TEMPFAIL: bin/demo restarts the worker on this exit status


@dataclass(frozen=True)
class Verdict:
    stalled: bool
    reason: str


def verdict(
    *, silent_for: float, stall_after: float, active: dict | None, wall_now: float, time_limit: float
) -> Verdict:
    """Whether a worker whose pings have gone unanswered for `silent_for` seconds is stalled.

    `active` is remote control's answer, {worker name: [running task, …]}, or None when no worker answered.
    A task counts as running only under the task time limit: past it, the worker would have killed it, so a
    task still listed then is as stuck as the pool.
    """
    if silent_for < stall_after:
        return Verdict(False, "answering")
    if active is None:
        return Verdict(True, f"no answer to a ping for {silent_for:.0f} s, nor to remote control")
    running = [
        task
        for tasks in active.values()
        for task in tasks or ()
        if task.get("time_start") and wall_now - task["time_start"] < time_limit
    ]
    if running:
        names = ", ".join(sorted({task.get("name", "?") for task in running}))
        return Verdict(
            False, f"no answer to a ping for {silent_for:.0f} s, but busy with {len(running)} task(s): {names}"
        )
    return Verdict(True, f"no answer to a ping for {silent_for:.0f} s, and no task running")


@dataclass
class WorkerWatch:
    """Ping every `every` seconds; return STALLED once `verdict` says so (runs until then).

    `send(token)` sends a ping through the broker, `answered()` is the token of the last ping a worker
    answered, `inspect_active()` is remote control's running tasks (None: no worker answered).
    """

    send: Callable[[str], None]
    answered: Callable[[], str | None]
    inspect_active: Callable[[], dict | None]
    every: float
    stall_after: float
    time_limit: float
    say: Callable[[str], None]
    poll: float = 0.5
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall_clock: Callable[[], float] = time.time

    def run(self) -> int:
        started = self.clock()
        last_answer = started
        last_sent = last_inspected = float("-inf")
        tokens: set[str] = set()
        state = ""
        while True:
            now = self.clock()
            if tokens and self.answered() in tokens:
                if state != "answering":
                    self.say(f"the worker answers pings (after {now - last_answer:.0f} s)")
                state = "answering"
                last_answer = now
                tokens.clear()
            if now - last_sent >= self.every:
                # A new ping each period even while one is unanswered: a ping lost with a worker that died is
                # not waited for; an answer to any of them will do.
                token = uuid.uuid4().hex
                self.send(token)
                tokens.add(token)
                last_sent = now
            silent_for = now - last_answer
            if silent_for >= self.stall_after and now - last_inspected >= self.every:
                last_inspected = now
                result = verdict(
                    silent_for=silent_for,
                    stall_after=self.stall_after,
                    active=self.inspect_active(),
                    wall_now=self.wall_clock(),
                    time_limit=self.time_limit,
                )
                if result.stalled:
                    self.say(f"the worker is stalled: {result.reason}")
                    return STALLED
                if state != "busy":
                    self.say(result.reason)
                state = "busy"
            self.sleep(self.poll)


def celery_probes(app, *, inspect_timeout: float = 5.0) -> dict:
    """The watch's `send`, `answered` and `inspect_active`, through `app`'s broker."""
    from .tasks import ping, ping_read

    def send(token: str) -> None:
        ping.apply_async(args=[token])

    def answered() -> str | None:
        return (ping_read() or {}).get("token")

    def inspect_active() -> dict | None:
        return app.control.inspect(timeout=inspect_timeout).active()

    return {"send": send, "answered": answered, "inspect_active": inspect_active}


def say(message: str) -> None:
    print(f"[{timezone.localtime():%Y-%m-%d %H:%M:%S}] watchdog: {message}", flush=True)
