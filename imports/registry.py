"""What can be imported: each app registers its importers here in its `AppConfig.ready()`.

The pipeline, the import pages, the jobs and the commands know importers only through this registry, so
they stay on the ground floor while groups and members (`members`) and orders (`campaigns`) sit above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from .checks import TableSpec
from .report import ImportReport


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
