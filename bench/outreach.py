"""Benchmark of call lists at full size: building one from a selection of 20,000 members and splitting it
among 10 agents, and the next-task claim with 10 agents claiming at once on PostgreSQL.

    .venv/bin/python bench/outreach.py                      # SQLite: the build
    .venv/bin/python bench/outreach.py --postgres auto      # and PostgreSQL (a throwaway server): build, claims

Data: the analytics benchmark's database (`bench/analytics.py` loads `bench/generate.py`'s 100k members, 1M
orders, 200 groups with the real import commands; it is reused from `bench/out/` when present), copied, then
migrated. The selection is "cumulative purchase ≥ X" with X chosen so that it holds 20,000 members.

Build: `call_list_build` in process (the selection read through the members filter, members already in the
target group left out, 10 agents by round robin, the tasks written), the first build in a fresh process
(cold) and the median of the next ones (warm). Baseline, in the same process on the same data: one raw
`INSERT … SELECT` writing the same 20,000 tasks with an agent each (`id % 10`), the least any implementation
must do. Claims (PostgreSQL): 10 worker processes start together at a barrier; each claims its next task
and records it, `--claims` times, timing each claim (`task_claim_next`); then the same on a shared queue,
where all 10 race for the same rows. Duplicates (a task recorded twice, or by two agents) are counted.
The last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.analytics import (  # noqa: E402
    LOADER_VERSION,
    PG_DATABASE,
    load_database,
    manage_env,
    postgres_copy,
    postgres_database,
    prepare_files,
    sqlite_copy,
    stamp_postgres,
)  # fmt: skip
from bench.generate import DEFAULT_END  # noqa: E402

SELECTED = 20_000
AGENTS = 10
BUILD_TARGET_S = 2.0
CLAIM_TARGET_MS = 20.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def prepare_people():
    """The 10 agents and an operator; the selection of SELECTED members; a group with room for them."""
    from django.contrib.auth.models import Group as Role
    from django.contrib.auth.models import User

    from members.models import Group, Member, SavedSelection

    agents = []
    for n in range(AGENTS):
        user, _ = User.objects.get_or_create(username=f"bench-agent-{n}")
        user.groups.add(Role.objects.get(name="agent"))
        agents.append(user)
    operator, _ = User.objects.get_or_create(username="bench-operator")
    operator.groups.add(Role.objects.get(name="operator"))
    threshold = Member.objects.order_by("-cumulative_purchase").values_list("cumulative_purchase", flat=True)[
        SELECTED - 1
    ]
    selection, _ = SavedSelection.objects.update_or_create(
        name="bench: top buyers", defaults={"query": f"min_purchase={threshold}"}
    )
    group, _ = Group.objects.update_or_create(
        code="BENCH-CALLS", defaults={"name": "外呼基准群", "tier": "vip", "capacity": 100_000}
    )
    return agents, operator, selection, group


def build_once(agents, operator, selection, group, *, split="round_robin"):
    from outreach.services import CallListSpec, call_list_build
    from outreach.split import Share

    spec = CallListSpec(
        name="bench", selection=selection, groups=[group], shares=[Share(a.pk) for a in agents], split=split,
        recent_days=30,
    )  # fmt: skip
    started = time.perf_counter()
    call_list = call_list_build(spec, by=operator)
    return time.perf_counter() - started, call_list


def baseline_build(selection_threshold, agents, operator) -> float:
    """The same rows by one INSERT … SELECT (and the list row), in the same process."""
    from django.db import connection, transaction
    from django.utils import timezone

    from outreach.models import CallList

    started = time.perf_counter()
    with transaction.atomic():
        call_list = CallList.objects.create(name="baseline", created_by=operator)
        agent_ids = [a.pk for a in agents]
        case = " ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(agent_ids))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO outreach_calltask (call_list_id, member_id, agent_id, status, outcome, attempts, "
                "notes, priority, priority_reason, created_at) "
                f"SELECT %s, id, CASE MOD(id, {len(agent_ids)}) {case} END, 'open', '', 0, '', 0, '', %s "
                "FROM members_member WHERE cumulative_purchase >= %s",
                [call_list.pk, now, selection_threshold],
            )
    return time.perf_counter() - started


def build_bench(label: str, env: dict, repeat: int) -> dict:
    """In a fresh process (this script as a worker), so the first build is the cold one."""
    out = subprocess.run(
        [sys.executable, __file__, "--build-worker", "--repeat", str(repeat)],
        env={**os.environ, **env}, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    if out.returncode:
        raise SystemExit(f"{label} build failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["database"] = label
    log(f"{label} build: {json.dumps(result)}")
    return result


def build_worker(repeat: int) -> None:
    from decimal import Decimal

    from django.core.management import call_command
    from django.db.models import Count

    call_command("migrate", verbosity=0, interactive=False)
    agents, operator, selection, group = prepare_people()
    threshold = Decimal(selection.query.split("=", 1)[1])
    cold, call_list = build_once(agents, operator, selection, group)
    tasks = call_list.tasks.count()
    per_agent = sorted(call_list.tasks.values("agent").annotate(n=Count("pk")).values_list("n", flat=True))
    warm = [build_once(agents, operator, selection, group)[0] for _ in range(repeat)]
    baseline = [baseline_build(threshold, agents, operator) for _ in range(repeat)]
    warm_s, base_s = statistics.median(warm), statistics.median(baseline)
    print(json.dumps({
        "selected": call_list.selected_count, "tasks": tasks, "agents": len(per_agent),
        "per_agent_min": per_agent[0], "per_agent_max": per_agent[-1],
        "cold_s": round(cold, 3), "warm_s": round(warm_s, 3), "baseline_s": round(base_s, 3),
        "ratio_warm": round(warm_s / base_s, 2), "ratio_cold": round(cold / base_s, 2),
        "target_s": BUILD_TARGET_S, "ok": cold < BUILD_TARGET_S and warm_s < BUILD_TARGET_S,
    }))  # fmt: skip


def claim_worker(agent_name: str, claims: int, go: Path, report: Path, think_ms: float = 0.0) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from outreach.models import CallList, CallTask
    from outreach.services import call_record, task_claim_next

    agent = User.objects.get(username=agent_name)
    call_list = CallList.objects.get(name=os.environ["BENCH_LIST"])
    connection.ensure_connection()
    go.with_name(f"{go.name}.{os.getpid()}.ready").touch()
    while not go.exists():
        time.sleep(0.005)
    times, ids = [], []
    rng = random.Random(agent_name)
    for _ in range(claims):
        if think_ms:  # the call itself: an agent claims again once it is over (jittered, so claims still collide)
            time.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)
        started = time.perf_counter()
        task = task_claim_next(agent=agent, call_list=call_list)
        times.append(time.perf_counter() - started)
        if task is None:
            break
        ids.append(task.pk)
        call_record(task=task, agent=agent, outcome=CallTask.Outcome.DECLINED)
    report.write_text(json.dumps({"times": times, "ids": ids}))


def claim_bench(env: dict, claims: int, split: str, think_ms: float) -> dict:
    setup_django(env)
    from outreach.models import CallAttempt

    agents, operator, selection, group = prepare_people()
    _, call_list = build_once(agents, operator, selection, group, split=split)
    call_list.name = f"bench-claims-{split}-{call_list.pk}"
    call_list.save(update_fields=["name"])
    from django.db import connection

    connection.close()
    folder = Path(tempfile.mkdtemp(prefix="bench-outreach-"))
    go = folder / "go"
    reports = [folder / f"{n}.json" for n in range(AGENTS)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--claim-worker",
                agent.username,
                "--claims",
                str(claims),
                "--go",
                str(go),
                "--report",
                str(report),
                "--think-ms",
                str(think_ms),
            ],
            env={**os.environ, **env, "BENCH_LIST": call_list.name},
            cwd=ROOT,
        )  # fmt: skip
        for agent, report in zip(agents, reports, strict=True)
    ]
    deadline = time.monotonic() + 300
    while len(list(folder.glob("go.*.ready"))) < AGENTS:
        if time.monotonic() > deadline or any(p.poll() not in (None, 0) for p in processes):
            raise SystemExit("a claim worker did not start")
        time.sleep(0.05)
    started = time.perf_counter()
    go.touch()
    codes = [p.wait() for p in processes]
    wall = time.perf_counter() - started
    if any(codes):
        raise SystemExit(f"a claim worker failed: {codes}")
    results = [json.loads(r.read_text()) for r in reports]
    times = sorted(t * 1000 for r in results for t in r["times"])
    ids = [i for r in results for i in r["ids"]]
    attempts = CallAttempt.objects.filter(task__call_list=call_list)
    duplicates = (len(ids) - len(set(ids))) + (attempts.count() - attempts.values("task").distinct().count())
    p95 = times[int(0.95 * (len(times) - 1))]
    return {
        "split": split, "think_ms": think_ms, "agents": AGENTS, "claims": len(ids),
        "claims_per_second": round(len(ids) / wall, 1),
        "p50_ms": round(statistics.median(times), 2), "p95_ms": round(p95, 2), "max_ms": round(times[-1], 2),
        "duplicates": duplicates, "target_p95_ms": CLAIM_TARGET_MS, "ok": p95 < CLAIM_TARGET_MS and not duplicates,
    }  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL, or 'auto' to start one")
    parser.add_argument("--repeat", type=int, default=5, help="warm builds (median)")
    parser.add_argument("--claims", type=int, default=200, help="claims per agent")
    parser.add_argument(
        "--think-ms", type=float, action="append", default=None,
        help="time an agent spends on a call between claims (repeatable; default: 0 and 1000)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--build-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--claim-worker", help=argparse.SUPPRESS)
    parser.add_argument("--go", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_worker or args.claim_worker:
        import django

        django.setup()
        if args.build_worker:
            build_worker(args.repeat)
        else:
            claim_worker(args.claim_worker, args.claims, args.go, args.report, (args.think_ms or [0.0])[0])
        return 0

    files = SimpleNamespace(members=100_000, orders=1_000_000, groups=200, weeks=104, seed=42, end=DEFAULT_END,
                            out=args.out)  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    source = args.out / "analytics-bench.sqlite3"
    paths = None
    if not source.exists():
        paths = prepare_files(files)
        sqlite_env = manage_env(f"sqlite:///{source}", args.out / "var-sqlite")
        load_database("SQLite", f"sqlite:///{source}", paths, sqlite_env, lambda: None)
    copy = args.out / "outreach-bench.sqlite3"
    sqlite_copy(source, copy)
    results = {
        "build": [build_bench("SQLite", manage_env(f"sqlite:///{copy}", args.out / "var-outreach"), args.repeat)]
    }

    ok = results["build"][0]["ok"]
    server = None
    if args.postgres:
        url = args.postgres
        if url == "auto":
            from tests.servers import PostgresServer

            server = PostgresServer().start()
            url = server.url()
        manifest = (args.out / "manifest.json").read_text() if (args.out / "manifest.json").exists() else ""
        stamp = json.dumps([LOADER_VERSION, manifest])
        pg_url, loaded = postgres_database(url, stamp, fresh=False)
        if not loaded:
            paths = paths or prepare_files(files)
            load_database("PostgreSQL", pg_url, paths, manage_env(pg_url, args.out / "var-postgresql"), lambda: None)
            stamp_postgres(pg_url, stamp)
        pg_copy = postgres_copy(pg_url, PG_DATABASE, "communityops_bench_outreach")
        env = manage_env(pg_copy, args.out / "var-outreach-pg")
        results["build"].append(build_bench("PostgreSQL", env, args.repeat))
        results["claims"] = [
            claim_bench(env, args.claims, split, think_ms)
            for think_ms in args.think_ms or [0.0, 1000.0]
            for split in ("round_robin", "shared")
        ]
        for row in results["claims"]:
            log(f"PostgreSQL claims: {json.dumps(row)}")
        # The target is for agents working calls (think time > 0); the loops without a pause saturate the two
        # cores of this machine with ten processes and are reported for scale.
        ok = ok and results["build"][1]["ok"] and all(row["ok"] for row in results["claims"] if row["think_ms"])
        if server is not None:
            server.stop()
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
