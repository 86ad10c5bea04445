"""The run and result pages over HTTP: an ended campaign's page and live page show its result and offer no
scheduling; the list and a run's page total results against targets; next week from the pages; removing an item
asks first; a manager reads but does not add."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignSeries, Order

from .factories import CampaignFactory, GroupFactory, ItemFactory, MemberFactory, ProductFactory
from .test_views import login

pytestmark = pytest.mark.django_db


def ended_campaign() -> Campaign:
    start = timezone.now() - dt.timedelta(days=3)
    campaign = CampaignFactory(name="VIP会员特供日 第4期", groups=[GroupFactory()], status=Campaign.Status.ENDED,
                               starts_at=start, ends_at=start + dt.timedelta(hours=12),
                               gmv_target=Decimal("75000.00"))  # fmt: skip
    ItemFactory(campaign=campaign, product=ProductFactory(name="电子血压计"))
    for n, amount in enumerate(["50000.00", "42410.00"]):
        Order.objects.create(order_id=f"E{n}", member=MemberFactory(), amount=Decimal(amount), campaign=campaign,
                             placed_at=start + dt.timedelta(hours=2))  # fmt: skip
    return campaign


def test_ended_campaign_page_shows_its_result_and_no_scheduling(client, operator):
    campaign = ended_campaign()
    body = login(client, operator).get(reverse("campaigns:campaign-detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="campaign-result"' in body
    assert "最终结果" in body
    assert "¥92,410.00" in body  # GMV
    assert "123%" in body  # 92,410 ÷ 75,000
    assert "+¥17,410" in body  # against target
    assert "电子血压计" in body
    assert "还没有商品" not in body
    assert 'data-testid="apply-playbook"' not in body
    assert 'data-testid="schedule-form"' not in body


def test_ended_campaign_live_page_says_it_ended_with_final_figures_and_no_pace(client, manager):
    campaign = ended_campaign()
    body = login(client, manager).get(reverse("campaigns:campaign-live", args=[campaign.pk])).content.decode()
    assert 'data-testid="live-ended"' in body
    assert "最终营业额" in body
    assert "¥92,410.00" in body
    assert "123%" in body
    assert 'data-testid="live-projected"' not in body
    assert "hx-trigger" not in body  # final figures do not refresh
    assert "<title>进行中" not in body


def test_running_live_page_has_one_attainment_labelled_and_a_projection(client, operator):
    now = timezone.now()
    campaign = CampaignFactory(groups=[GroupFactory()], status=Campaign.Status.LIVE, gmv_target=Decimal("80000.00"),
                               starts_at=now - dt.timedelta(hours=6), ends_at=now + dt.timedelta(hours=6))  # fmt: skip
    Order.objects.create(order_id="L1", member=MemberFactory(), amount=Decimal("16800.00"), campaign=campaign,
                         placed_at=now - dt.timedelta(hours=1))  # fmt: skip
    body = login(client, operator).get(reverse("campaigns:campaign-live", args=[campaign.pk])).content.decode()
    assert "达成率（营业额 ÷ 目标）" in body
    assert "21%" in body  # 16,800 ÷ 80,000, the one attainment on the page
    # The pace ratio (GMV ÷ the time-prorated target) is no longer a second percentage beside attainment.
    assert '<div class="subheader">进度</div>' not in body
    assert 'data-testid="live-projected"' in body


def test_list_shows_results_against_target_and_the_months_total(client, manager):
    campaign = ended_campaign()
    draft = CampaignFactory(starts_at=campaign.starts_at + dt.timedelta(days=7),
                            ends_at=campaign.ends_at + dt.timedelta(days=7))  # fmt: skip
    body = login(client, manager).get(reverse("campaigns:campaign-list")).content.decode()
    assert "达成率（营业额 ÷ 目标）" in body
    assert "已结束的 1 场活动合计" in body
    assert body.count("¥92,410.00") >= 2  # the row and the month's total
    assert draft.name in body


def test_next_week_from_the_run_page_redirects_to_the_new_draft(client, operator, manager):
    campaign = ended_campaign()
    series = CampaignSeries.objects.create(code="VIP", name="VIP会员特供日", first_date=dt.date(2026, 11, 5))
    Campaign.objects.filter(pk=campaign.pk).update(series=series)
    assert login(client, manager).post(reverse("campaigns:series-next-week", args=[series.pk])).status_code == 403
    client.logout()
    url = reverse("campaigns:series-next-week", args=[series.pk])
    response = login(client, operator).post(url, {"after": campaign.pk})
    added = series.campaigns.order_by("-starts_at").first()
    assert added.pk != campaign.pk
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:campaign-detail", args=[added.pk])
    # A second click from the same page (it still shows the old last week) adds no second week.
    again = client.post(url, {"after": campaign.pk}, follow=True).content.decode()
    assert "下周这一期刚刚已经加过了" in again
    assert series.campaigns.count() == 2
    page = client.get(reverse("campaigns:series-detail", args=[series.pk])).content.decode()
    assert f'name="after" value="{added.pk}"' in page
    assert "第2期" in page
    assert "已结束的 1 场活动合计" in page


def test_removing_an_item_asks_first(client, operator):
    campaign = CampaignFactory(groups=[GroupFactory()])
    ItemFactory(campaign=campaign, product=ProductFactory(name="医用口罩"))
    body = login(client, operator).get(reverse("campaigns:campaign-detail", args=[campaign.pk])).content.decode()
    assert 'data-co-confirm="从本活动中移除“医用口罩”？"' in body
    assert "campaigns/confirm.js" in body


def test_the_campaign_page_changes_a_copied_weeks_target_and_link(client, operator):
    campaign = CampaignFactory(groups=[GroupFactory()], landing_url="https://shop.example.com/c/last-week")
    local_start, local_end = timezone.localtime(campaign.starts_at), timezone.localtime(campaign.ends_at)
    response = login(client, operator).post(
        reverse("campaigns:campaign-schedule", args=[campaign.pk]),
        {"starts_at": f"{local_start:%Y-%m-%dT%H:%M}", "ends_at": f"{local_end:%Y-%m-%dT%H:%M}",
         "groups": list(campaign.groups.values_list("pk", flat=True)), "gmv_target": "60000", "loss_cap": "2500",
         "landing_url": "https://shop.example.com/c/this-week"},
    )  # fmt: skip
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.gmv_target, campaign.loss_cap) == (Decimal("60000.00"), Decimal("2500.00"))
    assert campaign.landing_url == "https://shop.example.com/c/this-week"
    refused = client.post(
        reverse("campaigns:campaign-schedule", args=[campaign.pk]),
        {"starts_at": f"{local_start:%Y-%m-%dT%H:%M}", "ends_at": f"{local_end:%Y-%m-%dT%H:%M}", "gmv_target": "-1"},
        follow=True,
    )
    assert "-1" not in str(Campaign.objects.get(pk=campaign.pk).gmv_target)
    assert "大于或等于" in refused.content.decode() or "greater than or equal" in refused.content.decode()
