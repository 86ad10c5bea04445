"""The fact store on disk: a directory per database holding generations of plain `.npy` arrays (one file
per array, `numpy.load(path, mmap_mode="r")` opens any of them) and a `meta.json`, and a pointer file naming
the current generation, switched atomically. A new process maps the current generation in milliseconds.
Writers take turns under a file lock; a reader that loses a race with the removal of an old generation
tries again with the new pointer.
"""

import contextlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
from django.utils import timezone

from . import conf
from .facts import Facts, arrays, from_arrays

# Bump when the snapshot's layout changes: older generations are then ignored and the store rebuilt.
SNAPSHOT_FORMAT = 3
POINTER = "CURRENT"


def directory_for(key: str) -> Path | None:
    """Where the snapshots of the database with this key live (None: memory only)."""
    directory = conf.get("ANALYTICS_SNAPSHOT_DIR")
    return Path(directory) / key if directory else None


@contextlib.contextmanager
def writer_lock(directory: Path):
    """Writers of one snapshot directory take turns (several web processes, a worker, commands)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one writer at a time is then the deployment's business
        yield
        return
    with open(directory / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_pointer(directory: Path) -> str | None:
    try:
        return (directory / POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


def read_meta(directory: Path, generation: str) -> dict | None:
    try:
        meta = json.loads((directory / generation / "meta.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return meta if meta.get("format") == SNAPSHOT_FORMAT else None


def load_facts(directory: Path, generation: str, meta: dict) -> Facts:
    """Map a generation's arrays. FileNotFoundError when it was removed meanwhile (read the pointer again);
    ValueError when it is unreadable or incomplete."""
    columns = {
        name: np.load(directory / generation / f"{name}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
        for name in meta["arrays"]
    }
    if any(len(columns[name]) != length for name, length in meta["arrays"].items()):
        raise ValueError("incomplete")
    return from_arrays(columns, int(meta["span"]))


def write_generation(directory: Path, f: Facts, meta: dict, *, link_from: str | None = None) -> str:
    """Write `f` as a new generation with `meta` and point at it; return its name. With `link_from` (a
    generation holding these very facts) the files are hard-linked instead of written again."""
    name = f"gen-{time.time_ns():020d}-{os.getpid()}"
    tmp = directory / f"{name}.tmp"
    tmp.mkdir()
    columns = arrays(f)
    for stem, array in columns.items():
        target = tmp / f"{stem}.npy"
        if link_from:
            try:
                os.link(directory / link_from / f"{stem}.npy", target)
                continue
            except OSError:
                pass
        np.save(target, np.ascontiguousarray(array), allow_pickle=False)
    meta = {
        "format": SNAPSHOT_FORMAT,
        **meta,
        "span": f.span,
        "written_at": timezone.now().isoformat(),
        "arrays": {stem: len(array) for stem, array in columns.items()},
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    os.rename(tmp, directory / name)
    pointer = directory / f"{POINTER}.{os.getpid()}.tmp"
    pointer.write_text(name + "\n")
    os.replace(pointer, directory / POINTER)  # atomic: a reader finds the old generation or the new one
    return name


def remove_old_generations(directory: Path, current: str | None) -> None:
    """Keep the current generation and the one before it (a reader may have just read the old pointer);
    a reader that still loses the race retries with the new pointer."""
    generations = sorted(p.name for p in directory.iterdir() if p.name.startswith("gen-") and p.is_dir())
    keep = {current}
    older = [g for g in generations if g != current and not g.endswith(".tmp")]
    if older:
        keep.add(older[-1])
    for name in generations:
        if name not in keep:
            shutil.rmtree(directory / name, ignore_errors=True)
    for leftover in directory.glob(f"{POINTER}.*.tmp"):
        leftover.unlink(missing_ok=True)
