"""No stale number, whoever writes: after each kind of write — an ORM `update()` that stamps nothing, an
UPDATE or DELETE typed in sqlite3/psql, an admin edit, a refund through the import — the very next `metrics`
and `rates`, in a process that has been running all along and in a new one, equal a recompute from scratch.

On a real SQLite file and a real PostgreSQL, every write committed, every reader its own process (as web
workers, the Celery worker and commands share one database and one snapshot directory).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEEK = ("2026-01-05", "2026-01-12")

# A process that stays up: its store is warm, and every answer must still be current.
WARM = r"""
import json, sys
from datetime import date
import django
django.setup()
from analytics import reports, store
for line in sys.stdin:
    command = json.loads(line)
    if command["op"] == "docs":
        out = {
            "metrics": reports.metrics_document(reports.MetricsRequest(start=date(2026, 1, 5), end=date(2026, 1, 12))),
            "rates": reports.rates_document(reports.RatesRequest(week="2026-W02")),
            "stats": store.stats(),
        }
    else:
        exec(command["code"], {})
        out = {}
    print(json.dumps(out), flush=True)
"""

# The numbers from scratch: a new process with no snapshot to load, reading the tables (and writing no
# snapshot, and pruning nothing, so the processes under test see the log as it is).
TRUTH = r"""
import json
from datetime import date
import django
django.setup()
from django.conf import settings
settings.ANALYTICS_SNAPSHOT_DIR = None
from analytics import reports, store
store.facts()
assert store.stats()["origin"] == "tables"
print(json.dumps({
    "metrics": reports.metrics_document(reports.MetricsRequest(start=date(2026, 1, 5), end=date(2026, 1, 12))),
    "rates": reports.rates_document(reports.RatesRequest(week="2026-W02")),
}))
"""

# An admin changes a membership's left_at in the Django admin, through its change view.
ADMIN_EDIT = r"""
from datetime import datetime
from zoneinfo import ZoneInfo
import django
django.setup()
from django.contrib.auth.models import Group as Role, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from members.models import Membership
user = User.objects.create_user("root-admin", password="x", is_staff=True)
user.groups.add(Role.objects.get(name="admin"))
client = Client()
client.force_login(user)
ms = Membership.objects.get(member__external_id="C", group__code="CD-DAILY")
url = reverse("admin:members_membership_change", args=[ms.pk])
assert client.get(url).status_code == 200
def split(name, moment):
    if moment is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    moment = timezone.localtime(moment)
    return {f"{name}_0": moment.date().isoformat(), f"{name}_1": moment.time().isoformat(timespec="seconds")}
