"""The benchmark stays runnable: a small run on SQLite with two real worker processes."""

import json
import subprocess
import sys

from .realparts import ROOT, process_env


def test_bench_reminders_prints_one_json_line_with_every_reminder_delivered_once(tmp_path):
    env = process_env("sqlite:///unused.sqlite3", COMMUNITYOPS_VAR_DIR=str(tmp_path))
    del env["DATABASE_URL"]  # the bench's own default: a fresh SQLite file under the var directory
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "reminders.py"), "--due", "3000", "--workers", "2", "--batch", "200"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["database"] == "sqlite"
    assert (summary["due"], summary["workers"], summary["delivered"]) == (3000, 2, 3000)
    assert (summary["duplicates"], summary["unrecorded"]) == (0, 0)
    assert summary["per_second"] > 0
    assert (tmp_path / "bench" / "reminders.sqlite3").exists()
