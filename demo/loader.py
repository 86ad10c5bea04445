"""Loading and resetting the demo: the steps in order, in one transaction, and what the console shows."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone

from analytics import store
from campaigns.models import Order
from core.money import ZERO, yuan
from members.models import Group, Member
from members.services import selection_save

from .community import create_community
from .lifecycle import create_lifecycle
from .livecodes import create_livecodes
from .outreach import create_outreach
from .people import (
    create_codebook,
    create_groups,
    create_members,
    create_memberships,
    create_referrals,
    create_users,
)
from .recap import create_recap_notes
from .reminders import demo_apply_playbooks
from .sales import create_campaigns, create_orders, finish_members
from .story import DEFAULT_SEED, DEMO_USERS, MONTHLY_TARGET, Demo


def apply_playbooks(demo: Demo) -> None:
    """The seed's week: next Thursday published with its warm-up, and a flash campaign whose reminders fire soon."""
    demo_apply_playbooks(now=demo.now)


WAKE_UP_SELECTION = "2019老客户群·客户沉睡（所有群）·累计≥¥5,000（唤醒）"


def save_selections(demo: Demo) -> None:
    """The call lists a team keeps by name: reactivate the old group's big dormant buyers, push first orders
    in the VIP groups, turn the flash group's new buyers into repeat buyers.

    The wake-up list asks for customers dormant across all groups: most of the old group's members who no
    longer buy there are core buyers in a VIP group now, and calling them to "come back" would be absurd."""
    old = demo.groups["OLD-2019"].pk
    wake_up = f"group={old}&customer_segment=dormant&min_purchase=5000&sort=-purchase"
    for name, query in [
        (WAKE_UP_SELECTION, wake_up),
        ("VIP群·潜在客户（推首单）", "tier=precise&segment=potential&sort=-purchase"),
        ("快闪群·新客户（促复购）", "tier=flash&segment=new&sort=-active"),
    ]:
        selection_save(name=name, query=query, by=demo.users["yunying"])


STEPS: list[Callable[[Demo], None]] = [
    create_users,
    create_codebook,
    create_groups,
    create_members,
    create_referrals,
    create_memberships,
    create_campaigns,
    create_orders,
    create_lifecycle,
    finish_members,
    apply_playbooks,
    save_selections,
    create_outreach,
    create_livecodes,
    create_community,
    create_recap_notes,
]


# --- Entry points ---------------------------------------------------------------------------------

# The apps whose rows make up the demo (and which --reset empties), dependents first.
DOMAIN_APPS = ["analytics", "livecodes", "outreach", "community", "campaigns", "members", "imports"]
# Rows a reset keeps: what data migrations ship with the app (model label -> the rows to keep).
RESET_KEEPS: dict[str, Q] = {
    "campaigns.Playbook": Q(is_shipped=True),
    "campaigns.PlaybookStep": Q(playbook__is_shipped=True),
}


def demo_data_exists() -> bool:
    """Any member, group or order: then loading would mix the demo into real (or earlier) data."""
    return Member.objects.exists() or Group.objects.exists() or Order.objects.exists()


def demo_reset() -> dict[str, int]:
    """Delete every row of the domain apps and the demo users. Returns the count deleted per model."""
    models = [
        model
        for label in DOMAIN_APPS
        if label in django_apps.app_configs
        for model in reversed(list(django_apps.get_app_config(label).get_models()))
        if model._meta.managed and not model._meta.proxy  # unmanaged models may have no table at all
    ]
    deleted: dict[str, int] = {}
    with transaction.atomic():
        # Protected foreign keys may need another pass once their dependents are gone.
        for _attempt in range(len(models) + 1):
            blocked = False
            for model in models:
                try:
                    rows = model.objects.all()
                    if model._meta.label in RESET_KEEPS:
                        rows = rows.exclude(RESET_KEEPS[model._meta.label])
                    with transaction.atomic():
                        _count, per_model = rows.delete()
                except (ProtectedError, RestrictedError):
                    blocked = True
                    continue
                for label, count in per_model.items():
                    deleted[label] = deleted.get(label, 0) + count
            if not blocked:
                break
        else:
            raise RuntimeError("could not empty the domain tables: protected rows remain")
        _count, per_model = User.objects.filter(username__in=[user.username for user in DEMO_USERS]).delete()
        deleted["auth.User"] = per_model.get("auth.User", 0)
    return {label: count for label, count in deleted.items() if count}


@transaction.atomic
def demo_load(*, seed: int = DEFAULT_SEED, now: dt.datetime | None = None, log: Callable[[str], None] = print) -> Demo:
    """Create the whole demo in one transaction; the caller checks `demo_data_exists()` first."""
    demo = Demo(seed=seed, now=now or timezone.now(), log=log)
    for step in STEPS:
        started = time.perf_counter()
        step(demo)
        log(f"  {step.__name__:<20} {time.perf_counter() - started:5.2f}s")
    # Once committed, the analytics store takes in the demo's orders, so the first page is not the one to.
    store.absorb_writes()
    return demo


def demo_summary(demo: Demo) -> list[str]:
    """What was made, in a few lines for the console."""
    lines = [
        f"{len(demo.members)} members, {len(demo.groups)} groups, {len(demo.memberships)} memberships, "
        f"{len(demo.orders)} orders, {len(demo.campaigns)} campaigns, {len(demo.tags)} tags, "
        f"{len(demo.users)} users",
    ]
    total = ZERO
    for campaign in demo.campaigns:
        gmv = sum(
            (o.amount for o in demo.orders if o.campaign_id == campaign.pk and o.status == Order.Status.PAID), ZERO
        )
        total += gmv
        local = campaign.starts_at.astimezone(demo.tz)
        lines.append(f"  {campaign.code}  {local:%Y-%m-%d %H:%M}  {campaign.get_status_display():<6}  {yuan(gmv):>12}")
    lines.append(f"  month: {yuan(total)} against a target of {yuan(MONTHLY_TARGET)}")
    return lines
