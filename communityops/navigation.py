"""The main menu each role sees, and the role × page matrix it follows.

Access itself is decided by permissions (`core.access`); the roles (auth groups) carry them, granted by each
app's data migrations. An entry is shown when the user holds the permission its page's view requires, so
the menu never offers a 403. tests/members/test_roles.py proves the matrix:

| page                      | permission                 | operator | agent | manager | admin |
| ------------------------- | -------------------------- | -------- | ----- | ------- | ----- |
| members list / detail     | members.view_member        | yes      | yes   | yes     | yes   |
| groups list / detail      | members.view_group         | yes      | yes   | yes     | yes   |
| a group's member roster   | members.view_membership    | yes      | no    | yes     | yes   |
| orders (member and group) | campaigns.view_order       | yes      | no    | yes     | yes   |
| create / edit a group     | members.add_group / change_group | yes | no    | no      | yes   |
| leave / remove / move a member | members.change_membership | yes    | no    | no      | yes   |
| legacy groups and their wizard | members.change_group + change_membership | yes | no | no | yes |
| promote to a KOC group    | members.add_membership     | yes      | no    | no      | yes   |
| full phone numbers        | members.view_phone         | no       | no    | no      | yes   |
| imports                   | imports.import_data        | yes      | no    | no      | yes   |
| saved selections: open    | members.view_savedselection| yes      | yes   | yes     | yes   |
| saved selections: save    | members.add_savedselection | yes      | no    | yes     | yes   |
| saved selections: delete  | own, or delete_savedselection | own   | no    | own     | any   |
| codebook: read / edit     | members.view_tag / add_tag | edit     | read  | read    | edit  |
| my calls, the workspace   | outreach.work_calltask (own tasks only) | no | yes | no | yes |
| call lists, scripts       | outreach.view_calllist / change_calllist | edit | no | read | edit |
| per-agent call numbers    | outreach.view_callattempt  | yes      | no    | yes     | yes   |
| phone audit               | outreach.view_phonereveal  | no       | no    | yes     | yes   |
| questionnaires: edit      | outreach.change_questionnaire | yes   | no    | no      | yes   |
| a member's questionnaire  | public, from a personal link (expires, works once) | | | |  |
| live codes: read / edit   | livecodes.view_livecode / change_livecode | edit | no | read | edit |
| referral rewards: read / pay | livecodes.view_referral / change_referral | pay | no | read | pay |
| a live code's page /j/…   | public (no login), for a phone |          |       |         |       |
| group rules, announcement | community.view_rule        | yes      | no    | yes     | yes   |
| rules: apply, edit        | community.change_rule      | yes      | no    | no      | yes   |
| record a violation        | community.add_violation    | yes      | no    | no      | yes   |
| a violation's screenshot  | community.view_violation   | yes      | no    | yes     | yes   |
| recap (复盘): read        | analytics.view_recap       | yes      | no    | yes     | yes   |
| recap: retrospective      | analytics.write_recapnote  | yes      | no    | yes     | yes   |
| recap: regenerate a kept one | analytics.regenerate_recap | no    | no    | yes     | yes   |
| products, coupon templates: read | campaigns.view_product / view_coupontemplate | yes | no | yes | yes |
| products, coupon templates: create, edit, deactivate | campaigns.add_… / change_… | yes | no | no | yes |
| a playbook's steps (not shipped) | change_playbook + add/change/delete_playbookstep | yes | no | no | yes |
| later pages (menu)        | see NAV_ITEMS below        |          |       |         |       |
| users: list, create, roles, deactivate, password | auth.view_user / add_user / change_user | no | no | no | yes |
| Django admin              | is_staff                   | no       | no    | no      | yes   |
| system health (/health/)  | is_staff                   | no       | no    | no      | yes   |

Agents see groups read-only (they need a group's name, tier and room left to invite a member), and a
member's own groups on the member page, but not a group's roster nor anyone's orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.permissions import VIEW_USERS
from community.permissions import VIEW_RULES
from core.access import can
from imports.permissions import IMPORT_DATA
from members.permissions import VIEW_GROUPS, VIEW_MEMBERS
from outreach.permissions import VIEW_LISTS, WORK_TASKS


@dataclass(frozen=True)
class NavItem:
    """One entry of the main menu.

    `url_name` may name a page that does not exist yet: the entry then stays hidden, so later work only has
    to add its URL (or adjust the name here) for its menu entry to appear. `perms`: all required;
    `staff`: only for `is_staff` users. `match` are URL path prefixes that mark the entry active.
    """

    key: str
    label: str | Promise
    url_name: str
    icon: str
    perms: tuple[str, ...] = ()
    staff: bool = False
    match: tuple[str, ...] = field(default=())


# The main menu, in order. Roles see what their permissions allow:
# operator: 群, 客户, 群规, 外呼, 活动, 活码, 待办, 数据, 复盘, 导入; agent: 群, 客户, 我的外呼;
# manager: 群, 客户, 群规 (read-only), 活动 (read-only), 活码 (read-only), 数据, 复盘; admin: everything, plus
# users, system health and the Django admin (user menu).
# The permission of an entry is the one its page's view requires, so the menu never offers a 403.
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("groups", _("Groups"), "members:group-list", "users-group", (VIEW_GROUPS,)),
    NavItem("members", _("Members"), "members:member-list", "users", (VIEW_MEMBERS,)),
    NavItem("rules", _("Group rules"), "community:rules", "checklist", (VIEW_RULES,), match=("/rules/",)),
    NavItem("calls", _("My calls"), "outreach:my-calls", "phone-call", (WORK_TASKS,), match=("/calls/",)),
    NavItem(
        "outreach",
        _("Call lists"),
        "outreach:calllist-list",
        "phone-call",
        (VIEW_LISTS,),
        match=("/call-lists/", "/scripts/", "/phone-audit/"),
    ),
    NavItem(
        "campaigns",
        _("Campaigns"),
        "campaigns:campaign-list",
        "speakerphone",
        ("campaigns.view_campaign",),
        match=("/campaigns/", "/playbooks/", "/coupons/", "/products/"),  # the campaigns pages' own tabs
    ),
    NavItem(
        "livecodes",
        _("Live codes"),
        "livecodes:livecode-list",
        "qrcode",
        ("livecodes.view_livecode",),
        match=("/live-codes/",),
    ),
    NavItem("reminders", _("Reminders"), "campaigns:reminder-inbox", "bell", ("campaigns.view_reminder",)),
    NavItem("analytics", _("Data"), "analytics:dashboard", "chart-bar", ("analytics.view_dashboard",)),
    NavItem("recap", _("Recap"), "analytics:recap", "report-analytics", ("analytics.view_recap",)),
    NavItem("imports", _("Imports"), "imports:import-list", "file-import", (IMPORT_DATA,)),
)

# Entries of the user menu (top right), shown by the same rules.
ADMIN_ITEMS: tuple[NavItem, ...] = (
    NavItem("users", _("Users"), "accounts:user-list", "user-cog", (VIEW_USERS,), match=("/users/",)),
    NavItem("health", _("System health"), "health", "clock-exclamation", staff=True),
    NavItem("admin", _("Django admin"), "admin:index", "settings", staff=True),
)


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str
    url: str
    icon: str
    active: bool


def _entries(items: Iterable[NavItem], user, path: str) -> list[MenuEntry]:
    entries = []
    for item in items:
        if item.staff and not user.is_staff:
            continue
        if not can(user, *item.perms):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the page is not built yet
        prefixes = item.match or (url,)
        active = url != "/" and any(path.startswith(prefix) for prefix in prefixes)
        entries.append(MenuEntry(item.key, str(item.label), url, item.icon, active))
    return entries


def menu_for(user, path: str = "") -> list[MenuEntry]:
    """The main menu entries `user` may open, the one matching `path` marked active."""
    if not (user and user.is_authenticated):
        return []
    return _entries(NAV_ITEMS, user, path)


def admin_menu_for(user, path: str = "") -> list[MenuEntry]:
    """The administration entries (users, system health, Django admin) for `user`; empty for everyone but staff."""
    if not (user and user.is_authenticated):
        return []
    return _entries(ADMIN_ITEMS, user, path)
