"""The import commands' shared handling: one file in, errors on stderr, a summary on stdout."""

from pathlib import Path

from django.core.management.base import CommandError, no_translations
from django.utils.translation import gettext as _

from .jobs import import_file
from .report import ImportFileError


class ImportCommand:
    """The shared `handle()` of the import commands (import_groups, import_members, import_orders).

    Mixed into a BaseCommand that sets `kind` (an importer of `imports.registry`). Errors go to stderr as
    `line N, column C: reason`; the one-line summary goes to stdout (stderr when nothing was written).
    Exit status 1 (CommandError) when the file is unreadable or a row is bad without --skip-invalid.
    """

    kind = ""
    # Like loaddata: no system checks (they import every URLconf and view, ~1 s of a big import's budget).
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV (UTF-8 or GB18030) or XLSX file with a header row"))
        parser.add_argument(
            "--skip-invalid", action="store_true", help=_("write the valid rows and report the invalid ones")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("check and count, write nothing"))
        parser.add_argument("--chunk-rows", type=int, default=None, help=_("rows read at a time (default 50,000)"))

    # `line N, column C: reason` is an interface scripts parse: English whatever the organisation's language.
    @no_translations
    def handle(self, *args, file, skip_invalid, dry_run, chunk_rows, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("no such file: %s") % file)
        try:
            report = import_file(
                kind=self.kind, source=path, name=path.name, skip_invalid=skip_invalid, dry_run=dry_run,
                chunk_rows=chunk_rows,
            )  # fmt: skip
        except ImportFileError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(_("%s cannot be imported: nothing was written") % path.name) from None
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors_omitted:
            self.stderr.write(_("… and %d more errors not listed") % report.errors_omitted)
        if not report.ok:
            self.stderr.write(report.summary())
            raise CommandError(
                _("%d invalid rows: nothing was written (fix them, or use --skip-invalid)") % report.invalid
            )
        self.stdout.write(report.summary())
