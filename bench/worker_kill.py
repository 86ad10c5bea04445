"""Kill every pool process of a real Celery worker (SIGKILL, as the out-of-memory killer does), then time a task.

    python bench/worker_kill.py                                   # the filesystem broker, default options
    python bench/worker_kill.py --worker-option=--max-tasks-per-child=1
    python bench/worker_kill.py --broker redis://127.0.0.1:6379/0

A worker (production settings, DEMO_MODE=1, its own SQLite file and var directory under var/bench/) answers a
first ping; then its pool processes are killed and a second ping is sent through the broker from another
process. The last line of stdout is {"broker", "options", "killed", "sent_after_seconds",
"answered_after_seconds"} (both from the kill; sending starts a `manage.py shell`, a few seconds on a busy
machine), answered_after_seconds null when the second ping was not answered within --wait seconds after it
was sent (the worker is stuck); the exit status is then 1.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="filesystem://")
    parser.add_argument("--worker-option", action="append", default=[], help="passed to `celery worker`")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the ping after the kill")
    args = parser.parse_args()

    var = ROOT / "var" / "bench" / "worker-kill"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="communityops.settings",
        DJANGO_DEBUG="0",
        DEMO_MODE="1",
        SECRET_KEY="bench-worker-kill-" + uuid.uuid4().hex * 2,
        COMMUNITYOPS_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'communityops.sqlite3'}",
        CELERY_BROKER_URL=args.broker,
        PYTHONPATH=str(ROOT),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)

    def send(token: str) -> None:
        code = f"from communityops.tasks import ping; ping.apply_async(args=[{token!r}])"
        subprocess.run([*manage, "shell", "-v", "0", "-c", code], env=env, check=True, capture_output=True)

    def answered(token: str, timeout: float) -> float | None:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if json.loads((var / "worker-ping.json").read_text()).get("token") == token:
                    return time.monotonic() - started
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            time.sleep(0.1)
        return None

    command = [sys.executable, "-m", "celery", "-A", "communityops", "worker", "--loglevel", "INFO"]
    command += ["--concurrency", "2", "--without-mingle", "--without-gossip", *args.worker_option]
    with open(var / "worker.log", "w") as log:
        worker = subprocess.Popen(
            command, cwd=var, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        token = uuid.uuid4().hex
        send(token)
        if answered(token, 120) is None:
            sys.exit(f"the worker never answered a first ping; see {var / 'worker.log'}")
        time.sleep(2)  # idle
        pool = children_of(worker.pid)
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        token = uuid.uuid4().hex
        send(token)
        sent_after = time.monotonic() - killed_at
        waited = answered(token, args.wait)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    after = None if waited is None else round(sent_after + waited, 2)
    result = {
        "broker": args.broker.split("://")[0] + "://",
        "options": args.worker_option,
        "killed": len(pool),
        "sent_after_seconds": round(sent_after, 2),
        "answered_after_seconds": after,
    }
    print(json.dumps(result))
    return 0 if after is not None else 1


if __name__ == "__main__":
    sys.exit(main())
