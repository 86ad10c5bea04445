"""Run snippets of Django code in separate processes against a real PostgreSQL, all let go at the same instant:
what two clicks, two tabs or two operators do at once."""

from __future__ import annotations

import time
from pathlib import Path

from tests.campaigns.realparts import ROOT, spawn

GO = "# go\n"
WAIT = """
import os as _os, pathlib as _pathlib, time as _time
_pathlib.Path(_os.environ["READY"]).touch()
while not _pathlib.Path(_os.environ["GO"]).exists():
    _time.sleep(0.002)
"""


def at_once(postgres_url: str, tmp_path: Path, snippets: list[str]) -> list[str]:
    """Start one `manage.py shell` per snippet, wait until all are ready, let them go together; the logs, in
    order. Each process prints what it wants checked. A snippet waits for the start at its line "# go" (what
    comes before is done beforehand, as a page read before the click), or else before its first line."""
    go = tmp_path / "go"
    workers = [
        spawn(
            postgres_url,
            str(ROOT / "manage.py"),
            "shell",
            "--no-imports",
            "-c",
            _started(snippet),
            log=tmp_path / f"worker{n}.log",
            GO=str(go),
            READY=str(tmp_path / f"ready{n}"),
        )  # fmt: skip
        for n, snippet in enumerate(snippets)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready*"))) < len(snippets):
        assert time.monotonic() < deadline, [worker.poll() for worker in workers]
        time.sleep(0.02)
    go.touch()
    for worker in workers:
        worker.wait(timeout=120)
    return [(tmp_path / f"worker{n}.log").read_text() for n in range(len(snippets))]


def _started(snippet: str) -> str:
    return snippet.replace(GO, WAIT, 1) if GO in snippet else WAIT + snippet
