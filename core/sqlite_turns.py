"""Writers on SQLite taking turns on an OS file lock around their write transaction.

SQLite has one writer; a writer that finds the database locked sleeps and polls (1, 2, 5 … 100 ms), so
concurrent writers hand the lock over with idle gaps. A blocking flock wakes the next writer the moment the lock
is free. PostgreSQL needs none of this (row locks and SKIP LOCKED queue there): on any other database, or an
in-memory SQLite, `writer_turn` does nothing. Used by the reminder sweep and the live codes' database path.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager

from django.db import connection

_turn_files: dict[str, object] = {}


@contextmanager
def writer_turn(purpose: str):
    """Hold the turn named `purpose` (a lock file beside the database: `<db>.<purpose>-lock`) while inside."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or "memory" in name or not os.path.isdir(os.path.dirname(name) or "."):
        yield
        return
    path = f"{name}.{purpose}-lock"
    handle = _turn_files.get(path)
    if handle is None:
        handle = _turn_files[path] = open(path, "a")  # noqa: SIM115 (kept open for the process)
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
