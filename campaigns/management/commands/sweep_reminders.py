"""Claim and deliver due reminders now, outside Celery: for cron, for a manual catch-up, for tests and benches."""

import json
import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from campaigns.delivery import CLAIM_BATCH, reminders_sweep


def wait_at_barrier(go: Path) -> None:
    """A barrier across processes, so that racers start together however long each took to import Django."""
    connection.ensure_connection()
    go.with_name(f"{go.name}.{os.getpid()}.ready").touch()
    while not go.exists():
        time.sleep(0.01)


class Command(BaseCommand):
    help = "Claim and deliver every due reminder once; prints a JSON summary on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=CLAIM_BATCH, help="reminders claimed per statement")
        parser.add_argument("--max-seconds", type=float, default=None, help="stop claiming after this long")
        parser.add_argument(
            "--start-when",
            default=None,
            help="to race: connect, create FILE.<pid>.ready, then wait until FILE exists before claiming",
        )
        parser.add_argument(
            "--report-ids", default=None, help="append each committed batch's delivered ids to this file, one a line"
        )

    def handle(self, *args, batch, max_seconds, start_when, report_ids, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        report = open(report_ids, "a", encoding="utf-8") if report_ids else None  # noqa: SIM115 (closed below)

        def on_batch(ids):
            if report is not None and ids:
                report.write("".join(f"{pk}\n" for pk in ids))
                report.flush()

        if start_when is not None:
            wait_at_barrier(Path(start_when))
        started = time.perf_counter()
        try:
            result = reminders_sweep(batch_size=batch, max_seconds=max_seconds, on_batch=on_batch)
        finally:
            if report is not None:
                report.close()
        elapsed = time.perf_counter() - started
        summary = {
            "claimed": result.claimed,
            "sent": result.sent,
            "retried": result.retried,
            "failed": result.failed,
            "seconds": round(elapsed, 3),
        }
        self.stdout.write(json.dumps(summary))
        print(f"swept {result.sent} reminders in {elapsed:.2f}s", file=sys.stderr)
