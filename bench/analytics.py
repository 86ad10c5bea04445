"""Benchmark of analytics at full size, with DuckDB as the baseline in the same run.

    .venv/bin/python bench/analytics.py                          # SQLite
    .venv/bin/python bench/analytics.py --postgres auto          # and a throwaway PostgreSQL server
    .venv/bin/python bench/analytics.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Data: `bench/generate.py`'s 100k members, 1M orders, 200 groups over 104 weeks (seed 42), imported with the
real commands (`import_groups`, `import_members`, `import_orders`) after the membership history (members who
moved group) is loaded, so orders are attributed by the importer. The SQLite database is kept in
`bench/out/` and reused while the files do not change (`--fresh` rebuilds it).

In-process figures (median of several warm runs, the fact store already loaded, as in a web worker):
metrics for one week and for one quarter (all groups), rates for one week (all groups), segments of every
member at an instant, and the decomposition of one week against the previous. DuckDB computes each from the
same rows (read from the same database into DuckDB tables, with the counting orders materialised once, as
the fact store does) in the same process; results are compared, then both times and the ratio printed.

Whole-process figures, warm path: `manage.py metrics` (a week, a quarter) and `manage.py rates` (a week)
with the snapshot current, against a DuckDB script that loads the CSV files, attributes the orders the way
the importer does and computes the same documents (Python start-up and imports included on both sides).

Cold path: a copy of the database as it was before the orders, the 1M-order `manage.py import_orders` (which,
once committed, leaves the analytics store current: a snapshot at the change log's head), then the first
`manage.py metrics` for one week and the first `manage.py rates` for one week, each in a new process,
against the same DuckDB script. Whole-process wall and CPU times (wait4) on both sides.

The group-ranking page for a week is timed through Django's test client on SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import DEFAULT_END  # noqa: E402
from bench.imports import SETUP  # noqa: E402  (the codebook and the group owners, as the import bench loads them)

# Bump when the way the benchmark database is loaded changes: a cached database is then rebuilt.
# 2: the change log (analytics/0003), and a copy of the database before the orders for the cold path.
LOADER_VERSION = 2
TARGET_RATIO = 2.0
PAGE_TARGET_MS = 300.0


# The membership history (members who left a group for another) is not part of any import format; it is
# written directly, before the orders are imported so that their attribution sees it.
HISTORY = """
import pandas as pd
from zoneinfo import ZoneInfo
from django.conf import settings
from members.models import Group, Member, Membership
tz = ZoneInfo(settings.TIME_ZONE)
frame = pd.read_csv({path!r}, dtype=str, keep_default_na=False)
frame = frame[frame["status"] == "left"]
members = dict(Member.objects.values_list("external_id", "id"))
groups = dict(Group.objects.values_list("code", "id"))
def aware(text):
    return pd.Timestamp(text).to_pydatetime().replace(tzinfo=tz)
Membership.objects.bulk_create(
    [
        Membership(member_id=members[r.member_external_id], group_id=groups[r.group], status="left",
                   joined_at=aware(r.joined_at), left_at=aware(r.left_at))
        for r in frame.itertuples()
    ],
    batch_size=5000,
)
print(len(frame), "left memberships")
"""


# The store's share of the import process: the line analytics logs once it has taken the import in.
ABSORBED = re.compile(r"analytics: took in the orders import in ([0-9.]+) s")


def python_env() -> dict:
    """Both sides of a whole-process comparison run with cached bytecode, as a deployment does (this machine
    sets PYTHONDONTWRITEBYTECODE, which makes every process compile Django afresh); the cache lives in
    bench/out, not beside the sources."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(ROOT / "bench" / "out" / "pycache")
    return env


def manage_env(database_url: str, var_dir: Path) -> dict:
    return {
        **python_env(),
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"),
        "ALLOWED_HOSTS": "localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "LANGUAGE_CODE": "en",
        "LOG_LEVEL": "WARNING",
        "COMMUNITYOPS_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "communityops.settings",
    }


def prepare_files(args) -> dict[str, Path]:
    from bench.imports import OWNERS, prepare_data

    ns = SimpleNamespace(
        members=args.members, orders=args.orders, groups=args.groups, weeks=args.weeks, seed=args.seed,
        end=args.end, out=args.out,
    )  # fmt: skip
    paths = prepare_data(ns)
    paths["memberships"] = args.out / "memberships.csv"
    paths["owners"] = OWNERS
    return paths


