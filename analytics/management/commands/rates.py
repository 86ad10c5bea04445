"""`manage.py rates --week YYYY-Www [--group CODE] --format json|table`

Prints, per group, the segment counts at the ISO week's start and end (Monday 00:00 local), the transition
matrix of the members present at the start (with `left`), and the four rates (null where the denominator
is 0). JSON goes to stdout exactly as docs/commands.md says.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from analytics import reports


class Command(BaseCommand):
    # A read-only report: the system checks (which import every URLconf and view) would double its time.
    requires_system_checks: list = []
    help = "Segment counts, transitions and the four rates (new-add, conversion, churn, reactivation) of a week."

    def add_arguments(self, parser):
        parser.add_argument("--week", required=True, help="ISO week, e.g. 2026-W02")
        parser.add_argument("--group", help="only this group")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, **options):
        try:
            doc = reports.rates_document(reports.RatesRequest(week=options["week"], group=options["group"] or None))
        except reports.ReportError as exc:
            raise CommandError(str(exc)) from exc
        if options["format"] == "json":
            self.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(reports.rates_table(doc))
