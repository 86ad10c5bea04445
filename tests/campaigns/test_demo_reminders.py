import datetime as dt

import pytest

from campaigns.delivery import reminders_sweep
from campaigns.models import Campaign, Order, Reminder
from demo.reminders import FLASH_CODE, demo_apply_playbooks, demo_live_tick
from members.models import Membership
from tests.conftest import make_user

from .factories import CampaignFactory, GroupFactory, MemberFactory, local, shipped_playbook

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 23, 15, 2)  # a Monday afternoon


@pytest.fixture
def demo_world():
    shipped_playbook("weekly-warm-up")
    owner = make_user("yunying", "operator")
    vip = [GroupFactory(tier="precise", owner=owner, name=f"VIP{n}") for n in range(2)]
    for group in vip:
        for _ in range(3):
            Membership.objects.create(member=MemberFactory(), group=group, joined_at=local(2026, 10, 1))
    ended = CampaignFactory(
        groups=vip, status="ended", starts_at=local(2026, 11, 19, 10), ends_at=local(2026, 11, 19, 22)
    )
    draft = CampaignFactory(groups=vip, starts_at=local(2026, 11, 26, 10), ends_at=local(2026, 11, 26, 22))
    return {"vip": vip, "ended": ended, "draft": draft, "owner": owner}


def test_demo_apply_playbooks_fills_history_next_thursday_and_a_flash_campaign(demo_world):
    result = demo_apply_playbooks(now=NOW)
    ended, draft = demo_world["ended"], demo_world["draft"]
    assert set(ended.reminders.values_list("status", flat=True)) <= {"done", "skipped", "sent"}
    draft.refresh_from_db()
    assert draft.status == "published"
    assert draft.reminders.filter(kind="red_packet", red_packet_name="周四10点").count() == 6
    flash = Campaign.objects.get(code=FLASH_CODE)
    assert flash.status == "published"
    assert flash.starts_at == local(2026, 11, 23, 15, 15)
    # The countdown ten minutes before the flash start is due five minutes after the demo starts.
    assert result["due_within_hour"] >= 2
    assert reminders_sweep(now=NOW + dt.timedelta(minutes=6)).sent == 2  # one per VIP group
    total = Reminder.objects.count()
    demo_apply_playbooks(now=NOW)
    assert Reminder.objects.count() == total


def test_demo_live_tick_adds_orders_once_per_minute(demo_world):
    demo_apply_playbooks(now=NOW)
    flash = Campaign.objects.get(code=FLASH_CODE)
    assert demo_live_tick(now=NOW) == 0  # not started yet
    added = demo_live_tick(now=flash.starts_at + dt.timedelta(minutes=20))
    assert added > 0
    assert demo_live_tick(now=flash.starts_at + dt.timedelta(minutes=20)) == 0
    orders = Order.objects.filter(campaign=flash)
    assert orders.count() == added
    assert all(order.lines.exists() for order in orders)
