"""The groups the numbers are about, as plain values (no model instances on the hot paths)."""

from collections.abc import Iterable
from dataclasses import dataclass

from . import sources


@dataclass(frozen=True)
class GroupRef:
    id: int
    code: str
    name: str
    capacity: int


def group_refs(*, codes: Iterable[str] | None = None, using: str = "default") -> list[GroupRef]:
    """Every group (or those with the given codes), by code."""
    refs = [GroupRef(*row) for row in sources.group_rows(using=using)]
    if codes is not None:
        wanted = set(codes)
        refs = [r for r in refs if r.code in wanted]
    return refs
