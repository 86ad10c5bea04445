"""Parts of the member and group pages that apps above `members` supply: campaigns adds the orders.

`members` never imports those apps; each registers its panels in its `AppConfig.ready()`:

    panels.register("group", panels.Panel(
        key="orders", perms=("campaigns.view_order",), data=group_orders_panel,
        templates={"stats": "campaigns/panels/_group_gmv.html", "side": "campaigns/panels/_group_orders.html"},
    ))

A page asks `panels_for(page, obj, user)` and includes, slot by slot, each panel's template with `panel` (its
data) in the context. A panel the user lacks a permission for is not computed at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.access import can

PAGES = ("member", "group")


@dataclass(frozen=True)
class Panel:
    key: str
    # slot name -> template: "stats" (the header cards), "side" (beside the roster), "main" (below the groups)
    templates: dict[str, str]
    # data(obj=member or group, user=request.user) -> the context the templates read as `panel`
    data: Callable[..., dict]
    perms: tuple[str, ...] = ()
    position: int = 0


@dataclass(frozen=True)
class ShownPanel:
    key: str
    template: str
    data: dict


_registered: dict[str, dict[str, Panel]] = {page: {} for page in PAGES}


def register(page: str, panel: Panel) -> None:
    if page not in PAGES:
        raise ValueError(f"unknown page {page!r}; one of {', '.join(PAGES)}")
    _registered[page][panel.key] = panel


def panels_for(page: str, obj, user) -> dict[str, list[ShownPanel]]:
    """{slot: [panel, …]} of what `user` may see on the page of `obj`."""
    slots: dict[str, list[ShownPanel]] = {}
    for panel in sorted(_registered[page].values(), key=lambda p: (p.position, p.key)):
        if not can(user, *panel.perms):
            continue
        data = panel.data(obj=obj, user=user)
        for slot, template in panel.templates.items():
            slots.setdefault(slot, []).append(ShownPanel(panel.key, template, data))
    return slots


# Flags on the groups list: a higher app's judgement of each group on the page ("churn rising 3 weeks"), as
# short badges beside the group's name. Registered like panels; a flag the user lacks a permission for is not
# computed. flags(groups=[Group, …]) -> {group id: [Flag, …]}.
@dataclass(frozen=True)
class Flag:
    label: str
    title: str = ""  # the longer why, shown on hover
    tone: str = "red"


@dataclass(frozen=True)
class ListFlags:
    key: str
    flags: Callable[..., dict[int, list[Flag]]]
    perms: tuple[str, ...] = ()


_list_flags: dict[str, ListFlags] = {}


def register_group_flags(flags: ListFlags) -> None:
    _list_flags[flags.key] = flags


def group_flags_for(groups, user) -> dict[int, list[Flag]]:
    """{group id: [flag, …]} for the groups of a list page, of what `user` may see."""
    groups = list(groups)
    found: dict[int, list[Flag]] = {}
    if not groups:
        return found
    for entry in sorted(_list_flags.values(), key=lambda e: e.key):
        if not can(user, *entry.perms):
            continue
        for group_id, flags in entry.flags(groups=groups).items():
            found.setdefault(group_id, []).extend(flags)
    return found
