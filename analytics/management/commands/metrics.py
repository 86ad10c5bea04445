"""`manage.py metrics --start DATE --end DATE [--group CODE] --format json|table`

Prints the period metrics of every group (or one) and the platform, for local days [start, end). JSON goes
to stdout exactly as docs/commands.md says; anything else goes to stderr.
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics import reports


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a date like 2026-01-05") from exc


class Command(BaseCommand):
    # A read-only report: the system checks (which import every URLconf and view) would double its time.
    requires_system_checks: list = []
    help = (
        "GMV, orders, buyers, core members, repurchases, AOV, core and other GMV per group for local days [start, end)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first local day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="local day after the last one (exclusive), YYYY-MM-DD")
        parser.add_argument("--group", help="only this group's row (the platform row stays the whole platform)")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, **options):
        request = reports.MetricsRequest(
            start=_date(options["start"]), end=_date(options["end"]), group=options["group"] or None
        )
        try:
            doc = reports.metrics_document(request)
        except reports.ReportError as exc:
            raise CommandError(str(exc)) from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(reports.metrics_table(doc))
