"""`manage.py deliver_recap [--week 2026-W48] [--now ISO]`: what the Monday job does, by hand (a catch-up, or
checking the SMTP settings): last week's recap (or `--week`'s) e-mailed as PDF to every active manager who was
not sent it yet, and a notice in their inboxes. Safe to rerun: each manager gets one e-mail per week."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from analytics.recap.delivery import recap_week_deliver
from analytics.recap.periods import WEEK, PeriodError, parse_period


class Command(BaseCommand):
    help = "E-mail a week's recap (last week's by default) to every active manager, once."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: last complete week)")
        parser.add_argument("--now", help="the moment to run as, ISO 8601 with its offset (tests, catch-ups)")

    def handle(self, *args, **options):
        period = now = None
        if options["week"]:
            try:
                period = parse_period(options["week"])
            except PeriodError as exc:
                raise CommandError(str(exc)) from exc
            if period.kind != WEEK:
                raise CommandError(f"--week {options['week']}: that is a {period.kind}, not a week")
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now {options['now']!r}: not an ISO 8601 moment") from exc
            if now.tzinfo is None:
                raise CommandError(f"--now {options['now']!r}: give the offset, e.g. +08:00")
        report = recap_week_deliver(period=period, now=now)
        self.stdout.write(report.summary())
        if report.failed:
            raise CommandError("; ".join(f"{address}: {error}" for address, error in report.failed.items()))
