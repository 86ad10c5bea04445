"""Benchmark: N due reminders claimed and delivered through the in-app channel by W worker processes.

    python bench/reminders.py --due 100000 --workers 2
    DATABASE_URL=postgres://… python bench/reminders.py --due 100000 --workers 2

Uses the database DATABASE_URL names; without it, a fresh SQLite file under var/bench/ (or under
COMMUNITYOPS_VAR_DIR). Each worker is a real process running the production sweep
(`campaigns.delivery.reminders_sweep`); they start together at a barrier so that Django's start-up is not
timed. Progress goes to stderr; the last line on stdout is one JSON object: {"database", "due", "workers",
"delivered", "duplicates", "per_second"}. `duplicates` counts reminders claimed and delivered by more than
one worker, plus any with more than one Delivery row.
"""

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
KEY_PREFIX = "bench:"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "communityops.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(due: int) -> None:
    """Migrate, remove an earlier run's rows, insert `due` reminders due a minute ago (not timed)."""
    from django.core.management import call_command
    from django.utils import timezone

    from campaigns.models import Reminder

    call_command("migrate", verbosity=0, interactive=False)
    Reminder.objects.filter(key__startswith=KEY_PREFIX).delete()
    from django.db import connection, transaction

    due_at = connection.ops.adapt_datetimefield_value(timezone.now() - timezone.timedelta(minutes=1))
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"INSERT INTO {Reminder._meta.db_table} (key, occurrence, kind, title, text, red_packet_name, channel, due_at, "
        "status, next_attempt_at, attempts, last_error, claim_token, is_late, created_at) "
        "VALUES (%s, 0, 'custom', %s, '', '', 'inbox', %s, 'pending', %s, 0, '', '', false, %s)"
    )
    batch = 10_000  # rows per executemany: bounded memory
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, due, batch):
            cursor.executemany(
                sql,
                [
                    (f"{KEY_PREFIX}{n}", f"bench {n}", due_at, due_at, created)
                    for n in range(start, min(due, start + batch))
                ],
            )
    log(f"prepared {due} due reminders")


def worker(report: Path, start_at: float, batch: int) -> None:
    # Open the connection before the barrier: connecting is not what is measured.
    from django.db import connection

    from campaigns.delivery import reminders_sweep

    connection.ensure_connection()
    time.sleep(max(0.0, start_at - time.time()))
    started = time.time()
    result = reminders_sweep(batch_size=batch, collect_ids=True)
    finished = time.time()
    report.write_text(json.dumps({"started": started, "finished": finished, "ids": result.delivered_ids}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=None, help="reminders per claim (default: the sweep's)")
    parser.add_argument("--worker-report", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        bench_dir = Path(os.environ.get("COMMUNITYOPS_VAR_DIR", ROOT / "var")) / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        path = bench_dir / "reminders.sqlite3"
        if args.worker_report is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    setup_django(database_url)
    from django.db import connection

    from campaigns.delivery import CLAIM_BATCH

    batch = args.batch or CLAIM_BATCH
    if args.worker_report is not None:
        worker(args.worker_report, args.start_at, batch)
        return 0

    prepare(args.due)
    connection.close()
    start_at = time.time() + 3.0  # every worker has imported Django by then
    reports = [Path(tempfile.mkstemp(prefix="bench-reminders-", suffix=".json")[1]) for _ in range(args.workers)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker-report",
                str(report),
                "--start-at",
                str(start_at),
                "--batch",
                str(batch),
            ],
            env={**os.environ, "DATABASE_URL": database_url},
        )
        for report in reports
    ]
    codes = [process.wait() for process in processes]
    if any(codes):
        log(f"a worker failed: exit codes {codes}")
        return 1
    results = [json.loads(report.read_text()) for report in reports]
    for report in reports:
        report.unlink()
    # From the first worker's start (a worker slow to import Django does not count) to the last one's end.
    elapsed = max(result["finished"] for result in results) - min(result["started"] for result in results)
    ids = [pk for result in results for pk in result["ids"]]

    from django.db.models import Exists, OuterRef

    from campaigns.models import Delivery, Reminder

    bench = Reminder.objects.filter(key__startswith=KEY_PREFIX)
    delivered = bench.filter(status=Reminder.Status.SENT).count()
    # A second Delivery row per reminder cannot exist (its key is unique); what can go wrong is a reminder
    # marked sent whose delivery was never recorded.
    unrecorded = (
        bench.filter(status=Reminder.Status.SENT)
        .exclude(Exists(Delivery.objects.filter(reminder=OuterRef("pk"))))
        .count()
    )
    duplicates = len(ids) - len(set(ids))
    log(
        f"{delivered} of {args.due} delivered by {args.workers} workers in {elapsed:.2f}s "
        f"(per worker: {', '.join(str(len(result['ids'])) for result in results)})"
    )
    summary = {
        "database": "postgresql" if connection.vendor == "postgresql" else "sqlite",
        "due": args.due,
        "workers": args.workers,
        "delivered": delivered,
        "duplicates": duplicates,
        "unrecorded": unrecorded,
        "per_second": round(delivered / elapsed, 1) if elapsed > 0 else None,
    }
    print(json.dumps(summary))
    return 0 if delivered == args.due and duplicates == 0 and unrecorded == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
