"""What a group's orders say about it (how many, the last one), for pages of this floor that list groups.

Orders live in `campaigns`, above `members`: campaigns registers the provider in its `AppConfig.ready()`
(`activity.register(provider)`); without one, the pages show no order figures instead of breaking.
A provider is `provider(group_ids) -> {group id: GroupOrders}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GroupOrders:
    orders: int
    last_order_at: datetime | None


_provider: Callable[[list[int]], dict[int, GroupOrders]] | None = None


def register(provider: Callable[[list[int]], dict[int, GroupOrders]] | None) -> None:
    global _provider
    _provider = provider


def available() -> bool:
    return _provider is not None


def of_groups(group_ids: Iterable[int]) -> dict[int, GroupOrders]:
    ids = list(group_ids)
    if not ids or _provider is None:
        return {}
    return _provider(ids)
