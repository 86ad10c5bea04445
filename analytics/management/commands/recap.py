"""`manage.py recap --week 2026-W47 --out recap.html` (or `--month 2026-11`; `.html`, `.pdf` or `.xlsx`)

Writes the period's recap, the same document the recap page shows (`analytics.recap`): a complete period's
kept recap (kept on first use), a running period's computed now. `--regenerate` recomputes a kept recap first
and prints what changed; `--base-url` makes the HTML file's links absolute.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.recap import files, pdf, present, snapshots
from analytics.recap.periods import MONTH, WEEK, PeriodError, parse_period

FORMATS = (".html", ".pdf", ".xlsx")


class Command(BaseCommand):
    help = "Write a week's or a month's recap as HTML, PDF or XLSX."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--week", help="ISO week, e.g. 2026-W47")
        which.add_argument("--month", help="month, e.g. 2026-11")
        parser.add_argument("--out", required=True, help="the file to write: .html, .pdf or .xlsx")
        parser.add_argument("--regenerate", action="store_true", help="recompute a kept recap from today's data")
        parser.add_argument(
            "--base-url", default="", help="prefix of the HTML and PDF files' links, e.g. https://ops.example.com"
        )

    def handle(self, *args, **options):
        text = options["week"] or options["month"]
        try:
            period = parse_period(text)
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        expected = WEEK if options["week"] else MONTH
        if period.kind != expected:
            raise CommandError(f"--{expected} {text}: that is a {period.kind}, not a {expected}")
        out = Path(options["out"])
        if out.suffix.lower() not in FORMATS:
            raise CommandError(f"--out {out}: the file must end in {' or '.join(FORMATS)}")
        if options["regenerate"]:
            _kept, changes = snapshots.recap_regenerate(period)
            for change in changes:
                unit = present.headline_unit(change.key)
                self.stdout.write(
                    f"{present.headline_label(change.key)}: {present.show(change.before, unit)} → "
                    f"{present.show(change.after, unit)}"
                )
        doc = snapshots.recap_get(period).document
        if out.suffix.lower() == ".xlsx":
            out.write_bytes(files.xlsx_bytes(doc, note=files.note_text(doc)))
        elif out.suffix.lower() == ".pdf":
            out.write_bytes(pdf.render_pdf(doc, base=options["base_url"]))
        else:
            out.write_text(files.render_html(doc, base=options["base_url"]), encoding="utf-8")
        total = doc["targets"]["total"]
        self.stdout.write(
            f"{period.key}: {len(doc['targets']['campaigns'])} campaigns, GMV {present.show(total['gmv'], 'money')}"
            f" / target {present.show(total['target'], 'money')} → {out}"
        )
