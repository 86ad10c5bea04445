"""Benchmark of the import commands at full size, against baselines measured in the same run.

    .venv/bin/python bench/imports.py                      # 100k members, 1M orders, SQLite
    .venv/bin/python bench/imports.py --postgres postgres://postgres@127.0.0.1:5432/postgres

It generates the files with `bench/generate.py` (or reuses them when generated with the same arguments),
makes a fresh SQLite database (and, with --postgres, a fresh database `communityops_bench` on that server),
migrates it, loads the codebook and the group owners, then runs the real commands in subprocesses:

    manage.py import_groups groups.csv / import_members members.xlsx / import_orders orders.csv
    and the re-imports (import_orders orders.csv again, import_members members.csv): nothing changes.

For each it measures the whole process: wall time, CPU time, peak RSS (wait4's ru_maxrss), rows per second.
Baselines, also in subprocesses, put the figures in proportion on this machine at this moment:
- sqlite3-executemany: the csv module plus sqlite3 `executemany` of the same orders into a table with the
  same schema and indexes, no checks at all: the floor for writing these rows into SQLite from Python;
- duckdb-read: DuckDB parsing orders.csv (a fast multi-threaded CSV reader);
- postgres-copy (with --postgres): PostgreSQL's COPY of orders.csv into a table with the same indexes.
Results go to stdout and to OUT/results-<backend>.json. The targets of issue 4 are checked at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import DEFAULT_END, generate_dataset, write_dataset  # noqa: E402

OWNERS = ("op_chengdu", "op_mianyang", "op_nanchong", "op_yibin")
TARGETS = {"import_orders": (30.0, 500.0), "import_members (xlsx)": (10.0, None)}

SETUP = """
import csv
from django.contrib.auth.models import User
from members.models import Tag, TagCategory
with open({codebook!r}, encoding="utf-8") as handle:
    for row in csv.DictReader(handle):
        category, _ = TagCategory.objects.get_or_create(
            code=row["category_code"], defaults={{"name": row["category_name"]}}
        )
        Tag.objects.get_or_create(code=row["code"], defaults={{"name": row["name"], "category": category}})
for username in {owners!r}:
    User.objects.get_or_create(username=username)
"""

SQLITE_BASELINE = """
import csv, sqlite3, sys
source, path = sys.argv[1], sys.argv[2]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
ddl = [r[0] for r in db.execute(
    "SELECT sql FROM sqlite_master WHERE tbl_name = 'campaigns_order' AND sql IS NOT NULL ORDER BY type DESC")]
db.execute("CREATE TABLE baseline_member (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE)")
db.execute("INSERT INTO baseline_member SELECT id, external_id FROM members_member")
members = dict(db.execute("SELECT external_id, id FROM baseline_member"))
db.execute("BEGIN")
for statement in ddl:
    db.execute(statement.replace('"campaigns_order"', '"baseline_order"', 1).replace(
        'ON "campaigns_order"', 'ON "baseline_order"').replace('INDEX "', 'INDEX "baseline_'))
