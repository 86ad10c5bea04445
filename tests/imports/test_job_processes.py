"""A job whose process dies under it is taken back by the sweep and finished, with real processes: the task
runs in a `manage.py` subprocess on a SQLite file, is killed with SIGKILL mid-step (validating, then
importing), and the sweep, run in another process once the lease ran out, sends the step again (item 5)."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import generate_dataset, write_dataset

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 120  # far longer than any process start here: "before it runs out" is certain

START = """
from django.conf import settings
from django.utils import timezone
from imports.jobs import import_job_confirm
from imports.models import ImportJob
from imports.tasks import import_job_run_task, import_job_validate_task
settings.IMPORT_CHUNK_ROWS = 1000
job = ImportJob.objects.filter(kind="orders").first() or ImportJob.objects.create(
    kind="orders", original_name="orders.csv", file="imports/orders.csv", queued_at=timezone.now())
if job.status == "pending":
    import_job_validate_task(job.pk)
else:
    import_job_confirm(job=job, skip_invalid=False)
    import_job_run_task(job.pk)
"""
SWEEP = """
from django.conf import settings
from imports.tasks import import_jobs_sweep_task
settings.IMPORT_CHUNK_ROWS = 1000
print(import_jobs_sweep_task())
"""


def test_a_killed_worker_leaves_a_job_the_sweep_takes_back_and_finishes(tmp_path, migrated_sqlite):
    var = tmp_path / "var"
    (var / "media" / "imports").mkdir(parents=True)
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "sweep-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        "ALLOWED_HOSTS": "localhost",
        "LANGUAGE_CODE": "en",
        "COMMUNITYOPS_VAR_DIR": str(var),
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "1",  # the sweep's resent task runs in the sweep's process: a worker
        "IMPORT_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def manage(*args, **kwargs):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, text=True, timeout=600, **kwargs
        )

    data = generate_dataset(members=1000, orders=40_000, groups=6, weeks=6, seed=5)
    data.members["tags"] = ""
    paths = write_dataset(data, tmp_path / "data")
    shutil.copy(paths["orders"], var / "media" / "imports" / "orders.csv")
    shutil.copy(migrated_sqlite, database)  # as `manage.py migrate` leaves it (tests/migrated.py)
    for command, path in (("import_groups", paths["groups"]), ("import_members", paths["members"])):
        assert manage(command, str(path), capture_output=True).returncode == 0
    watcher = sqlite3.connect(database, timeout=5, isolation_level=None)

    def job_row():
        return watcher.execute("SELECT status, rows_done, attempts FROM imports_importjob").fetchone()

    for step in ("validating", "importing"):
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c", START],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while (row := job_row()) is None or row[0] != step or row[1] < 3000:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)  # the worker dies mid-step, as an OOM kill or a lost machine does
        child.wait()
        status, done, attempts = job_row()
        assert (status, attempts) == (step, 1)  # stuck: nobody will finish it
        assert 3000 <= done < 40_000

        # Before the lease runs out, the sweep leaves it alone; after, it sends the step again. The lease's end
        # is moved into the past rather than waited for, so a slow machine cannot outrun the first sweep.
        assert "'requeued': 0" in manage("shell", "-c", SWEEP, capture_output=True).stdout
        watcher.execute("UPDATE imports_importjob SET lease_until = '2000-01-01 00:00:00'")
        swept = manage("shell", "-c", SWEEP, capture_output=True)
        assert "'requeued': 1" in swept.stdout, swept.stderr
        expected = "validated" if step == "validating" else "done"
        assert job_row() == (expected, 40_000, 0)

    orders, report = watcher.execute(
        "SELECT (SELECT count(*) FROM campaigns_order), report FROM imports_importjob"
    ).fetchone()
    assert orders == 40_000  # once each, though the import was killed and run again
    assert '"created": 40000' in report