def load_database(label: str, database_url: str, paths: dict, env: dict, before_orders) -> None:
    """Load everything with the real commands; `before_orders()` keeps a copy for the cold path."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    print(f"loading {label} …", flush=True)
    started = time.perf_counter()
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    setup = SETUP.format(codebook=str(paths["codebook"]), owners=paths["owners"])
    subprocess.run([*manage, "shell", "-c", setup], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    for command, path in (("import_groups", "groups"), ("import_members", "members")):
        subprocess.run([*manage, command, str(paths[path])], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    history = HISTORY.format(path=str(paths["memberships"]))
    subprocess.run([*manage, "shell", "-c", history], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "shell", "-c", "from analytics.store import absorb_writes; absorb_writes()"], env=env,
                   check=True, cwd=ROOT)  # fmt: skip
    before_orders()
    subprocess.run([*manage, "import_orders", str(paths["orders"])], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database that no process has open (its WAL folded in first)."""
    import sqlite3

    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def postgres_copy(url: str, source: str, target: str) -> str:
    """CREATE DATABASE … TEMPLATE: a copy of a database nobody is connected to; the copy's URL."""
    import psycopg

    base, _sep, _db = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    return f"{base}/{target}"


PG_DATABASE = "communityops_bench_analytics"


def postgres_database(url: str, stamp: str, *, fresh: bool) -> tuple[str, bool]:
    """The benchmark database on that server: (its URL, whether it already holds this data set)."""
    import psycopg

    base, _sep, _db = url.rpartition("/")
    target = f"{base}/{PG_DATABASE}"
    if not fresh:
        try:
            with psycopg.connect(target) as conn:
                row = conn.execute("SELECT stamp FROM bench_stamp").fetchone()
                if row and row[0] == stamp:
                    return target, True
        except psycopg.Error:
            pass
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}"')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return target, False


