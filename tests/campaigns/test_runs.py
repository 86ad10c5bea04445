"""Weekly runs: next week copies the run's last campaign and the numbering continues; a one-off campaign starts or
joins a run; results against target, per campaign, per run and per month; the plan-below-target warning."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.checks import campaign_warnings, expected_sales
from campaigns.models import Campaign, CampaignSeries, Order, Reminder
from campaigns.results import attainment_percent, by_month, campaign_results
from campaigns.selectors import run_number, series_overview
from campaigns.services import (
    campaign_join_series,
    campaign_next_week,
    campaign_publish,
    series_create,
    series_next_week,
)

from .factories import (
    CampaignFactory,
    GroupFactory,
    ItemFactory,
    MemberFactory,
    ProductFactory,
    local,
    shipped_playbook,
)

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 1, 9)


def a_run(groups, *, weeks=2, playbook=None) -> CampaignSeries:
    series = CampaignSeries(
        code="VIP", name="VIP会员特供日", first_date=dt.date(2026, 11, 5), weeks=weeks, gmv_target=Decimal("75000.00"),
        loss_cap=Decimal("3000.00"), landing_url="https://shop.example.com/vip", playbook=playbook,
    )  # fmt: skip
    series_create(series=series, groups=groups, now=NOW)
    return series


def test_series_names_its_campaigns_by_number_and_day():
    series = a_run([GroupFactory()])
    names = list(series.campaigns.order_by("starts_at").values_list("name", flat=True))
    assert names == ["VIP会员特供日 第1期（11月5日 星期四）", "VIP会员特供日 第2期（11月12日 星期四）"]


def test_next_week_copies_the_last_campaign_one_week_later_and_continues_the_numbering():
    groups = [GroupFactory(), GroupFactory()]
    series = a_run(groups, playbook=shipped_playbook("weekly-warm-up"))
    last = series.campaigns.order_by("-starts_at").first()
    last.gmv_target = Decimal("82000.00")  # changed for week 2: the copy takes last week's, not the run's
    last.save(update_fields=["gmv_target"])
    mask = ProductFactory(name="医用口罩", lowest_public_price=Decimal("25.00"))
    ItemFactory(campaign=last, product=mask, price=Decimal("16.90"), expected_quantity=600, supplier_cap=1000)
    ItemFactory(campaign=last, product=ProductFactory(name="护膝"), price=Decimal("88.00"), is_clearance=True,
                second_discount_rate=Decimal("0.900"), position=1)  # fmt: skip

    third = series_next_week(series=series, now=NOW)

    assert third.code == "VIP-20261119"
    assert third.name == "VIP会员特供日 第3期（11月19日 星期四）"
    assert third.status == Campaign.Status.DRAFT
    assert timezone.localtime(third.starts_at) == local(2026, 11, 19, 10)
    assert third.ends_at - third.starts_at == last.ends_at - last.starts_at
    assert timezone.localtime(third.preview_at) == timezone.localtime(last.preview_at) + dt.timedelta(weeks=1)
    assert (third.gmv_target, third.loss_cap, third.landing_url) == (
        Decimal("82000.00"), Decimal("3000.00"), "https://shop.example.com/vip",
    )  # fmt: skip
    assert set(third.groups.all()) == set(groups)
    items = [(i.product.name, i.price, i.expected_quantity, i.supplier_cap, i.second_discount_rate)
             for i in third.items.select_related("product")]  # fmt: skip
    assert items == [
        ("医用口罩", Decimal("16.90"), 600, 1000, None),
        ("护膝", Decimal("88.00"), 10, None, Decimal("0.900")),
    ]
    # The warm-up runs again in the same groups, timed from the new Thursday.
    steps = shipped_playbook("weekly-warm-up").steps.count()
    assert Reminder.objects.filter(campaign=third).count() == steps * len(groups)
    assert Reminder.objects.filter(campaign=third, due_at__lt=local(2026, 11, 17)).count() == 0
    series.refresh_from_db()
    assert series.weeks == 3
    assert run_number(third) == 3

    fourth = series_next_week(series=series, now=NOW)
    assert fourth.name.startswith("VIP会员特供日 第4期（11月26日")
    assert fourth.items.count() == 2


def test_next_week_refuses_a_day_already_taken_and_writes_nothing():
    series = a_run([GroupFactory()])
    CampaignFactory(code="VIP-20261119", starts_at=local(2026, 11, 19, 10), ends_at=local(2026, 11, 19, 22))
    before = (Campaign.objects.count(), Reminder.objects.count())
    with pytest.raises(ValidationError, match="VIP-20261119"):
        series_next_week(series=series, now=NOW)
    assert (Campaign.objects.count(), Reminder.objects.count()) == before
    series.refresh_from_db()
    assert series.weeks == 2


def test_a_one_off_campaign_starts_a_run_and_becomes_its_first():
    one_off = CampaignFactory(code="THU-20261203", name="周四特惠", groups=[GroupFactory()])
    ItemFactory(campaign=one_off)

    second = campaign_next_week(campaign=one_off, now=NOW)

    one_off.refresh_from_db()
    run = one_off.series
    assert run is not None
    assert run.code == "THU"
    assert run.name == "周四特惠"
    assert (run.weekday, run.first_date, run.weeks) == (3, dt.date(2026, 12, 3), 2)
    assert second.series == run
    assert second.code == "THU-20261210"
    assert second.name == "周四特惠 第2期（12月10日 星期四）"
    assert (run_number(one_off), run_number(second)) == (1, 2)
    assert second.items.count() == 1


def test_next_week_from_an_older_campaign_adds_after_the_runs_last():
    series = a_run([GroupFactory()], weeks=3)
    first = series.campaigns.order_by("starts_at").first()
    added = campaign_next_week(campaign=first, now=NOW)
    assert added.code == "VIP-20261126"
    assert added.name.startswith("VIP会员特供日 第4期")


def test_join_a_run_numbers_by_date_and_refuses_a_taken_day():
    series = a_run([GroupFactory()])
    later = CampaignFactory(code="X1", starts_at=local(2026, 11, 26, 10), ends_at=local(2026, 11, 26, 22))
    campaign_join_series(campaign=later, series=series)
    assert run_number(later) == 3
    series.refresh_from_db()
    assert series.weeks == 4  # 11-05 … 11-26
    same_day = CampaignFactory(code="X2", starts_at=local(2026, 11, 12, 14), ends_at=local(2026, 11, 12, 18))
    with pytest.raises(ValidationError, match="VIP-20261112"):
        campaign_join_series(campaign=same_day, series=series)
    assert Campaign.objects.get(pk=same_day.pk).series is None
    with pytest.raises(ValidationError):
        campaign_join_series(campaign=later, series=series)


def test_plan_below_target_is_a_warning_that_does_not_block_publishing():
    campaign = CampaignFactory(groups=[GroupFactory()], gmv_target=Decimal("80000.00"),
                               starts_at=local(2026, 11, 5, 10), ends_at=local(2026, 11, 5, 22))  # fmt: skip
    meter = ProductFactory(lowest_public_price=Decimal("399.00"), unit_cost=Decimal("200.00"))
    ItemFactory(campaign=campaign, product=meter, price=Decimal("299.00"), expected_quantity=100, supplier_cap=80)
    ItemFactory(campaign=campaign, product=ProductFactory(lowest_public_price=Decimal("25.00"),
                unit_cost=Decimal("10.00")), price=Decimal("19.90"), expected_quantity=1000)  # fmt: skip
    items = list(campaign.items.select_related("product"))
    # 80 (capped by the supplier) × ¥299 + 1000 × ¥19.90 = ¥43,820
    assert expected_sales(items) == Decimal("43820.00")
    [warning] = campaign_warnings(campaign)
    assert warning.code == "plan_below_target"
    assert "¥43,820.00" in warning.message
    assert "¥80,000.00" in warning.message
    assert "54%" in warning.message
    assert campaign_publish(campaign=campaign, now=NOW).status == Campaign.Status.PUBLISHED

    campaign.gmv_target = Decimal("43820.00")
    assert campaign_warnings(campaign) == []


def order(campaign, amount, *, member=None, status=Order.Status.PAID, n=[0]):  # noqa: B006 (a counter)
    n[0] += 1
    return Order.objects.create(order_id=f"R{n[0]}", member=member or MemberFactory(), amount=Decimal(amount),
                                placed_at=campaign.starts_at + dt.timedelta(hours=1), campaign=campaign,
                                status=status)  # fmt: skip


def test_results_count_paid_orders_once_and_total_the_ended_campaigns_only():
    series = a_run([GroupFactory()], weeks=3)
    first, second, third = series.campaigns.order_by("starts_at")
    Campaign.objects.filter(pk__in=[first.pk, second.pk]).update(status=Campaign.Status.ENDED)
    buyer = MemberFactory()
    order(first, "50000.00", member=buyer)
    order(first, "30200.00", member=buyer)
    order(first, "999.00", status=Order.Status.REFUNDED)
    order(second, "60000.00")
    order(third, "1000.00")  # a campaign still to run counts in its own row, not in the total

    overview = series_overview(series=Campaign.objects.get(pk=first.pk).series)
    [(n1, _c1, r1), (n2, _c2, r2), (n3, _c3, r3)] = overview["rows"]
    assert (n1, r1.gmv, r1.orders, r1.buyers, r1.attainment_percent) == (1, Decimal("80200.00"), 2, 1, 107)
    assert (n2, r2.gmv, r2.attainment_percent) == (2, Decimal("60000.00"), 80)
    assert (n3, r3.gmv) == (3, Decimal("1000.00"))
    total = overview["total"]
    assert (total.campaigns, total.gmv, total.target, total.orders) == (
        2,
        Decimal("140200.00"),
        Decimal("150000.00"),
        3,
    )
    assert total.attainment_percent == 93

    months = by_month(list(Campaign.objects.order_by("-starts_at")), campaign_results(Campaign.objects.all()))
    assert [m.month for m in months] == [dt.date(2026, 11, 1)]
    assert months[0].total.gmv == Decimal("140200.00")


def test_attainment_has_one_definition_and_none_without_target():
    assert attainment_percent(Decimal("330200"), Decimal("300000")) == 110
    assert attainment_percent(Decimal("5"), Decimal("0")) is None
