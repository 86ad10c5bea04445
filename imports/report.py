"""What an import says about a file: the errors (line, column, reason) and the counts every interface shows.

Line numbers are those a person sees: the header is line 1, the first data row line 2 (for XLSX the sheet's
own row numbers). `ImportReport` is the result every importer returns and the command, the page and the task
show; `RowError` reads `line N, column C: reason`, the format scripts parse (docs/commands.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# An import keeps this many errors in its report (the count of invalid rows is always exact), so a
# completely wrong 1M-row file cannot fill memory or the ImportJob row.
MAX_ERRORS = 10_000


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong header); carries the errors to report."""

    def __init__(self, errors: Sequence[RowError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("line %(line)d, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do). Counts are rows; `errors` is capped at MAX_ERRORS."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_omitted: int = 0
    dry_run: bool = False
    skip_invalid: bool = False
    written: bool = False
    encoding: str = ""  # a CSV file's text encoding, as detected ("UTF-8", "GB18030", …)
    format: str = ""  # "csv", "xlsx" or "dataframe"

    @property
    def ok(self) -> bool:
        """True when the import may be (or was) written: no invalid row, or invalid rows are skipped."""
        return not self.invalid or self.skip_invalid

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(error)
            else:
                self.errors_omitted += 1

    def summary(self) -> str:
        text = _("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, invalid %(invalid)d") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
        }
        if self.dry_run:
            text += " " + _("(dry run: nothing written)")
        elif not self.written:
            text += " " + _("(nothing written)")
        return text

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "errors": [[e.line, e.column, e.message] for e in self.errors],
            "errors_omitted": self.errors_omitted,
            "dry_run": self.dry_run,
            "skip_invalid": self.skip_invalid,
            "written": self.written,
            "encoding": self.encoding,
            "format": self.format,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        values = {key: data[key] for key in cls.__dataclass_fields__ if key in data and key != "errors"}
        return cls(**values, errors=[RowError(*error) for error in data.get("errors", [])])


def quoted(value) -> str:
    text = str(value)
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"
