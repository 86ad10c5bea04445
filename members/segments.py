"""A member's segment in a group (potential / new / core / dormant) as of now, for member pages, the members
filter, saved selections and coupon batches.

Segments are computed by `analytics`, which sits above `members`: it registers its provider here in its
`AppConfig.ready()` (`segments.register(provider)`). Without one, segment features say so
(SegmentsUnavailable) instead of breaking the pages around them.

A provider offers `choices` [(code, label)], `member_ids(segment=, group=None, group_ids=None, at=)`,
`of_member(member_id=, at=)` -> {group id: segment} and `of_members(member_ids=, at=)` -> {member id: {group
id: segment}}; and the member's own state as a customer (the same partition over all their orders, whatever
the group: dormant = no order anywhere in the window), for wake-up and call lists:
`customer_member_ids(segment=, at=)` and `customer_of_members(member_ids=, at=)` -> {member id: segment}.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from django.utils import timezone


class SegmentsUnavailable(Exception):
    pass


class SegmentProvider(Protocol):
    choices: Sequence[tuple[str, str]]

    def member_ids(
        self, *, segment: str, group=None, group_ids: Iterable[int] | None = None, at: datetime
    ) -> list[int]: ...

    def of_member(self, *, member_id: int, at: datetime) -> dict[int, str]: ...

    def of_members(self, *, member_ids: list[int], at: datetime) -> dict[int, dict[int, str]]: ...

    def customer_member_ids(self, *, segment: str, at: datetime) -> list[int]: ...

    def customer_of_members(self, *, member_ids: list[int], at: datetime) -> dict[int, str]: ...


_provider: SegmentProvider | None = None


def register(provider: SegmentProvider | None) -> None:
    """Install (or, with None, remove) the segment provider."""
    global _provider
    _provider = provider


def _get() -> SegmentProvider:
    if _provider is None:
        raise SegmentsUnavailable("no segment provider is registered")
    return _provider


def _now() -> datetime:
    # To the minute: pages reloaded within it reuse the provider's snapshot of every group.
    return timezone.now().replace(second=0, microsecond=0)


def available() -> bool:
    return _provider is not None


def choices() -> list[tuple[str, str]]:
    return list(_get().choices)


def labels() -> dict[str, str]:
    return {value: str(label) for value, label in _provider.choices} if _provider else {}


def member_ids(
    *, segment: str, group=None, group_ids: Iterable[int] | None = None, at: datetime | None = None
) -> list[int]:
    """Ids of the members in `segment` in `group` (or in any of `group_ids`, or in any group) at `at`."""
    return list(_get().member_ids(segment=segment, group=group, group_ids=group_ids, at=at or _now()))


def of_member(member, *, at: datetime | None = None) -> dict[int, str]:
    """{group id: segment} for the groups the member is in now (empty when segments are unavailable)."""
    if _provider is None:
        return {}
    return _provider.of_member(member_id=member.pk, at=at or _now())


def of_members(member_ids: Iterable[int], *, at: datetime | None = None) -> dict[int, dict[int, str]]:
    """{member id: {group id: segment}} for a page of members (empty when segments are unavailable)."""
    ids = list(member_ids)
    if not ids or _provider is None:
        return {}
    return _provider.of_members(member_ids=ids, at=at or _now())


def customer_member_ids(*, segment: str, at: datetime | None = None) -> list[int]:
    """Ids of the members whose own state as a customer, across all groups, is `segment` at `at`."""
    return list(_get().customer_member_ids(segment=segment, at=at or _now()))


def customer_of_members(member_ids: Iterable[int], *, at: datetime | None = None) -> dict[int, str]:
    """{member id: segment as a customer} (empty when segments are unavailable)."""
    ids = list(member_ids)
    if not ids or _provider is None:
        return {}
    return _provider.customer_of_members(member_ids=ids, at=at or _now())
