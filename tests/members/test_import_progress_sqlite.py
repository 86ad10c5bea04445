"""Progress of a big import on SQLite, watched from another connection while the task runs in its own process.

SQLite has one writer at a time. The import must not hold the write lock while it reads and checks the
file, or the progress it commits after each chunk (and every other writer: the web pages, the reminder
sweep) would wait for it. This runs the real task in a subprocess against a database file and watches the
job's row, and writes to the database, from here while it runs.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import generate_dataset, write_dataset

ROOT = Path(__file__).resolve().parents[2]

RUN_TASKS = """
from django.conf import settings
from imports.jobs import import_job_confirm
from imports.models import ImportJob
from imports.tasks import import_job_run_task, import_job_validate_task
settings.IMPORT_CHUNK_ROWS = 2000
job = ImportJob.objects.create(kind="orders", original_name="orders.csv", file="imports/orders.csv")
print("validate:", import_job_validate_task(job.pk), flush=True)
job.refresh_from_db()
assert import_job_confirm(job=job, skip_invalid=False)
print("run:", import_job_run_task(job.pk), flush=True)
"""


def test_progress_is_committed_and_visible_while_the_task_runs(tmp_path, migrated_sqlite):
    var = tmp_path / "var"
    (var / "media" / "imports").mkdir(parents=True)
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "progress-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        "ALLOWED_HOSTS": "localhost",
        "LANGUAGE_CODE": "en",
        "COMMUNITYOPS_VAR_DIR": str(var),
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def manage(*args, **kwargs):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, text=True, timeout=600, **kwargs
        )

    data = generate_dataset(members=1500, orders=60_000, groups=8, weeks=8, seed=11)
    data.members["tags"] = ""
    paths = write_dataset(data, tmp_path / "data")
    shutil.copy(paths["orders"], var / "media" / "imports" / "orders.csv")
    shutil.copy(migrated_sqlite, database)  # as `manage.py migrate` leaves it (tests/migrated.py)
    for command, path in (("import_groups", paths["groups"]), ("import_members", paths["members"])):
        assert manage(command, str(path), capture_output=True).returncode == 0

    watcher = sqlite3.connect(database, timeout=2, isolation_level=None)
    watcher.execute("CREATE TABLE progress_probe (at REAL)")
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", RUN_TASKS],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    snapshots, writes_while_checking, write_errors = [], 0, []
    while child.poll() is None:
        row = watcher.execute("SELECT status, rows_done, rows_total FROM imports_importjob").fetchone()
        if row:
            snapshots.append(row)
            if row[0] == "validating":
                try:
                    watcher.execute("INSERT INTO progress_probe VALUES (?)", (time.time(),))
                    writes_while_checking += 1
                except sqlite3.OperationalError as exc:  # "database is locked"
                    write_errors.append(str(exc))
        time.sleep(0.02)
    stdout, stderr = child.communicate()
    assert child.returncode == 0, stderr
    assert "validate: validated" in stdout
    assert "run: done" in stdout

    checking = [(done, total) for status, done, total in snapshots if status in ("validating", "importing")]
    # Rows done of rows, seen growing from outside while the task ran.
    assert any(0 < done < total for done, total in checking if total), snapshots[-20:]
    assert len({done for done, _total in checking}) >= 3
    assert all(total in (None, 60_000) for _done, total in checking)
    # Nobody waited for the import's lock while it was checking the file.
    assert writes_while_checking > 0
    assert not write_errors

    status, done, total, orders = watcher.execute(
        "SELECT status, rows_done, rows_total, (SELECT count(*) FROM campaigns_order) FROM imports_importjob"
    ).fetchone()
    assert (status, done, total, orders) == ("done", 60_000, 60_000, 60_000)
