"""Counting scans without waiting on anything, and moving the counts into the database exactly once.

Each process counts the scans it serves in its own small file, mapped into memory (`<pid>@<host>.<token>.scans`
under VAR_DIR/livecode-scans): a count is a write to memory, no system call, no server woken, and it survives
the process being killed (the kernel's page cache holds it). A file's counts only grow.

`scans_flush()` adds to the images and live codes what a file holds beyond what was already added from it; what
was added is recorded per file (`ScanTally`) in the same transaction. So anyone may apply any file, any number
of times, at once with others: only growth is added, never twice. It runs in each process every
LIVECODE_FLUSH_SECONDS once it counted something, at its exit, and as the beat task `livecodes.flush_scans` for
every file on its machine. A file whose process is gone is deleted once applied; its `ScanTally` row stays (it
is pruned TALLY_KEEP_DAYS later), so a flush that read the file just before the deletion adds nothing.

Known limit: a process's files are on its own machine. With the web on several machines, each process flushes
its own; the counts of one that was killed wait for the next process started on that machine (the first flush
of a process adopts the files of dead ones there) or the beat task if it runs there.
"""

from __future__ import annotations

import atexit
import logging
import mmap
import os
import secrets
import socket
import struct
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from core.sqlite_turns import writer_turn

from .models import LiveCode, QRImage, ScanTally

log = logging.getLogger(__name__)

MAGIC = b"COSCAN01"
HEADER = 16
SLOT = struct.Struct("<qq")  # key (an image's id; minus a live code's id for "no room" scans), scans
SLOTS = 512
SIZE = HEADER + SLOTS * SLOT.size
TALLY_KEEP_DAYS = 7


def tally_dir() -> Path:
    return Path(settings.VAR_DIR) / "livecode-scans"


class _Tally:
    """This process's file. Slots are taken in order; a key is written before its count, so a reader sees a
    key with no scans at worst."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.pid = os.getpid()
        self.path = directory / f"{self.pid}@{socket.gethostname()}.{secrets.token_hex(8)}.scans"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, SIZE)
            self.map = mmap.mmap(fd, SIZE)
        finally:
            os.close(fd)
        self.map[: len(MAGIC)] = MAGIC
        self.offsets: dict[int, int] = {}
        self.retired: list[Path] = []  # this process's full files: they change no more

    def add(self, key: int) -> None:
        offset = self.offsets.get(key)
        if offset is None:
            if len(self.offsets) == SLOTS:
                self._rotate()
            offset = HEADER + len(self.offsets) * SLOT.size
            struct.pack_into("<q", self.map, offset, key)
            self.offsets[key] = offset
        (count,) = struct.unpack_from("<q", self.map, offset + 8)
        struct.pack_into("<q", self.map, offset + 8, count + 1)

    def _rotate(self) -> None:
        self.map.close()
        self.retired.append(self.path)
        retired = self.retired
        self.__init__(self.path.parent)
        self.retired = retired


_tally: _Tally | None = None
_next_flush = 0.0
_adopted = False


def count(key: int) -> None:
    """One scan of image `key` (or, negative, of live code −`key` with no group to show)."""
    global _tally, _next_flush
    if _tally is None:  # the process's first scan (a forked child forgets its parent's: _forget_after_fork)
        _tally = _Tally(tally_dir())
        _next_flush = time.monotonic() + settings.LIVECODE_FLUSH_SECONDS
    _tally.add(key)
    if time.monotonic() >= _next_flush:
        _next_flush = time.monotonic() + settings.LIVECODE_FLUSH_SECONDS
        own_flush()


def _read(path: Path) -> dict[int, int] | None:
    """A file's counts. Read twice and the smaller value kept per slot: a count being written as it is read
    can only ever be under-read, and what is missed is added by the next flush."""
    try:
        first, second = path.read_bytes(), path.read_bytes()
    except FileNotFoundError:
        return None
    if len(first) != SIZE or not first.startswith(MAGIC) or len(second) != SIZE:
        log.warning("live codes: %s is not a scan count file; left alone", path)
        return None
    counts = {}
    for (key, one), (_key, two) in zip(
        SLOT.iter_unpack(first[HEADER:]), SLOT.iter_unpack(second[HEADER:]), strict=True
    ):
        if key and min(one, two) > 0:
            counts[key] = min(one, two)
    return counts


def _apply(name: str, counts: dict[int, int]) -> int:
    """Add what `counts` holds beyond what was added from file `name` before; returns how many scans."""
    added = 0
    with writer_turn("livecode"), transaction.atomic():
        tally, _ = ScanTally.objects.select_for_update().get_or_create(file=name)
        applied = dict(tally.applied)
        for key, total in counts.items():
            growth = total - applied.get(str(key), 0)
            if growth <= 0:
                continue
            if key > 0:
                QRImage.objects.filter(pk=key).update(scans=F("scans") + growth)
            else:
                LiveCode.objects.filter(pk=-key).update(unavailable_scans=F("unavailable_scans") + growth)
            applied[str(key)] = total
            added += growth
        if added:
            tally.applied = applied
            tally.save(update_fields=["applied", "updated_at"])
    return added


def _owner(name: str) -> tuple[str, str]:
    """(pid, host) from a file's name `<pid>@<host>.<token>.scans` (a host name may hold dots)."""
    pid, _, host = name.removesuffix(".scans").rpartition(".")[0].partition("@")
    return pid, host


