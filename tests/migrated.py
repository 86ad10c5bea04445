"""Databases as a real `manage.py migrate` leaves them, and static files as a real `manage.py collectstatic` leaves
them, made once and copied by each test that needs them.

Migrating costs a process 10-20 s of CPU (Django renders the model states of every migration), and the tests
that run the project's processes against a database of their own used to migrate one each. They start from a
copy instead: a SQLite file migrated once per test run (the pytest-xdist workers share it), and on PostgreSQL a
template database migrated once per session's server (`migrated_postgres_url` in tests/conftest.py copies it
with CREATE DATABASE … TEMPLATE). Both are migrated by `manage.py migrate` with the production settings, as a
deployment migrates; the migrations' own tests (tests/analytics/test_store.py, ...) still migrate in place.
Likewise the tests that start bin/demo give it a var/staticfiles/ collected once per run, as a demo started before
leaves it (bin/demo collects again, and finds what it would write already there).
"""

import fcntl
import os
import shutil
import sqlite3
from pathlib import Path

from tests.campaigns.realparts import manage


def _run_directory(tmp_path_factory) -> Path:
    """The test run's temporary directory, which every pytest-xdist worker's own one is in."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


def migrated_sqlite_file(tmp_path_factory) -> Path:
    """The run's migrated SQLite file; callers copy it (`shutil.copy`) and never write to it."""
    root = _run_directory(tmp_path_factory)
    path = root / "migrated.sqlite3"
    with open(root / "migrated.sqlite3.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker migrates; the others wait for the file
        if not path.exists():
            partial = root / "migrating.sqlite3"
            partial.unlink(missing_ok=True)
            manage(f"sqlite:///{partial}", "migrate", "--no-input", "-v", "0")
            # The settings open SQLite in WAL mode: fold any write-ahead log into the file, so a copy of the file
            # alone is the whole database.
            connection = sqlite3.connect(partial)
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            partial.rename(path)
    return path


def migrate_postgres_template(postgres_server, name: str = "migrated_template") -> str:
    """Create and migrate the database `name` on `postgres_server`; returns its name, for CREATE DATABASE … TEMPLATE."""
    manage(postgres_server.create_database(name), "migrate", "--no-input")
    return name


def collected_static_dir(tmp_path_factory) -> Path:
    """The run's static files collected by `manage.py collectstatic` with the production settings (the manifest,
    the hashed names, the compressed copies); callers copy the folder (`shutil.copytree`) and never write to it."""
    root = _run_directory(tmp_path_factory)
    var = root / "collected-var"
    with open(root / "collected-static.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (var / "done").exists():
            shutil.rmtree(var, ignore_errors=True)
            manage(f"sqlite:///{var / 'unused.sqlite3'}", "collectstatic", "--no-input", "-v", "0",
                   COMMUNITYOPS_VAR_DIR=str(var))  # fmt: skip
            (var / "done").touch()
    return var / "staticfiles"
