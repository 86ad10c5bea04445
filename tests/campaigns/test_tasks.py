import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Order, OrderLine, Reminder
from campaigns.services import campaign_stock_watch
from campaigns.tasks import campaigns_tick_task, reminders_sweep_task
from tests.conftest import make_user

from .factories import CampaignFactory, GroupFactory, ItemFactory, MemberFactory, ProductFactory, ReminderFactory

pytestmark = pytest.mark.django_db


def test_sweep_task_delivers_due_reminders():
    ReminderFactory.create_batch(3, due_at=timezone.now() - dt.timedelta(seconds=1))
    assert reminders_sweep_task.delay().get()["sent"] == 3


def live_campaign_with_sales(sold: int):
    now = timezone.now()
    owner = make_user("yun", "operator")
    campaign = CampaignFactory(groups=[GroupFactory()], status="published", owner=owner,
                               starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1))  # fmt: skip
    product = ProductFactory(name="口罩")
    ItemFactory(campaign=campaign, product=product, price=Decimal("10"), supplier_cap=100)
    order = Order.objects.create(order_id="O1", member=MemberFactory(), placed_at=now, amount=Decimal("10") * sold,
                                 campaign=campaign)  # fmt: skip
    OrderLine.objects.create(order=order, product=product, quantity=sold, amount=Decimal("10") * sold)
    return campaign, owner


def test_tick_moves_campaigns_live_and_alerts_the_owner_once_at_80_percent_of_cap():
    campaign, owner = live_campaign_with_sales(80)
    result = campaigns_tick_task.delay().get()
    campaign.refresh_from_db()
    assert campaign.status == "live"
    assert result["restock_alerts"] == 1
    alert = Reminder.objects.get(kind="restock")
    assert alert.assignee == owner
    assert "口罩" in alert.title
    assert "80" in alert.text
    assert campaigns_tick_task.delay().get()["restock_alerts"] == 0


def test_no_restock_alert_below_80_percent():
    campaign, _owner = live_campaign_with_sales(79)
    assert campaign_stock_watch(campaign=campaign) == []