def stamp_postgres(url: str, stamp: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_stamp (stamp text)")
        conn.execute("DELETE FROM bench_stamp")
        conn.execute("INSERT INTO bench_stamp VALUES (%s)", [stamp])


def measured(argv: list[str], env: dict) -> dict:
    """Run a process to completion: its wall time, CPU time (user + system) and peak RSS alone (wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "stdout": stdout, "stderr": stderr}  # fmt: skip


def run(argv: list[str], env: dict) -> tuple[float, str]:
    result = measured(argv, env)
    return result["wall"], result["stdout"]


def median_run(argv: list[str], env: dict, repeat: int) -> tuple[float, float, str]:
    """Median wall and CPU seconds of `repeat` runs after an untimed one (page cache, snapshot); the output."""
    measured(argv, env)
    results = [measured(argv, env) for _ in range(repeat)]
    return (
        statistics.median(r["wall"] for r in results),
        statistics.median(r["cpu"] for r in results),
        results[-1]["stdout"],
    )


# --- the in-process worker ----------------------------------------------------------------------------


DUCK_COUNTING = """
CREATE OR REPLACE TABLE c AS
SELECT o.ts, o.g, o.m, o.cents FROM o
WHERE o.paid AND o.g >= 0 AND NOT (
    EXISTS (SELECT 1 FROM ms WHERE ms.g = o.g AND ms.m = o.m AND ms."left" <= o.ts)
    AND NOT EXISTS (SELECT 1 FROM ms WHERE ms.g = o.g AND ms.m = o.m AND ms.joined <= o.ts AND o.ts < ms."left")
)
ORDER BY o.ts
"""

DUCK_METRICS = """
SELECT g, sum(s)::BIGINT, sum(n)::BIGINT, count(*), count(*) FILTER (WHERE n >= $k),
       coalesce(sum(n) FILTER (WHERE n >= $k), 0)::BIGINT, coalesce(sum(s) FILTER (WHERE n >= $k), 0)::BIGINT
FROM (SELECT g, m, count(*) AS n, sum(cents) AS s FROM c WHERE ts >= $s AND ts < $e GROUP BY g, m)
GROUP BY g ORDER BY g
"""

DUCK_SEGMENTS = """
SELECT mem.g, mem.m,
       CASE WHEN h.total IS NULL THEN 0 WHEN h.w >= $k THEN 2 WHEN h.w > 0 THEN 1 ELSE 3 END AS seg
FROM (SELECT DISTINCT g, m FROM ms WHERE joined <= $t AND $t < "left") mem
LEFT JOIN (SELECT g, m, count(*) AS total, count(*) FILTER (WHERE ts >= $t - $w) AS w
           FROM c WHERE ts < $t GROUP BY g, m) h USING (g, m)
"""

DUCK_RATES = f"""
WITH s0 AS ({DUCK_SEGMENTS.replace("$t", "$t0")}), s1 AS ({DUCK_SEGMENTS.replace("$t", "$t1")})
SELECT 'move' AS kind, s0.g, s0.seg AS a, coalesce(s1.seg, 4) AS b, count(*) AS n
FROM s0 LEFT JOIN s1 USING (g, m) GROUP BY ALL
UNION ALL
SELECT 'end', g, seg, -1, count(*) FROM s1 GROUP BY ALL
"""


def timed(fn, repeat: int, *, before=None) -> tuple[float, object]:
    """Median milliseconds of `repeat` runs after a warm-up; `before` runs untimed before each."""
    fn()
    times, result = [], None
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def forget_memos() -> None:
    """The services keep the last results per store (a page reload is free); the benchmark measures the work."""
    from analytics import metrics, segments

    metrics._totals_memo.entries.clear()
    segments._snapshot_memo.entries.clear()


def worker(args) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "communityops.settings")
    django.setup()
    import duckdb
    import numpy as np
    import pandas as pd
    from django.test import Client
    from django.test.utils import setup_test_environment

    from analytics import conf, decomposition, groups, metrics, rates, segments, sources, store
    from analytics.decomposition import decompose
    from analytics.metrics import Metrics
    from core.dates import local_midnight, week_bounds, week_label

    out: dict = {"figures": [], "extra": {}}
    started = time.perf_counter()
    facts = store.facts(rebuild=True)
    out["extra"]["store rebuild from the database (ms)"] = (time.perf_counter() - started) * 1000
    store.clear()
    started = time.perf_counter()
    store.facts()
    out["extra"]["store load from the snapshot file (ms)"] = (time.perf_counter() - started) * 1000
    out["extra"]["freshness check, nothing changed (µs)"] = timed(store.facts, 200)[0] * 1000

    # The last full week and quarter of the data.
    last_monday = args.end - timedelta(days=7)
    week = week_bounds(last_monday)
    prev_week = week_bounds(last_monday - timedelta(days=7))
    quarter = (local_midnight(args.end - timedelta(weeks=13)), local_midnight(args.end))
    at = week[0]
    us = sources.to_us
    kmin = conf.core_min_orders()
    window = int(conf.segment_window() / timedelta(microseconds=1))

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    o = facts.orders
    m = facts.memberships
    con.register("o_df", pd.DataFrame({"id": o.id, "m": o.member, "g": o.group, "ts": o.ts, "cents": o.cents,
                                       "paid": o.paid}))  # fmt: skip
    con.register("ms_df", pd.DataFrame({"g": m.group, "m": m.member, "joined": m.joined, "left": m.left}))
    con.execute("CREATE TABLE o AS SELECT * FROM o_df")
    con.execute("CREATE TABLE ms AS SELECT * FROM ms_df")
    started = time.perf_counter()
    con.execute(DUCK_COUNTING)
    out["extra"]["duckdb: materialise the counting orders (ms)"] = (time.perf_counter() - started) * 1000
    repeat = args.repeat

    def duck_metrics(s, e):
        return con.execute(DUCK_METRICS, {"s": us(s), "e": us(e), "k": kmin}).fetchall()

    def ours_metrics(s, e):
        return metrics.period_metrics(start=s, end=e)

    def same_metrics(duck_rows, pm):
        mine = {m.group.id: (m.gmv_cents, m.orders, m.buyers, m.core_members, m.core_orders, m.core_cents)
                for m in pm.groups if m.orders}  # fmt: skip
        return mine == {int(r[0]): tuple(int(x) for x in r[1:]) for r in duck_rows}

    for name, (s, e) in (("metrics, one week, all groups", week), ("metrics, one quarter, all groups", quarter)):
        t_ours, pm = timed(lambda s=s, e=e: ours_metrics(s, e), repeat, before=forget_memos)
        t_duck, rows = timed(lambda s=s, e=e: duck_metrics(s, e), repeat)
        out["figures"].append({"figure": name, "ours_ms": t_ours, "duckdb_ms": t_duck, "same": same_metrics(rows, pm)})

    def duck_rates():
        return con.execute(DUCK_RATES, {"t0": us(week[0]), "t1": us(week[1]), "w": window, "k": kmin}).fetchall()

    t_ours, transitions = timed(lambda: rates.week_transitions(monday=last_monday), repeat, before=forget_memos)
    t_duck, rows = timed(duck_rates, repeat)
    ids = {g.code: g.id for g in groups.group_refs()}
    mine = {}
    for wt in transitions:
        for a, targets in wt.transitions.items():
            for b, n in targets.items():
                if n:
                    mine[
                        ("move", ids[wt.group.code], segments.SEGMENT_CODES.index(a), segments.TARGET_CODES.index(b))
                    ] = n
        for s, n in wt.end_counts.items():
            if n:
                mine[("end", ids[wt.group.code], segments.SEGMENT_CODES.index(s), -1)] = n
    theirs = {(r[0], int(r[1]), int(r[2]), int(r[3])): int(r[4]) for r in rows}
    out["figures"].append({"figure": "rates, one week, all groups", "ours_ms": t_ours, "duckdb_ms": t_duck,
                           "same": mine == theirs})  # fmt: skip

    def duck_segments():
        return con.execute(DUCK_SEGMENTS, {"t": us(at), "w": window, "k": kmin}).fetchnumpy()

    t_ours, snap = timed(lambda: segments.segments_at(at=at), repeat, before=forget_memos)
    t_duck, seg = timed(duck_segments, repeat)
    theirs = np.sort(seg["g"].astype(np.int64) * snap.span + seg["m"].astype(np.int64))
    order = np.argsort(seg["g"].astype(np.int64) * snap.span + seg["m"].astype(np.int64))
    same = np.array_equal(theirs, snap.keys) and np.array_equal(seg["seg"][order].astype(np.int64), snap.codes)
    out["figures"].append({"figure": f"segments of all {len(snap.keys):,} members at an instant",
                           "ours_ms": t_ours, "duckdb_ms": t_duck, "same": bool(same)})  # fmt: skip

    def duck_decomposition():
        before = {int(r[0]): Metrics(None, *map(int, r[1:])) for r in duck_metrics(*prev_week)}
        after = {int(r[0]): Metrics(None, *map(int, r[1:])) for r in duck_metrics(*week)}
        empty = Metrics(None)
        rows = [decompose(before.get(g, empty), after.get(g, empty)) for g in sorted(set(before) | set(after))]
        total = decompose(sum(before.values(), empty), sum(after.values(), empty))
        return rows, total

    t_ours, comparison = timed(
        lambda: decomposition.compare_periods(before=prev_week, after=week), repeat, before=forget_memos
    )
    t_duck, (rows, total) = timed(duck_decomposition, repeat)
    same = (comparison.platform.core_members_cents, comparison.platform.aov_cents) == (
        total.core_members_cents,
        total.aov_cents,
    )
    out["figures"].append({"figure": "decomposition, week vs previous, all groups", "ours_ms": t_ours,
                           "duckdb_ms": t_duck, "same": same})  # fmt: skip

    # The group-ranking page for a week, through Django's test client (SQLite only: the target's).
    if args.page and connection_vendor() == "sqlite":
        from django.contrib.auth.models import User
        from django.test import override_settings

        setup_test_environment()
        user, _ = User.objects.get_or_create(username="bench_manager", defaults={"is_superuser": True})
        client = Client()
        client.force_login(user)
        url = f"/analytics/?week={week_label(last_monday)}"
        # Static files are not collected for the benchmark: plain storage, no manifest.
        storages = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(STORAGES=storages):
            response = client.get(url)
            if response.status_code == 200:
                t_page, _ = timed(lambda: client.get(url), repeat, before=forget_memos)
                out["page_ms"] = t_page
            else:
                out["page_ms"] = None
                out["page_status"] = response.status_code
    # One order changed (to the value it had: the data stay as they are, the log still names it): the next
    # read re-reads that row by id and recomputes the derived views.
    from django.db import connection

    def touch():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE campaigns_order SET amount = amount WHERE id = %s", [int(facts.orders.id[12345])])

    store.facts()
    out["extra"]["catch-up after one changed order (ms)"] = timed(store.facts, 5, before=touch)[0]
    print(json.dumps(out))


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


# --- whole-process comparison: the commands against DuckDB on the CSV files ---------------------------

DUCK_SCRIPT = r"""
import duckdb, json, sys
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
def half_up(numerator, denominator, places):
    q = Decimal(numerator) / Decimal(denominator)
    return float(q.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
what, folder, arg = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("SET TimeZone = 'Asia/Shanghai'")
local = lambda col: f"timezone('Asia/Shanghai', strptime({col}, '%Y-%m-%d %H:%M:%S'))"
con.execute(f"CREATE TABLE g AS SELECT code FROM read_csv('{folder}/groups.csv', all_varchar=true)")
con.execute(f'''CREATE TABLE ms AS
  SELECT external_id AS m, "group" AS g, {local('joined_at')} AS joined, NULL::TIMESTAMPTZ AS "left"
  FROM read_csv('{folder}/members.csv', all_varchar=true) WHERE "group" IS NOT NULL
  UNION ALL
  SELECT member_external_id, "group", {local('joined_at')}, {local('left_at')}
  FROM read_csv('{folder}/memberships.csv', all_varchar=true) WHERE status = 'left' ''')
con.execute(f'''CREATE TABLE o AS
  SELECT order_id, member_external_id AS m, {local('placed_at')} AS ts,
         CAST(round(amount::DOUBLE * 100) AS BIGINT) AS cents, status = 'paid' AS paid, "group" AS explicit
  FROM read_csv('{folder}/orders.csv', all_varchar=true)''')
# Attribution as the importer does it: the named group, else the member's group at placed_at (latest joined).
con.execute('''CREATE TABLE a AS
  SELECT o.*, coalesce(o.explicit, (SELECT ms.g FROM ms WHERE ms.m = o.m AND ms.joined <= o.ts
                                    AND (ms."left" IS NULL OR o.ts < ms."left") ORDER BY ms.joined DESC LIMIT 1)) AS g
  FROM o''')
con.execute('''CREATE TABLE c AS SELECT a.ts, a.g, a.m, a.cents FROM a WHERE a.paid AND a.g IS NOT NULL AND NOT (
    EXISTS (SELECT 1 FROM ms WHERE ms.g = a.g AND ms.m = a.m AND ms."left" <= a.ts)
    AND NOT EXISTS (SELECT 1 FROM ms WHERE ms.g = a.g AND ms.m = a.m AND ms.joined <= a.ts
                    AND (ms."left" IS NULL OR a.ts < ms."left")))''')
def money(c):
    return None if c is None else f"{c // 100}.{c % 100:02d}"
if what == "metrics":
    start, end = arg.split("/")
    rows = con.execute('''
      SELECT g.code, coalesce(sum(s), 0)::BIGINT, coalesce(sum(n), 0)::BIGINT, count(p.m),
             count(*) FILTER (WHERE n >= 2), coalesce(sum(n) FILTER (WHERE n >= 2), 0)::BIGINT,
             coalesce(sum(s) FILTER (WHERE n >= 2), 0)::BIGINT
      FROM g LEFT JOIN (SELECT g, m, count(*) AS n, sum(cents) AS s FROM c
                        WHERE ts >= $s::TIMESTAMPTZ AND ts < $e::TIMESTAMPTZ GROUP BY g, m) p ON p.g = g.code
      GROUP BY g.code ORDER BY g.code''', {"s": start, "e": end}).fetchall()
    def row(code, gmv, orders, buyers, core, core_orders, core_cents):
        return {"group": code, "gmv": money(gmv), "orders": orders, "buyers": buyers, "core_members": core,
                "repurchases": half_up(core_orders, core, 4) if core else None,
                "aov": half_up(core_cents, core_orders * 100, 2) if core_orders else None,
                "core_gmv": money(core_cents), "other_gmv": money(gmv - core_cents)}
    total = [None] + [sum(r[i] for r in rows) for i in range(1, 7)]
    print(json.dumps({"start": start, "end": end, "groups": [row(*r) for r in rows], "platform": row(*total)}))
else:
    year, week = arg.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    t0, t1 = monday.isoformat(), (monday + timedelta(days=7)).isoformat()
    snap = '''SELECT mem.g, mem.m,
             CASE WHEN h.total IS NULL THEN 0 WHEN h.w >= 2 THEN 2 WHEN h.w > 0 THEN 1 ELSE 3 END AS seg
      FROM (SELECT DISTINCT g, m FROM ms
            WHERE joined <= $T::TIMESTAMPTZ AND ($T::TIMESTAMPTZ < "left" OR "left" IS NULL)) mem
      LEFT JOIN (SELECT g, m, count(*) AS total, count(*) FILTER (WHERE ts >= $T::TIMESTAMPTZ - INTERVAL 28 DAY) AS w
                 FROM c WHERE ts < $T::TIMESTAMPTZ GROUP BY g, m) h USING (g, m)'''
    rows = con.execute(f'''WITH s0 AS ({snap.replace('$T', '$t0')}), s1 AS ({snap.replace('$T', '$t1')})
      SELECT 'move', s0.g, s0.seg, coalesce(s1.seg, 4), count(*) FROM s0 LEFT JOIN s1 USING (g, m) GROUP BY ALL
      UNION ALL SELECT 'end', g, seg, -1, count(*) FROM s1 GROUP BY ALL''', {"t0": t0, "t1": t1}).fetchall()
    names, targets = ["potential", "new", "core", "dormant"], ["potential", "new", "core", "dormant", "left"]
    groups = [r[0] for r in con.execute("SELECT code FROM g ORDER BY code").fetchall()]
    doc = {g: {"start": dict.fromkeys(names, 0), "end": dict.fromkeys(names, 0),
               "transitions": {a: dict.fromkeys(targets, 0) for a in names}} for g in groups}
    for kind, g, a, b, n in rows:
        if kind == "move":
            doc[g]["transitions"][names[a]][targets[b]] += n
            doc[g]["start"][names[a]] += n
        else:
            doc[g]["end"][names[a]] += n
    def rate(t, src, dst):
        den = sum(sum(t[a].values()) for a in src)
        return None if not den else half_up(sum(t[a][b] for a in src for b in dst), den, 4)
    out = []
    for g in groups:
        t = doc[g]["transitions"]
        out.append({"group": g, **doc[g],
                    "new_add_rate": rate(t, ["potential"], ["new", "core"]),
                    "conversion_rate": rate(t, ["new"], ["core"]),
                    "churn_rate": rate(t, ["potential", "new", "core"], ["dormant", "left"]),
                    "reactivation_rate": rate(t, ["dormant"], ["new", "core"])})
    print(json.dumps({"week": arg, "start": t0, "end": t1, "groups": out}))
"""


def command_pairs(args, folder: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Our command and the DuckDB script computing the same document, by figure name."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    quarter = (args.end - timedelta(weeks=13), args.end)
    monday = args.end - timedelta(days=7)
    week = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
    duck = [sys.executable, "-c", DUCK_SCRIPT]
    return {
        "metrics command (a week)": (
            [*manage, "metrics", "--start", str(monday), "--end", str(args.end), "--format", "json"],
            [*duck, "metrics", str(folder), f"{monday}/{args.end}"],
        ),
        "metrics command (a quarter)": (
            [*manage, "metrics", "--start", str(quarter[0]), "--end", str(quarter[1]), "--format", "json"],
            [*duck, "metrics", str(folder), f"{quarter[0]}/{quarter[1]}"],
        ),
        "rates command (a week)": (
            [*manage, "rates", "--week", week, "--format", "json"],
            [*duck, "rates", str(folder), week],
        ),
    }


def compare(label: str, name: str, out_ours: str, out_duck: str, folder: Path) -> bool:
    same = json.loads(out_ours) == json.loads(out_duck)
    if not same:
        (folder / f"diff-{label}-{name.split()[0]}.json").write_text(
            json.dumps({"ours": json.loads(out_ours), "duckdb": json.loads(out_duck)}, ensure_ascii=False)
        )
    return same


def commands(label: str, env: dict, args, folder: Path, duck_times: dict) -> list[dict]:
    """Warm path: the snapshot current (just rebuilt), nothing to catch up; median of several runs."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "rebuild_analytics"], env=env, check=True, cwd=ROOT, capture_output=True)
    rows = []
    for name, (ours, duck) in command_pairs(args, folder).items():
        t_ours, cpu_ours, out_ours = median_run(ours, env, args.command_repeat)
        if name not in duck_times:
            duck_times[name] = median_run(duck, python_env(), args.command_repeat)
        t_duck, cpu_duck, out_duck = duck_times[name]
        rows.append({"figure": name, "ours_ms": t_ours * 1000, "duckdb_ms": t_duck * 1000,
                     "ours_cpu_ms": cpu_ours * 1000, "duckdb_cpu_ms": cpu_duck * 1000,
                     "same": compare(label, name, out_ours, out_duck, folder)})  # fmt: skip
    return rows


def cold_path(label: str, env: dict, args, folder: Path, paths: dict, duck_times: dict) -> tuple[dict, list[dict]]:
    """Right after the 1M-order import (`manage.py import_orders`, which leaves the store current once it has
    committed): the first metrics and the first rates for one week, each in a new process. `env` points at a
    fresh copy of the database as it was before the orders, with the snapshot directory as it was then."""
    # At INFO the command says how long the store took to take the import in.
    imported = measured([sys.executable, str(ROOT / "manage.py"), "import_orders", str(paths["orders"])],
                        {**env, "LOG_LEVEL": "INFO"})  # fmt: skip
    absorbed = ABSORBED.search(imported["stderr"])
    absorb_s = float(absorbed.group(1)) if absorbed else float("nan")
    split = {"absorb_s": absorb_s, "import_s": imported["wall"] - absorb_s}
    rows = []
    pairs = command_pairs(args, folder)
    for name in ("metrics command (a week)", "rates command (a week)"):
        ours, duck = pairs[name]
        first = measured(ours, env)
        if name not in duck_times:
            duck_times[name] = median_run(duck, python_env(), args.command_repeat)
        t_duck, cpu_duck, out_duck = duck_times[name]
        figure = f"first {name.replace(' command', '')} after the import"
        rows.append({"figure": figure, "ours_ms": first["wall"] * 1000, "duckdb_ms": t_duck * 1000,
                     "ours_cpu_ms": first["cpu"] * 1000, "duckdb_cpu_ms": cpu_duck * 1000,
                     "same": compare(label, f"cold-{name}", first["stdout"], out_duck, folder)})  # fmt: skip
    return {**imported, **split}, rows


def print_table(label: str, rows: list[dict]) -> bool:
    ok = True
    cpu = any("ours_cpu_ms" in r for r in rows)
    print(f"\n{label}")
    print(
        f"  {'figure':<52} {'ours':>10} {'DuckDB':>10} {'ratio':>7}  same result  target"
        + (f"  {'CPU ours':>10} {'CPU DuckDB':>10} {'ratio':>7}" if cpu else "")
    )
    for r in rows:
        ratio = r["ours_ms"] / r["duckdb_ms"]
        hit = ratio <= TARGET_RATIO
        ok &= hit and r["same"]
        print(
            f"  {r['figure']:<52} {r['ours_ms']:8.1f}ms {r['duckdb_ms']:8.1f}ms {ratio:6.2f}×  "
            f"{'yes' if r['same'] else 'NO':<11}  {'ok    ' if hit else 'MISSED'}"
            + (
                f"  {r['ours_cpu_ms']:8.1f}ms {r['duckdb_cpu_ms']:8.1f}ms {r['ours_cpu_ms'] / r['duckdb_cpu_ms']:6.2f}×"
                if "ours_cpu_ms" in r
                else ""
            )
        )
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL, or 'auto' to start one")
    parser.add_argument("--fresh", action="store_true", help="reload the cached SQLite database")
    parser.add_argument("--repeat", type=int, default=15, help="warm runs per in-process figure (median)")
    parser.add_argument("--command-repeat", type=int, default=5, help="runs per whole-process figure (median)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--page", action="store_true", default=True, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    paths = prepare_files(args)
    manifest = (args.out / "manifest.json").read_text()
    backends = []
    sqlite_path = args.out / "analytics-bench.sqlite3"
    sqlite_pre = args.out / "analytics-bench-pre-orders.sqlite3"
    stamp = args.out / "analytics-bench.stamp"
    sqlite_env = manage_env(f"sqlite:///{sqlite_path}", args.out / "var-sqlite")
    wanted_stamp = json.dumps([LOADER_VERSION, manifest])

    def keep_snapshots(var_dir: Path, label: str):
        """The snapshot directory as it was before the orders, beside the database copy."""
        target = args.out / f"var-{label}-pre-orders"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(var_dir / "analytics", target / "analytics")

    def cold_var(label: str) -> Path:
        target = args.out / f"var-{label}-cold"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(args.out / f"var-{label}-pre-orders" / "analytics", target / "analytics")
        return target

    stale = args.fresh or not stamp.exists() or stamp.read_text() != wanted_stamp
    if stale or not sqlite_path.exists() or not sqlite_pre.exists():
        shutil.rmtree(args.out / "var-sqlite", ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)

        def sqlite_before_orders():
            sqlite_copy(sqlite_path, sqlite_pre)
            keep_snapshots(args.out / "var-sqlite", "sqlite")

        load_database("SQLite", f"sqlite:///{sqlite_path}", paths, sqlite_env, sqlite_before_orders)
        stamp.write_text(wanted_stamp)

    def sqlite_cold() -> dict:
        cold = args.out / "analytics-cold.sqlite3"
        sqlite_copy(sqlite_pre, cold)
        return manage_env(f"sqlite:///{cold}", cold_var("sqlite"))

    backends.append(("SQLite", sqlite_env, sqlite_cold))
    server = None
    if args.postgres:
        url = args.postgres
        if url == "auto":
            from tests.servers import PostgresServer

            server = PostgresServer().start()
            url = server.url()
        pg_url, loaded = postgres_database(url, wanted_stamp, fresh=args.fresh)
        pg_env = manage_env(pg_url, args.out / "var-postgresql")
        if loaded and (args.out / "var-postgresql-pre-orders").exists():
            print(f"reusing the PostgreSQL database {PG_DATABASE}")
        else:
            shutil.rmtree(args.out / "var-postgresql", ignore_errors=True)

            def postgres_before_orders():
                postgres_copy(pg_url, PG_DATABASE, f"{PG_DATABASE}_pre")
                keep_snapshots(args.out / "var-postgresql", "postgresql")

            load_database("PostgreSQL", pg_url, paths, pg_env, postgres_before_orders)
            stamp_postgres(pg_url, wanted_stamp)

        def postgres_cold() -> dict:
            cold = postgres_copy(pg_url, f"{PG_DATABASE}_pre", f"{PG_DATABASE}_cold")
            return manage_env(cold, cold_var("postgresql"))

        backends.append(("PostgreSQL", pg_env, postgres_cold))
    ok = True
    duck_times: dict = {}
    try:
        for label, env, cold_env in backends:
            worker_argv = [sys.executable, str(Path(__file__).resolve()), "--worker", "--end", str(args.end),
                           "--repeat", str(args.repeat)]  # fmt: skip
            _elapsed, output = run(worker_argv, env)
            result = json.loads(output.strip().splitlines()[-1])
            ok &= print_table(f"{label}: in-process, fact store loaded (median of {args.repeat})", result["figures"])
            for name, value in result["extra"].items():
                print(f"  {name:<52} {value:8.1f}")
            if result.get("page_ms") is not None:
                hit = result["page_ms"] < PAGE_TARGET_MS
                ok &= hit
                verdict = "ok" if hit else "MISSED"
                page = "group-ranking page for a week"
                print(f"  {page:<52} {result['page_ms']:8.1f}ms  (< {PAGE_TARGET_MS:.0f} ms) {verdict}")
            elif "page_status" in result:
                print(f"  group-ranking page: HTTP {result['page_status']}")
            rows = commands(label, env, args, args.out, duck_times)
            ok &= print_table(f"{label}: warm path, whole process, Django start-up included "
                              f"(median of {args.command_repeat})", rows)  # fmt: skip
            imported, rows = cold_path(label, cold_env(), args, args.out, paths, duck_times)
            ok &= print_table(f"{label}: cold path, first process after the {args.orders:,}-order import, Django "
                              f"start-up included (DuckDB: median of {args.command_repeat})", rows)  # fmt: skip
            print(
                f"  {'the import process (manage.py import_orders)':<52} {imported['wall']:8.1f} s wall,"
                f" {imported['cpu']:.1f} s CPU, {imported['peak_mb']:.0f} MB peak;"
                f" of which the store taking it in {imported['absorb_s']:.1f} s"
            )
    finally:
        if server is not None:
            server.stop()
    print("\nall targets met" if ok else "\nsome targets MISSED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