with open(source, encoding="utf-8", newline="") as handle:
    reader = csv.reader(handle)
    next(reader)
    rows = ((r[0], members[r[1]], r[2], r[3], r[4], False, False, "2026-01-01 00:00:00") for r in reader)
    db.executemany(
        "INSERT INTO baseline_order (order_id, member_id, placed_at, amount, status, group_is_explicit,"
        " campaign_is_explicit, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
db.execute("COMMIT")
"""

DUCKDB_BASELINE = """
import duckdb, sys
sql = "SELECT count(*), sum(amount::DECIMAL(12,2)) FROM read_csv('{}', all_varchar=true)"
print(duckdb.sql(sql.format(sys.argv[1])).fetchall())
"""

POSTGRES_BASELINE = """
import psycopg, sys
source, url = sys.argv[1], sys.argv[2]
with psycopg.connect(url) as conn, conn.cursor() as cur:
    cur.execute("CREATE TABLE baseline_order (LIKE campaigns_order INCLUDING DEFAULTS INCLUDING INDEXES)")
    for column in ("member_id", "group_is_explicit", "campaign_is_explicit", "updated_at"):
        cur.execute(f"ALTER TABLE baseline_order ALTER COLUMN {column} DROP NOT NULL")
    cur.execute("CREATE TEMP TABLE raw (order_id text, member_external_id text, placed_at text, amount text,"
                " status text, \\"group\\" text, campaign text)")
    with open(source, "rb") as handle, cur.copy("COPY raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
        while block := handle.read(1 << 20):
            copy.write(block)
    cur.execute("INSERT INTO baseline_order (id, order_id, placed_at, amount, status) SELECT row_number() OVER (),"
                " order_id, (placed_at || '+08')::timestamptz, amount::numeric, status FROM raw")
    cur.execute("DROP TABLE baseline_order")
"""


def run_measured(name: str, argv: list[str], env: dict, rows: int, log_dir: Path) -> dict:
    """Run a process to completion; wall time, CPU time and peak RSS of that process alone (wait4)."""
    out = open(log_dir / f"{name.replace(' ', '_')}.out", "w+")
    err = open(log_dir / f"{name.replace(' ', '_')}.err", "w+")
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=out, stderr=err, cwd=ROOT)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"{name} failed ({process.returncode}):\n{stderr[-3000:]}")
    result = {
        "step": name,
        "rows": rows,
        "seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "rows_per_second": round(rows / wall) if rows else None,
        "output": stdout.strip().splitlines()[-1] if stdout.strip() else "",
    }
    print(
        f"  {name:<28} {wall:7.2f} s  cpu {result['cpu_seconds']:7.2f} s  peak {result['peak_mb']:7.1f} MB"
        + (f"  {result['rows_per_second']:>9,} rows/s" if rows else "")
        + (f"   [{result['output']}]" if result["output"] else ""),
        flush=True,
    )
    return result


def count_rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1


def prepare_data(args) -> dict[str, Path]:
    manifest = args.out / "manifest.json"
    wanted = {
        "members": args.members,
        "orders": args.orders,
        "groups": args.groups,
        "weeks": args.weeks,
        "seed": args.seed,
        "end": str(args.end),
        "owners": list(OWNERS),
        "generator": (ROOT / "bench" / "generate.py").stat().st_mtime,
    }
    names = ["groups", "members", "members_xlsx", "orders", "codebook"]
    paths = {
        "groups": args.out / "groups.csv",
        "members": args.out / "members.csv",
        "members_xlsx": args.out / "members.xlsx",
        "orders": args.out / "orders.csv",
        "codebook": args.out / "codebook.csv",
    }
    if manifest.exists() and json.loads(manifest.read_text()) == wanted and all(paths[n].exists() for n in names):
        print(f"reusing the files in {args.out}")
        return paths
    print(f"generating {args.members:,} members and {args.orders:,} orders into {args.out} …", flush=True)
    start = time.perf_counter()
    data = generate_dataset(
        members=args.members,
        orders=args.orders,
        groups=args.groups,
        weeks=args.weeks,
        seed=args.seed,
        end=args.end,
        owners=OWNERS,
    )
    write_dataset(data, args.out, formats=("csv", "xlsx"))
    manifest.write_text(json.dumps(wanted))
    print(f"  generated in {time.perf_counter() - start:.1f} s")
    return paths


def bench_backend(label: str, database_url: str, paths: dict[str, Path], args, log_dir: Path) -> list[dict]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"),
        "ALLOWED_HOSTS": "localhost",
        "LANGUAGE_CODE": "en",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    print(f"\n{label}: {database_url}")
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    setup = SETUP.format(codebook=str(paths["codebook"]), owners=OWNERS)
    subprocess.run([*manage, "shell", "-c", setup], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    n_groups, n_members, n_orders = args.groups, args.members, count_rows(paths["orders"])
    steps = [
        ("import_groups", ["import_groups", paths["groups"]], n_groups),
        ("import_members (xlsx)", ["import_members", paths["members_xlsx"]], n_members),
        ("import_orders", ["import_orders", paths["orders"]], n_orders),
        ("import_orders (again)", ["import_orders", paths["orders"]], n_orders),
        ("import_members (csv again)", ["import_members", paths["members"]], n_members),
    ]
    results = [run_measured(name, [*manage, *map(str, command)], env, rows, log_dir) for name, command, rows in steps]
    for result in results:
        result["backend"] = label
    return results


def baselines(paths, sqlite_path: Path | None, postgres_url: str | None, log_dir: Path, rows: int) -> list[dict]:
    results = []
    python = sys.executable
    if sqlite_path is not None:
        results.append(
            run_measured(
                "sqlite3-executemany",
                [python, "-c", SQLITE_BASELINE, str(paths["orders"]), str(sqlite_path)],
                dict(os.environ),
                rows,
                log_dir,
            )
        )
    results.append(
        run_measured(
            "duckdb-read", [python, "-c", DUCKDB_BASELINE, str(paths["orders"])], dict(os.environ), rows, log_dir
        )
    )
    if postgres_url:
        results.append(
            run_measured(
                "postgres-copy",
                [python, "-c", POSTGRES_BASELINE, str(paths["orders"]), postgres_url],
                dict(os.environ),
                rows,
                log_dir,
            )
        )
    return results


def fresh_postgres(url: str, name: str = "communityops_bench") -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _sep, _db = url.rpartition("/")
    return f"{base}/{name}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=lambda s: __import__("datetime").date.fromisoformat(s), default=DEFAULT_END)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL; a fresh database is made on it")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = prepare_data(args)
    all_results = []
    with tempfile.TemporaryDirectory(prefix="communityops-bench-") as tmp:
        log_dir = Path(tmp)
        sqlite_path = Path(tmp) / "bench.sqlite3"
        results = bench_backend("sqlite", f"sqlite:///{sqlite_path}", paths, args, log_dir)
        pg_url = fresh_postgres(args.postgres) if args.postgres else None
        if pg_url:
            results += bench_backend("postgresql", pg_url, paths, args, log_dir)
        print("\nbaselines (same machine, same moment):")
        base = baselines(paths, sqlite_path, pg_url, log_dir, count_rows(paths["orders"]))
        all_results = results + base

    by_step = {(r.get("backend"), r["step"]): r for r in all_results}
    print("\nratios (import_orders ÷ baseline, wall time):")
    for backend in ("sqlite", "postgresql"):
        orders = by_step.get((backend, "import_orders"))
        if not orders:
            continue
        for baseline in base:
            print(f"  {backend} import_orders ÷ {baseline['step']}: {orders['seconds'] / baseline['seconds']:.2f}×")
    failed = False
    print("\ntargets (issue 4, SQLite):")
    for step, (seconds, peak) in TARGETS.items():
        result = by_step[("sqlite", step)]
        ok = result["seconds"] < seconds and (peak is None or result["peak_mb"] < peak)
        failed |= not ok
        limits = f"< {seconds:.0f} s" + (f", < {peak:.0f} MB" if peak else "")
        print(
            f"  {step:<24} {result['seconds']:6.2f} s, {result['peak_mb']:6.1f} MB   ({limits}) "
            + ("ok" if ok else "MISSED")
        )
    (args.out / "results.json").write_text(json.dumps(all_results, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
