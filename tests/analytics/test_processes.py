"""The commands as separate processes on a real database file, as a team runs them: the snapshot written by one
process is used by the next, and a change made by a third (an import, a refund) is in the next answer."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

STORY = """
from tests.analytics.story import build_story
build_story()
"""

REFUND = """
from campaigns.models import Order
Order.objects.filter(order_id="S2").update(status="refunded")
"""

LEAVE = """
from members.models import Membership
from tests.analytics.story import local
Membership.objects.filter(member__external_id="A").update(status="left", left_at=local(2026, 1, 5))
"""


def manage(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def week_gmv(env) -> str:
    return json.loads(manage(env, "metrics", "--start", "2026-01-05", "--end", "2026-01-12", "--format", "json"))[
        "platform"
    ]["gmv"]


def environment(tmp_path: Path, database_url: str) -> dict:
    # Bytecode cached outside the tree, so each of these processes does not compile Django again.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "communityops-pycache"),
        "DJANGO_SETTINGS_MODULE": "communityops.settings_test",
        "DATABASE_URL": database_url,
        "COMMUNITYOPS_VAR_DIR": str(tmp_path / "var"),
        "LANGUAGE_CODE": "en",
    }


def run_story(env, tmp_path):
    """On a database as `manage.py migrate` leaves it (tests/migrated.py)."""
    manage(env, "shell", "-c", STORY)
    assert week_gmv(env) == "775.50"
    assert list((tmp_path / "var" / "analytics").glob("*/gen-*/orders.id.npy"))
    assert week_gmv(env) == "775.50"  # from the snapshot
    manage(env, "shell", "-c", REFUND)
    assert week_gmv(env) == "475.50"
    # A leaves CD-VIP at Monday 00:00: A's order placed at that very instant stops counting, and A is no longer
    # among the members at the week's start.
    manage(env, "shell", "-c", LEAVE)
    assert week_gmv(env) == "275.50"
    rates = json.loads(manage(env, "rates", "--week", "2026-W02", "--group", "CD-VIP", "--format", "json"))
    assert rates["groups"][0]["start"] == {"potential": 2, "new": 0, "core": 0, "dormant": 0}


def test_commands_across_processes_on_sqlite(tmp_path, migrated_sqlite):
    shutil.copy(migrated_sqlite, tmp_path / "db.sqlite3")
    run_story(environment(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}"), tmp_path)


@pytest.mark.postgres
def test_commands_across_processes_on_postgresql(tmp_path, migrated_postgres_url):
    run_story(environment(tmp_path, migrated_postgres_url), tmp_path)
