from decimal import Decimal

import pytest

from campaigns.checks import projected_loss
from campaigns.models import Campaign
from campaigns.services import CampaignNotPublishable, campaign_publish, campaign_reschedule

from .factories import CampaignFactory, GroupFactory, ItemFactory, ProductFactory, local

pytestmark = pytest.mark.django_db
NOW = local(2026, 12, 1, 9)


def good_campaign(**kwargs):
    campaign = CampaignFactory(groups=[GroupFactory()], **kwargs)
    ItemFactory(
        campaign=campaign, product=ProductFactory(name="进口血压计", lowest_public_price=Decimal("399.00"),
        unit_cost=Decimal("260.00")), price=Decimal("299.00"), expected_quantity=30,
    )  # fmt: skip
    ItemFactory(
        campaign=campaign, product=ProductFactory(name="医用口罩", lowest_public_price=Decimal("25.00"),
        unit_cost=Decimal("16.00")), price=Decimal("19.90"), expected_quantity=500,
    )  # fmt: skip
    return campaign


def reasons(campaign):
    with pytest.raises(CampaignNotPublishable) as refused:
        campaign_publish(campaign=campaign, now=NOW)
    return [problem.code for problem in refused.value.problems], str(refused.value)


def test_publish_a_sound_campaign():
    campaign = campaign_publish(campaign=good_campaign(), now=NOW)
    assert campaign.status == Campaign.Status.PUBLISHED
    assert campaign.published_at == NOW


def test_publish_refuses_price_at_public_price_naming_item_and_both_prices():
    campaign = good_campaign()
    ItemFactory(
        campaign=campaign, product=ProductFactory(name="维生素C片", lowest_public_price=Decimal("39.00")),
        price=Decimal("39.00"),
    )  # fmt: skip
    codes, message = reasons(campaign)
    assert codes == ["price_not_below_public"]
    assert "维生素C片" in message
    assert "39.00" in message
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


def test_publish_lists_every_reason_at_once():
    group = GroupFactory(name="成都药店群")
    other = CampaignFactory(groups=[group], status=Campaign.Status.PUBLISHED, code="OTHER")
    campaign = CampaignFactory(
        groups=[group], loss_cap=Decimal("100.00"), starts_at=other.starts_at, ends_at=other.ends_at
    )
    # One item only: above public price, mid-priced (no high-price, no cheap volume), sold at a loss.
    ItemFactory(
        campaign=campaign, product=ProductFactory(name="护手霜", lowest_public_price=Decimal("60.00"),
        unit_cost=Decimal("70.00")), price=Decimal("65.00"), expected_quantity=200, supplier_cap=50,
    )  # fmt: skip
    codes, message = reasons(campaign)
    assert codes == [
        "price_not_below_public",
        "mix_no_high_price",
        "mix_no_cheap_volume",
        "loss_over_cap",
        "group_overlap",
    ]
    # The loss is capped by the supplier: 50 × (65 − 70) = −250, not 200 × −5.
    assert "¥250.00" in message
    assert "成都药店群" in message
    assert "OTHER" in message


def test_projected_loss_nets_margins_and_caps_by_supplier_volume():
    campaign = CampaignFactory()
    ItemFactory(campaign=campaign, product=ProductFactory(unit_cost=Decimal("10")), price=Decimal("8"),
                expected_quantity=100, supplier_cap=40)  # fmt: skip  # −80
    ItemFactory(campaign=campaign, product=ProductFactory(unit_cost=Decimal("10")), price=Decimal("11"),
                expected_quantity=30)  # fmt: skip  # +30
    assert projected_loss(list(campaign.items.select_related("product"))) == Decimal("50.00")


def test_clearance_second_discount_counts_in_price_and_loss():
    campaign = CampaignFactory()
    item = ItemFactory(campaign=campaign, product=ProductFactory(unit_cost=Decimal("50")), price=Decimal("60"),
                       expected_quantity=10, is_clearance=True, second_discount_rate=Decimal("0.800"))  # fmt: skip
    assert item.final_price == Decimal("48.00")
    assert projected_loss([item]) == Decimal("20.00")


def test_draft_overlap_does_not_block_but_published_does():
    group = GroupFactory()
    CampaignFactory(groups=[group], code="DRAFT1")
    campaign = good_campaign()
    campaign.groups.add(group)
    assert campaign_publish(campaign=campaign, now=NOW).status == Campaign.Status.PUBLISHED


def test_adjacent_campaigns_do_not_overlap():
    campaign = good_campaign()
    CampaignFactory(groups=list(campaign.groups.all()), status=Campaign.Status.PUBLISHED,
                    starts_at=campaign.ends_at, ends_at=local(2026, 12, 4, 10))  # fmt: skip
    assert campaign_publish(campaign=campaign, now=NOW).status == Campaign.Status.PUBLISHED


def test_reschedule_keeps_window_valid():
    campaign = good_campaign()
    campaign_reschedule(campaign=campaign, starts_at=local(2026, 12, 10, 10), ends_at=local(2026, 12, 10, 22))
    campaign.refresh_from_db()
    assert campaign.starts_at == local(2026, 12, 10, 10)


def test_publish_refusal_writes_money_as_people_read_it():
    """Prices, margins and the loss go through core.money.yuan: thousands grouped, a true minus before the sign."""
    campaign = good_campaign(loss_cap=Decimal("100.00"))
    ItemFactory(
        campaign=campaign, product=ProductFactory(name="制氧机", lowest_public_price=Decimal("14240.00"),
        unit_cost=Decimal("14300.00")), price=Decimal("14240.00"), expected_quantity=60,
    )  # fmt: skip
    codes, message = reasons(campaign)
    assert codes == ["price_not_below_public", "loss_over_cap"]
    assert "¥14,240.00" in message  # not "¥14240.00"
    assert "60 × (¥14,240.00 − ¥14,300.00) = −¥3,600.00" in message  # not "¥-3600.00"
    assert "¥480.00" in message  # the loss net of the other items' margins (¥3,120.00)
    assert "¥-" not in message
    assert "¥14240" not in message