def _owner_gone(path: Path) -> bool:
    pid, host = _owner(path.name)
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: its processes flush it
    if int(pid) == os.getpid():
        return _tally is None or path != _tally.path  # a retired file of ours changes no more; at exit, none
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False  # alive (or its pid taken by another process: the file waits, its counts are applied anyway)


def _flush_file(path: Path) -> int:
    counts = _read(path)
    if counts is None:
        return 0
    added = _apply(path.name, counts)
    if _owner_gone(path):
        path.unlink(missing_ok=True)  # after its counts are in; its ScanTally row stays
    return added


def own_flush() -> int:
    """This process's files (and, the first time, those of dead processes on this machine)."""
    global _adopted
    if not _adopted:
        _adopted = True
        return scans_flush()
    if _tally is None:
        return 0
    try:
        return sum(_flush_file(path) for path in [*_tally.retired, _tally.path])
    except DatabaseError as error:
        log.warning("live codes: scan counts not flushed now (%s); kept for the next flush", error)
        return 0
    finally:
        _tally.retired = [path for path in _tally.retired if path.exists()]


def scans_flush() -> int:
    """Every scan count file on this machine into the database; returns how many scans were added now."""
    directory = tally_dir()
    paths = sorted(directory.glob("*.scans")) if directory.is_dir() else []
    added = sum(_flush_file(path) for path in paths)
    _prune({path.name for path in directory.glob("*.scans")} if directory.is_dir() else set())
    return added


def _prune(present: set[str]) -> None:
    """Forget what was added from this machine's files deleted long ago. Never a file still present (its
    counts would be added again) nor another machine's (its presence cannot be seen from here)."""
    host = socket.gethostname()
    old = ScanTally.objects.filter(updated_at__lt=timezone.now() - timezone.timedelta(days=TALLY_KEEP_DAYS))
    gone = [name for name in old.values_list("file", flat=True)
            if _owner(name)[1] == host and name not in present]  # fmt: skip
    ScanTally.objects.filter(file__in=gone).delete()


def _forget_after_fork() -> None:
    # The parent's file is mapped shared: a child counting into it would add to the parent's counts.
    global _tally
    _tally = None


os.register_at_fork(after_in_child=_forget_after_fork)


@atexit.register
def _flush_at_exit() -> None:
    global _tally
    tally, _tally = _tally, None  # from here on this process's files count as a dead one's: deleted once applied
    if tally is not None and tally.pid == os.getpid():
        try:
            for path in [*tally.retired, tally.path]:
                _flush_file(path)
        except Exception as error:  # noqa: BLE001 (exiting: the files stay for the next flush)
            log.warning("live codes: scan counts left in %s (%s)", tally.path, error)
