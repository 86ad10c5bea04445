"""A member's segment in a group (potential / new / core / dormant) as of now, for member pages, the members
filter, saved selections and coupon batches.

Segments are computed by `analytics`, which the apps below it never import: the module named by
settings.SEGMENT_PROVIDER supplies them (see `analytics/segments.py`). Without it, segment features say so
(SegmentsUnavailable) instead of breaking the pages around them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.utils import timezone


class SegmentsUnavailable(Exception):
    pass


def _provider():
    try:
        return import_module(settings.SEGMENT_PROVIDER)
    except ImportError as error:
        raise SegmentsUnavailable(settings.SEGMENT_PROVIDER) from error


def _now() -> datetime:
    # To the minute: pages reloaded within it reuse the provider's snapshot of every group.
    return timezone.now().replace(second=0, microsecond=0)


def available() -> bool:
    try:
        _provider()
    except SegmentsUnavailable:
        return False
    return True


def choices() -> list[tuple[str, str]]:
    return list(_provider().SEGMENT_CHOICES)


def labels() -> dict[str, str]:
    try:
        return {value: str(label) for value, label in choices()}
    except SegmentsUnavailable:
        return {}


def member_ids(
    *, segment: str, group=None, group_ids: Iterable[int] | None = None, at: datetime | None = None
) -> list[int]:
    """Ids of the members in `segment` in `group` (or in any of `group_ids`, or in any group) at `at`."""
    return list(_provider().segment_member_ids(segment=segment, group=group, group_ids=group_ids, at=at or _now()))


def of_member(member, *, at: datetime | None = None) -> dict[int, str]:
    """{group id: segment} for the groups the member is in now (empty when segments are unavailable)."""
    try:
        return _provider().member_segments(member=member, at=at or _now())
    except SegmentsUnavailable:
        return {}


def of_members(member_ids: Iterable[int], *, at: datetime | None = None) -> dict[int, dict[int, str]]:
    """{member id: {group id: segment}} for a page of members (empty when segments are unavailable)."""
    ids = list(member_ids)
    if not ids:
        return {}
    try:
        return _provider().segments_of_members(member_ids=ids, at=at or _now())
    except SegmentsUnavailable:
        return {}