data = {
    "member": ms.member_id, "group": ms.group_id, "status": "left", "group_nickname": ms.group_nickname,
    "strikes": ms.strikes, **split("joined_at", ms.joined_at), **split("created_at", ms.created_at),
    **split("left_at", datetime(2026, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))),
}
response = client.post(url, data)
assert response.status_code == 302, response.context["adminform"].form.errors
ms.refresh_from_db()
assert ms.left_at == datetime(2026, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")), ms.left_at
"""


def environment(tmp_path: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {
        **env,
        "PYTHONPYCACHEPREFIX": os.path.join(tempfile.gettempdir(), "communityops-pycache"),
        "DJANGO_SETTINGS_MODULE": "communityops.settings_test",
        "DATABASE_URL": database_url,
        "COMMUNITYOPS_VAR_DIR": str(tmp_path / "var"),
        "LANGUAGE_CODE": "en",
        "CELERY_BROKER_URL": "memory://",
    }


def run(env, *argv) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def manage(env, *args) -> str:
    return run(env, sys.executable, str(ROOT / "manage.py"), *args).stdout


def python(env, code: str) -> str:
    return run(env, sys.executable, "-c", code).stdout


class Warm:
    def __init__(self, env):
        self.process = subprocess.Popen(
            [sys.executable, "-c", WARM], env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the warm process died ({self.process.poll()})"
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


class Database:
    """Raw SQL as an operator types it into sqlite3 or psql: no Django, no model, nothing stamped."""

    def __init__(self, url: str):
        self.url = url

    def execute(self, sql: str, *params):
        if self.url.startswith("sqlite"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as conn:
                conn.execute(sql.replace("%s", "?"), params)
            conn.close()
        else:
            import psycopg

            with psycopg.connect(self.url) as conn:
                conn.execute(sql, params)

    def query(self, sql: str, *params) -> list:
        if self.url.startswith("sqlite"):
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)
            try:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()


def new_process_docs(env) -> dict:
    return {
        "metrics": json.loads(manage(env, "metrics", "--start", WEEK[0], "--end", WEEK[1], "--format", "json")),
        "rates": json.loads(manage(env, "rates", "--week", "2026-W02", "--format", "json")),
    }


def check(env, warm: Warm, *, gmv: str, origin: str | None = "log") -> dict:
    """The warm process and a new one answer exactly as a recompute from scratch does."""
    truth = json.loads(python(env, TRUTH))
    assert truth["metrics"]["platform"]["gmv"] == gmv  # the recompute itself, against the hand-worked number
    same_process = warm.ask(op="docs")
    stats = same_process.pop("stats")
    assert same_process == truth
    if origin is not None:
        assert stats["origin"] == origin  # caught up from the log, not rebuilt
    assert new_process_docs(env) == truth
    return truth


def triggers_on_orders(db: Database) -> list[str]:
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if db.url.startswith("sqlite")
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    return [row[0] for row in db.query(sql) if row[0].startswith("analytics_log_campaigns_order")]


def freshness_story(env, url, tmp_path):
    """On a database as `manage.py migrate` leaves it (tests/migrated.py)."""
    db = Database(url)
    python(env, "import django; django.setup(); from tests.analytics.story import build_story; build_story()")
    assert new_process_docs(env)["metrics"]["platform"]["gmv"] == "775.50"  # writes the first snapshot
    warm = Warm(env)
    try:
        assert warm.ask(op="docs")["stats"]["origin"] == "snapshot"
        previous = check(env, warm, gmv="775.50", origin="snapshot")

        # (a) QuerySet.update() in the running process itself: nothing stamps updated_at. A's ¥300 → ¥1.
        warm.ask(
            op="exec",
            code="from decimal import Decimal\nfrom campaigns.models import Order\n"
            "Order.objects.filter(order_id='S2').update(amount=Decimal('1.00'))",
        )
        previous = check(env, warm, gmv="476.50")

        # (b) an UPDATE typed in sqlite3 / psql: C's ¥40 in CD-VIP → ¥7.
        db.execute("UPDATE campaigns_order SET amount = 7 WHERE order_id = 'S6'")
        previous = check(env, warm, gmv="443.50")

        # (c) a DELETE typed in sqlite3 / psql: D's ¥25.50 on Sunday.
        db.execute("DELETE FROM campaigns_order WHERE order_id = 'S9'")
        previous = check(env, warm, gmv="418.00")

        # (d) an admin sets C's left_at in CD-DAILY to Friday: C's Saturday ¥70 there stops counting, and C
        # (potential at the week's start: no order there before it) has left the group by its end.
        python(env, ADMIN_EDIT)
        truth = check(env, warm, gmv="348.00")
        daily = next(g for g in truth["rates"]["groups"] if g["group"] == "CD-DAILY")
        assert daily["transitions"]["potential"]["left"] == 1
        assert (
            next(g for g in previous["rates"]["groups"] if g["group"] == "CD-DAILY")["transitions"]["potential"]["left"]
            == 0
        )

        # (e) a refund through the import: A's ¥200 on Monday.
        refund = tmp_path / "refund.csv"
        refund.write_text(
            "order_id,member_external_id,placed_at,amount,status\nS1,A,2026-01-05 00:00:00,200.00,refunded\n"
        )
        assert manage(env, "import_orders", str(refund)).strip() == "created 0, updated 1, unchanged 0, invalid 0"
        # The import left the store current: it absorbed its own write once committed (a snapshot at the log's
        # head, the log pruned), so neither a running process nor a new one reads those rows again.
        assert db.query("SELECT count(*) FROM analytics_sourcechange") == [(0,)]
        origin = "import django; django.setup()\nfrom analytics import store\nprint(store.stats()['origin'])"
        assert python(env, origin).strip() == "snapshot"
        check(env, warm, gmv="148.00", origin="snapshot")

        # (f) another process absorbs a write and prunes the log: the warm one is now behind the pruning point.
        python(
            env,
            "import django; django.setup()\nfrom decimal import Decimal\nfrom campaigns.models import Order\n"
            "from analytics.store import absorb_writes\n"
            "Order.objects.filter(order_id='S7').update(amount=Decimal('50.00'))\nabsorb_writes()",
        )  # C's ¥60 in CD-DAILY → ¥50
        assert db.query("SELECT count(*) FROM analytics_sourcechange") == [(0,)]
        assert db.query("SELECT pruned_through FROM analytics_changelogstate")[0][0] > 0
        check(env, warm, gmv="138.00", origin="snapshot")

        # (g) the triggers vanish (a restored dump without them) and a write goes unlogged: the next new
        # process notices, puts them back, rebuilds — and, through the "everything changed" entry it logs,
        # the warm process follows too.
        for name in triggers_on_orders(db):
            db.execute(f'DROP TRIGGER "{name}"' + ("" if url.startswith("sqlite") else " ON campaigns_order"))
        db.execute("UPDATE campaigns_order SET amount = 10 WHERE order_id = 'S7'")  # ¥50 → ¥10, unlogged
        assert db.query("SELECT count(*) FROM analytics_sourcechange") == [(0,)]
        done = run(env, sys.executable, str(ROOT / "manage.py"), "metrics", "--start", WEEK[0], "--end", WEEK[1],
                   "--format", "json")  # fmt: skip
        assert json.loads(done.stdout)["platform"]["gmv"] == "98.00"
        assert "triggers were missing" in done.stderr
        assert len(triggers_on_orders(db)) == (4 if url.startswith("postgres") else 3)
        check(env, warm, gmv="98.00", origin=None)
    finally:
        warm.close()


def test_every_kind_of_write_is_in_the_next_answer_on_sqlite(tmp_path, migrated_sqlite):
    shutil.copy(migrated_sqlite, tmp_path / "db.sqlite3")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    freshness_story(environment(tmp_path, url), url, tmp_path)


@pytest.mark.postgres
def test_every_kind_of_write_is_in_the_next_answer_on_postgresql(tmp_path, migrated_postgres_url):
    freshness_story(environment(tmp_path, migrated_postgres_url), migrated_postgres_url, tmp_path)


@pytest.mark.postgres
def test_a_transaction_committing_a_lower_log_id_after_a_higher_one_is_absorbed(tmp_path, migrated_postgres_url):
    """PostgreSQL hands out log ids at write time, not at commit: T1 writes first (lower id) and commits last.
    A store that read "ids above the highest seen" would never see T1."""
    import psycopg

    postgres_url = migrated_postgres_url
    env = environment(tmp_path, postgres_url)
    db = Database(postgres_url)
    python(env, "import django; django.setup(); from tests.analytics.story import build_story; build_story()")
    warm = Warm(env)
    try:
        assert warm.ask(op="docs")["metrics"]["platform"]["gmv"] == "775.50"
        t1, t2 = psycopg.connect(postgres_url), psycopg.connect(postgres_url)
        try:
            t1.execute("UPDATE campaigns_order SET amount = 1 WHERE order_id = 'S2'")  # A's ¥300 → ¥1
            t2.execute("UPDATE campaigns_order SET amount = 7 WHERE order_id = 'S6'")  # C's ¥40 → ¥7
            t2.commit()
            check(env, warm, gmv="742.50")  # T2 only: T1 is still open
            t1.commit()
            check(env, warm, gmv="443.50")  # T1's lower id, committed after T2's higher one
        finally:
            t1.close()
            t2.close()
        (s2,) = db.query("SELECT id FROM campaigns_order WHERE order_id = 'S2'")[0]
        (s6,) = db.query("SELECT id FROM campaigns_order WHERE order_id = 'S6'")[0]
        log = dict(
            db.query("SELECT row_id, id FROM analytics_sourcechange WHERE source = 1 AND row_id IN (%s, %s)", s2, s6)
        )
        assert log[s2] < log[s6]  # the order of ids was indeed the reverse of the order of commits
        # A long transaction still open does not make every check re-read what committed around it.
        t3 = psycopg.connect(postgres_url)
        try:
            t3.execute("UPDATE campaigns_order SET amount = 2 WHERE order_id = 'S2'")
            db.execute("UPDATE campaigns_order SET amount = 8 WHERE order_id = 'S6'")
            check(env, warm, gmv="444.50")
            t3.commit()
            check(env, warm, gmv="445.50")
        finally:
            t3.close()
    finally:
        warm.close()


@pytest.mark.postgres
def test_a_truncate_on_postgresql_is_everything_changed(tmp_path, migrated_postgres_url):
    """TRUNCATE fires no row triggers: its statement trigger logs one row-less entry, and every store reads
    the table again."""
    postgres_url = migrated_postgres_url
    env = environment(tmp_path, postgres_url)
    python(env, "import django; django.setup(); from tests.analytics.story import build_story; build_story()")
    warm = Warm(env)
    try:
        assert warm.ask(op="docs")["metrics"]["platform"]["gmv"] == "775.50"
        Database(postgres_url).execute("TRUNCATE campaigns_order CASCADE")
        check(env, warm, gmv="0.00", origin="tables")
    finally:
        warm.close()
