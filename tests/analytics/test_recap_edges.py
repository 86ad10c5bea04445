"""Recaps of awkward periods read sensibly: a week with no orders ("—" where a denominator is empty, zeros where
a sum is), a group created in the middle of the week, a campaign spanning two weeks (each week reads it as of
its own end), red packets and coupons counted in their period, and a missed reminder charged to its operator."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from analytics.recap import files
from analytics.recap.data import build_recap
from analytics.recap.periods import parse_period
from campaigns.models import Campaign, Coupon, CouponTemplate, Order, OrderLine, Reminder
from core.roles import Role
from members.models import Membership
from tests.campaigns.factories import (
    CampaignFactory,
    GroupFactory,
    ItemFactory,
    MemberFactory,
    ReminderFactory,
    local,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 10, 12)  # W11 runs; W09 and W10 are complete


def order(member, group, at, amount, *, campaign=None, n=[0]):  # noqa: B006 - a counter for unique order ids
    n[0] += 1
    return Order.objects.create(
        order_id=f"EDGE-{n[0]}", member=member, group=group, placed_at=at, amount=Decimal(amount),
        status=Order.Status.PAID, campaign=campaign,
    )  # fmt: skip


@pytest.fixture
def group_with_members(db):
    group = GroupFactory(code="OLD", name="老客户群", created_at=local(2025, 1, 1))
    members = [MemberFactory() for _ in range(3)]
    for m in members:
        Membership.objects.create(member=m, group=group, joined_at=local(2025, 6, 1))
    return group, members


def test_recap_of_a_week_without_orders(group_with_members):
    doc = build_recap(parse_period("2026-W05"), now=NOW)
    platform = doc["groups"]["platform"]
    assert platform["gmv"] == "0.00"
    assert platform["repurchases"] is None
    assert platform["aov"] is None
    assert doc["targets"]["campaigns"] == []
    assert doc["targets"]["total"]["attainment"] is None
    assert doc["groups"]["movers_up"] == []
    # Every member is potential: the new-add rate has a denominator, the others do not.
    rates = doc["rates"]["platform"]
    assert rates["new_add_rate"] == "0.0000"
    assert rates["conversion_rate"] is None
    assert rates["reactivation_rate"] is None
    systems = {s["key"]: s for s in doc["systems"]}
    assert systems["invitation_conversion"]["value"] is None
    assert systems["repurchase_rate"]["value"] is None
    assert systems["gmv_per_red_packet_yuan"]["value"] is None
    assert systems["activity"]["value"] == "0.0000"
    html = files.render_html(doc)
    assert "—" in html
    assert files.xlsx_bytes(doc)[:2] == b"PK"


def test_recap_of_a_week_with_a_group_created_midweek(group_with_members):
    new = GroupFactory(code="NEW", name="新开群", created_at=local(2026, 3, 4, 15))  # a Wednesday of W10
    buyers = [MemberFactory() for _ in range(2)]
    for m in buyers:
        Membership.objects.create(member=m, group=new, joined_at=local(2026, 3, 4, 16))
    order(buyers[0], new, local(2026, 3, 5, 10), "300.00")
    order(buyers[0], new, local(2026, 3, 6, 10), "200.00")
    order(buyers[1], new, local(2026, 3, 6, 11), "100.00")
    doc = build_recap(parse_period("2026-W10"), now=NOW)
    row = next(r for r in doc["rates"]["groups"] if r["code"] == "NEW")
    # Nobody was in the group at the week's start: no cohort, so no rates, but the members are counted at the end.
    assert all(row[key] is None for key in ("new_add_rate", "conversion_rate", "churn_rate", "reactivation_rate"))
    assert row["end_counts"] == {"potential": 0, "new": 1, "core": 1, "dormant": 0}
    group = next(g for g in doc["groups"]["groups"] if g["code"] == "NEW")
    assert group["gmv"] == "600.00"
    assert group["previous_gmv"] == "0.00"
    assert group["core_members"] == 1
    assert group["delta"] == "600.00"
    assert doc["groups"]["movers_up"] == ["NEW"]
    assert group["factors"].startswith("主力客户 +1")


def test_recap_reads_a_campaign_spanning_two_weeks_as_of_each_weeks_end(group_with_members):
    group, members = group_with_members
    campaign = CampaignFactory(
        starts_at=local(2026, 2, 28, 10), ends_at=local(2026, 3, 3, 10), gmv_target=Decimal("1000.00"),
        status=Campaign.Status.ENDED,
    )  # fmt: skip
    campaign.groups.add(group)
    item = ItemFactory(campaign=campaign, supplier_cap=3, product__name="连花清瘟胶囊")
    sunday = order(members[0], group, local(2026, 3, 1, 12), "400.00", campaign=campaign)  # Sunday, W09
    monday = order(members[1], group, local(2026, 3, 2, 12), "900.00", campaign=campaign)  # Monday, W10
    OrderLine.objects.create(order=sunday, product=item.product, quantity=2, amount=Decimal("400.00"))
    OrderLine.objects.create(order=monday, product=item.product, quantity=1, amount=Decimal("900.00"))
    first = build_recap(parse_period("2026-W09"), now=NOW)
    second = build_recap(parse_period("2026-W10"), now=NOW)
    (a,) = first["targets"]["campaigns"]
    (b,) = second["targets"]["campaigns"]
    assert a["gmv"] == "400.00"
    # At W09's end (Monday 00:00) 38 of the campaign's 72 hours had passed: ¥1,000 × 38/72 expected, ¥400 made.
    assert a["expected_so_far"] == "527.78"
    assert a["pace"] == str((Decimal("400") / Decimal("527.78")).quantize(Decimal("0.0001")))
    assert b["gmv"] == "1300.00"
    assert b["attainment"] == "1.3000"
    assert b["pace"] == "1.3000"
    # The supplier cap (3) was reached on Monday: in W10's recap, not in W09's.
    assert first["problems"]["sold_out"] == []
    assert second["problems"]["sold_out"] == [
        {"campaign_id": campaign.pk, "campaign": campaign.name, "product": "连花清瘟胶囊", "sold": 3, "cap": 3}
    ]
    # The month to date of W09 (its last day is 1 March) starts on 1 March: the campaign's Sunday only.
    assert first["targets"]["month_to_date"]["start"] == "2026-03-01"


def test_recap_counts_red_packets_coupons_and_missed_reminders_in_their_week(group_with_members):
    group, members = group_with_members
    operator = make_user("op-edge", Role.OPERATOR)
    ReminderFactory(
        kind=Reminder.Kind.RED_PACKET,
        red_packet_amount=Decimal("0.50"),
        red_packet_count=10,
        status=Reminder.Status.DONE,
        due_at=local(2026, 3, 5, 10),
        group=group,
        assignee=operator,
    )
    ReminderFactory(
        kind=Reminder.Kind.RED_PACKET,
        red_packet_amount=Decimal("2.00"),
        red_packet_count=5,
        status=Reminder.Status.SKIPPED,
        due_at=local(2026, 3, 5, 11),
        group=group,
        assignee=operator,
    )
    ReminderFactory(status=Reminder.Status.SENT, due_at=local(2026, 3, 6, 9), group=group, assignee=operator)
    ReminderFactory(status=Reminder.Status.DONE, due_at=local(2026, 3, 6, 9), group=group, assignee=operator,
                    is_late=True)  # fmt: skip
    order(members[0], group, local(2026, 3, 5, 12), "50.00")
    template = CouponTemplate.objects.create(code="T1", name="满100减10", kind="repurchase", amount=Decimal("10"),
                                             min_spend=Decimal("100"))  # fmt: skip
    for i, member in enumerate(members):
        Coupon.objects.create(
            template=template,
            member=member,
            code=f"CP{i}",
            issued_at=local(2026, 3, 3),
            expires_at=local(2026, 3, 20),
            redeemed_at=local(2026, 3, 5) if i == 0 else None,
        )
    doc = build_recap(parse_period("2026-W10"), now=NOW)
    systems = {s["key"]: s for s in doc["systems"]}
    assert systems["red_packet_spend"]["value"] == "5.00"  # the skipped one was not sent
    assert systems["gmv_per_red_packet_yuan"]["value"] == "10.0000"
    assert systems["coupon_redemption"]["value"] == "0.3333"
    assert systems["coupon_redemption"]["denominator"] == 3
    (slips,) = doc["problems"]["reminders"]
    assert slips["user_id"] == operator.pk
    assert (slips["total"], slips["late"], slips["missed"]) == (4, 1, 1)


def test_recap_page_of_an_empty_week_shows_dashes(client, group_with_members):
    client.force_login(make_user("boss", Role.MANAGER))
    response = client.get(reverse("analytics:recap"), {"period": "2026-W05"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "本期没有活动" in html
    assert "—" in html
    book = openpyxl.load_workbook(__import__("io").BytesIO(client.get(
        reverse("analytics:recap"), {"period": "2026-W05", "export": "xlsx"}).content))  # fmt: skip
    assert "图表" not in book.sheetnames  # no campaign, no chart


def test_recap_period_bounds_are_local_weeks_and_months():
    week, month = parse_period("2026-W01"), parse_period("2026-02")
    assert (week.start, week.end) == (dt.date(2025, 12, 29), dt.date(2026, 1, 5))
    assert week.bounds[0].utcoffset() == dt.timedelta(hours=8)
    assert (month.start, month.end) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert month.previous().key == "2026-01"
    assert [p.key for p in week.trailing(2)] == ["2025-W51", "2025-W52"]


def test_recap_of_the_running_week_is_computed_now_and_not_kept(client, group_with_members):
    from django.utils import timezone

    from analytics.models import Recap
    from core.dates import current_week_monday, week_label

    client.force_login(make_user("boss", Role.MANAGER))
    key = week_label(current_week_monday(timezone.now()))
    response = client.get(reverse("analytics:recap"), {"period": key})
    assert response.status_code == 200
    assert "本期尚未结束" in response.content.decode()
    assert 'data-testid="recap-regenerate"' not in response.content.decode()
    assert not Recap.objects.filter(period=key).exists()
    # A complete week is kept on its first reading.
    client.get(reverse("analytics:recap"), {"period": "2026-W05"})
    assert Recap.objects.filter(period="2026-W05").exists()
