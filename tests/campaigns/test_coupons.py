import datetime as dt
from decimal import Decimal

import pytest

from campaigns.models import CouponTemplate, Order
from campaigns.selectors import coupon_template_stats
from campaigns.services import CouponError, coupon_batch_issue, coupon_redeem

from .factories import GroupFactory, MemberFactory, local

pytestmark = pytest.mark.django_db
NOW = local(2026, 12, 1, 9)


@pytest.fixture
def template():
    return CouponTemplate.objects.create(
        code="repurchase20", name="复购券 满200减20", kind="repurchase", amount=Decimal("20"), min_spend=Decimal("200"),
        valid_days=14,
    )  # fmt: skip


def order(member, amount="250.00", placed_at=NOW + dt.timedelta(days=1), order_id="O1", status="paid"):
    return Order.objects.create(order_id=order_id, member=member, placed_at=placed_at, amount=Decimal(amount),
                                status=status)  # fmt: skip


def test_issue_a_batch_to_a_selection_and_redeem(template):
    members = [MemberFactory(), MemberFactory(), MemberFactory()]
    batch = coupon_batch_issue(template=template, members=members, now=NOW, description="core of VIP1")
    assert batch.size == 3
    coupon = batch.coupons.get(member=members[0])
    assert coupon.expires_at == NOW + dt.timedelta(days=14)
    first = order(members[0])
    assert coupon_redeem(code=coupon.code.lower(), order=first).order == first
    # The same order again (a re-import) changes nothing; another order cannot use it.
    assert coupon_redeem(code=coupon.code, order=first).order == first
    with pytest.raises(CouponError) as refused:
        coupon_redeem(code=coupon.code, order=order(members[0], order_id="O2"))
    assert refused.value.code == "used"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"amount": "150.00"}, "min_spend"),
        ({"placed_at": NOW + dt.timedelta(days=20)}, "expired"),
    ],
)
def test_redeem_refuses_with_a_reason(template, kwargs, reason):
    member = MemberFactory()
    coupon = coupon_batch_issue(template=template, members=[member], now=NOW).coupons.get()
    with pytest.raises(CouponError) as refused:
        coupon_redeem(code=coupon.code, order=order(member, **kwargs))
    assert refused.value.code == reason


def test_redeem_refuses_another_members_coupon_and_unknown_codes(template):
    owner, other = MemberFactory(), MemberFactory()
    coupon = coupon_batch_issue(template=template, members=[owner], now=NOW).coupons.get()
    with pytest.raises(CouponError) as refused:
        coupon_redeem(code=coupon.code, order=order(other))
    assert refused.value.code == "other_member"
    with pytest.raises(CouponError) as refused:
        coupon_redeem(code="NOPE", order=order(owner, order_id="O3"))
    assert refused.value.code == "unknown"


def test_stats_per_template_count_issued_redeemed_and_paid_gmv(template):
    members = [MemberFactory() for _ in range(4)]
    coupons = list(coupon_batch_issue(template=template, members=members, now=NOW).coupons.order_by("member_id"))
    coupon_redeem(code=coupons[0].code, order=order(members[0], "300.00", order_id="A"))
    coupon_redeem(code=coupons[1].code, order=order(members[1], "400.00", order_id="B", status="refunded"))
    row = coupon_template_stats().get(pk=template.pk)
    assert (row.issued, row.redeemed, row.gmv) == (4, 2, Decimal("300.00"))


def test_segment_batches_need_the_analytics_provider(template, settings):
    settings.SEGMENT_PROVIDER = "tests.campaigns.test_coupons"
    members = [MemberFactory(), MemberFactory()]
    segment_member_ids.ids = [m.pk for m in members]
    batch = coupon_batch_issue(template=template, group=GroupFactory(name="VIP1"), segment="dormant", now=NOW)
    assert batch.size == 2
    assert batch.description == "VIP1 · dormant"
    settings.SEGMENT_PROVIDER = "analytics.no_such_module"
    with pytest.raises(CouponError):
        coupon_batch_issue(template=template, group=GroupFactory(), segment="dormant", now=NOW)


def segment_member_ids(*, segment, group=None, group_ids=None, at=None):
    """This module stands in as a segment provider (the real one is analytics.segments): two members."""
    return segment_member_ids.ids
