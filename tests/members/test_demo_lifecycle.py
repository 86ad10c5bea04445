"""The demo's part of the group lifecycle: a legacy group ready to merge (core members, orders, room in the
target), and flash groups with their end dates, none closing at the demo's next tick."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from campaigns.models import Order
from demo import loader as demo_loader
from demo import story as demo_story
from demo.lifecycle import LEGACY_CODE, MERGE_TARGET
from members import segments, services
from members.models import Group, Membership
from members.services.reorganise import MERGE

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_demo_has_a_legacy_group_ready_to_merge(fresh_analytics_store):
    with transaction.atomic():
        demo_loader.demo_load(seed=demo_story.DEFAULT_SEED, now=NOW, log=lambda line: None)
        legacy = Group.objects.get(code=LEGACY_CODE)
        target = Group.objects.get(code=MERGE_TARGET)
        assert legacy.tier == Group.Tier.LEGACY
        core = segments.member_ids(segment="core", group=legacy, at=NOW)
        assert 2 <= len(core) <= 6
        assert Order.objects.filter(group=legacy).count() >= 8
        plan = services.legacy_plan(group=legacy, action=MERGE, target=target)
        assert len(plan.ending) >= 20
        assert plan.target_room_after >= 0
        flash = Group.objects.filter(tier=Group.Tier.FLASH)
        assert flash.exists()
        assert all(g.flash_ends_on and g.flash_ends_on > NOW.date() for g in flash)
        assert services.flash_groups_close(now=NOW) == []
        orders_before = dict(Order.objects.values_list("order_id", "group_id"))
        services.legacy_reorganise(group=legacy, action=MERGE, target=target, at=NOW)
        assert dict(Order.objects.values_list("order_id", "group_id")) == orders_before
        assert not Membership.objects.open().filter(group=legacy).exists()
        transaction.set_rollback(True)
