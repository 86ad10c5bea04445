"""What can be imported: each app registers its importers here in its `AppConfig.ready()`.

The pipeline, the import pages, the jobs and the commands know importers only through this registry, so
they stay on the ground floor while groups and members (`members`) and orders (`campaigns`) sit above.
Registering must stay cheap (it runs at every start-up): `run` imports the heavy importer (pandas) on
first use, and a spec is plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .report import ImportFileError, ImportReport, RowError


@dataclass(frozen=True)
class TableSpec:
    """The columns a kind of file may have; `required` columns must be present and non-empty."""

    columns: tuple[str, ...]
    required: tuple[str, ...]

    def check_header(self, header: Sequence[str]) -> None:
        errors = []
        seen = set()
        for name in header:
            if name in seen:
                errors.append(RowError(1, name, _("the column appears twice")))
            elif name not in self.columns:
                errors.append(RowError(1, name or "?", _("unknown column (expected: %s)") % ", ".join(self.columns)))
            seen.add(name)
        for name in self.required:
            if name not in seen:
                errors.append(RowError(1, name, _("required column is missing")))
        if errors:
            raise ImportFileError(errors)


@dataclass(frozen=True)
class Importer:
    """`run(source=, name=, skip_invalid=, dry_run=, chunk_rows=, progress=, now=) -> ImportReport`: check every
    row of a file and, unless it is a dry run or a row is bad (without skip_invalid), write them in one
    transaction."""

    kind: str
    label: str | Promise
    spec: TableSpec
    run: Callable[..., ImportReport]
    position: int = 0


_importers: dict[str, Importer] = {}


def register(importer: Importer) -> None:
    _importers[importer.kind] = importer


def get(kind: str) -> Importer:
    try:
        return _importers[kind]
    except KeyError:
        known = ", ".join(sorted(_importers)) or "none registered"
        raise ValueError(f"unknown import kind {kind!r}; expected one of {known}") from None


def importers() -> list[Importer]:
    """Every registered importer, in the order the import page lists them."""
    return sorted(_importers.values(), key=lambda importer: (importer.position, importer.kind))


def choices() -> list[tuple[str, str]]:
    return [(importer.kind, str(importer.label)) for importer in importers()]


def label(kind: str) -> str:
    importer = _importers.get(kind)
    return str(importer.label) if importer else kind
