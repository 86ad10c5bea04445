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


def test_segment_batches_need_the_analytics_provider(template, segment_provider):
    members = [MemberFactory(), MemberFactory()]
    segment_provider(TwoMembers([m.pk for m in members]))
    batch = coupon_batch_issue(template=template, group=GroupFactory(name="VIP1"), segment="dormant", now=NOW)
    assert batch.size == 2
    assert batch.description == "VIP1 · dormant"
    segment_provider(None)
    with pytest.raises(CouponError):
        coupon_batch_issue(template=template, group=GroupFactory(), segment="dormant", now=NOW)


class TwoMembers:
    """Stands in for the segment provider analytics registers: the same two members in every segment."""

    choices = [("dormant", "dormant")]

    def __init__(self, ids):
        self.ids = ids

    def member_ids(self, *, segment, group=None, group_ids=None, at=None):
        return self.ids


# --- the coupon column of the orders import ---------------------------------------------------------

COUPON_HEADER = "order_id,member_external_id,placed_at,amount,status,group,campaign,coupon\n"


def import_orders(tmp_path, rows: str):
    from .test_import_orders import run, write

    return run(write(tmp_path, COUPON_HEADER + rows))


@pytest.fixture
def holders(template):
    """Two members with one coupon each (issued 2026-12-01 09:00, valid 14 days, ≥ ¥200)."""
    a, b = MemberFactory(external_id="KA"), MemberFactory(external_id="KB")
    batch = coupon_batch_issue(template=template, members=[a, b], now=NOW)
    return {"a": batch.coupons.get(member=a), "b": batch.coupons.get(member=b)}


def test_import_records_redemptions_once_and_counts_them_per_template(tmp_path, template, holders):
    a, b = holders["a"], holders["b"]
    rows = (
        f"O1,KA,2026-12-02 10:00,250.00,,,,{a.code.lower()}\n"  # a hand-typed lower-case code is the same coupon
        f"O2,KB,2026-12-03 10:00,300.00,,,,{b.code}\n"
        "O3,KB,2026-12-03 11:00,80.00,,,,\n"
    )
    status, _out, err = import_orders(tmp_path, rows)
    assert status == 0, err
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.order.order_id == "O1"
    assert a.redeemed_at == local(2026, 12, 2, 10)
    assert b.order.order_id == "O2"
    row = coupon_template_stats().get(pk=template.pk)
    assert (row.issued, row.redeemed, row.gmv) == (2, 2, Decimal("550.00"))
    # Re-importing the same file, or the orders without the column, changes no redemption.
    assert import_orders(tmp_path, rows)[0] == 0
    from .test_import_orders import run, write

    assert run(write(tmp_path, "order_id,member_external_id,placed_at,amount\nO1,KA,2026-12-02 10:00,250.00\n"))[0] == 0
    a.refresh_from_db()
    assert a.order.order_id == "O1"
    # A refund later: the coupon stays redeemed, the GMV per template drops it (refunds count nowhere).
    assert import_orders(tmp_path, f"O2,KB,2026-12-03 10:00,300.00,refunded,,,{b.code}\n")[0] == 0
    row = coupon_template_stats().get(pk=template.pk)
    assert (row.redeemed, row.gmv) == (2, Decimal("250.00"))


def test_import_refuses_coupons_that_cannot_be_redeemed_naming_line_and_reason(tmp_path, template, holders):
    a, b = holders["a"], holders["b"]

    def another(member):
        return coupon_batch_issue(template=template, members=[member], now=NOW).coupons.get().code

    MemberFactory(external_id="KC")
    coupon_redeem(code=b.code, order=order(b.member, order_id="USED-BY"))
    expired, small, twice, other = (another(a.member) for _ in range(4))
    rows = (
        f"O1,KC,2026-12-02 10:00,250.00,,,,{a.code}\n"  # someone else's coupon
        f"O2,KA,2026-12-20 10:00,250.00,,,,{expired}\n"  # expired on 12-15 09:00
        f"O3,KA,2026-12-02 10:00,199.99,,,,{small}\n"  # below the ¥200 minimum spend
        f"O4,KB,2026-12-02 10:00,250.00,,,,{b.code}\n"  # already used by another order
        "O5,KA,2026-12-02 10:00,250.00,,,,NOSUCHCODE\n"
        f"O6,KA,2026-12-02 10:00,250.00,,,,{twice}\n"
        f"O7,KA,2026-12-02 11:00,250.00,,,,{twice}\n"  # the same coupon twice in the file
        f"USED-BY,KB,2026-12-02 10:00,250.00,,,,{other}\n"  # one reason per row, the first found
    )
    status, _out, err = import_orders(tmp_path, rows)
    assert status == 1
    errors = [line for line in err.splitlines() if line.startswith("line ")]
    assert errors == [
        f"line 2, column coupon: coupon {a.code} belongs to another member",
        f"line 3, column coupon: coupon {expired} had expired when the order was placed",
        f"line 4, column coupon: the amount is below the minimum spend of coupon {small} (¥200.00)",
        f"line 5, column coupon: coupon {b.code} was already used by order USED-BY",
        "line 6, column coupon: no coupon has code “NOSUCHCODE”",
        "line 8, column coupon: coupon used twice: first on line 7",
        f"line 9, column coupon: coupon {other} belongs to another member",
    ], errors
    assert not Order.objects.filter(order_id__startswith="O").exists()
    a.refresh_from_db()
    assert a.order is None


def test_import_with_a_coupon_column_before_any_coupon_exists_reports_unknown_codes(tmp_path):
    MemberFactory(external_id="KA")
    status, _out, err = import_orders(
        tmp_path, "O1,KA,2026-12-02 10:00,250.00,,,,nosuch\nO2,KA,2026-12-02 11:00,9.00,,,,\n"
    )
    assert status == 1
    assert "line 2, column coupon: no coupon has code “nosuch”" in err
    assert not Order.objects.exists()


def test_import_checks_a_coupon_against_the_order_it_redeemed_before(tmp_path, template, holders):
    a = holders["a"]
    other = coupon_batch_issue(template=template, members=[a.member], now=NOW).coupons.get()
    assert import_orders(tmp_path, f"O1,KA,2026-12-02 10:00,250.00,,,,{a.code}\n")[0] == 0
    status, _out, err = import_orders(tmp_path, f"O1,KA,2026-12-02 10:00,250.00,,,,{other.code}\n")
    assert status == 1
    assert f"line 2, column coupon: order O1 already redeemed coupon {a.code}" in err


def test_issue_a_batch_to_a_saved_selection_holds_whoever_matches_now(template):
    from members.models import SavedSelection

    big = [MemberFactory(cumulative_purchase=Decimal("8000")) for _ in range(2)]
    MemberFactory(cumulative_purchase=Decimal("100"))
    selection = SavedSelection.objects.create(name="大客户", query="min_purchase=5000")
    batch = coupon_batch_issue(template=template, selection=selection, now=NOW)
    assert batch.description == "大客户"
    assert sorted(batch.coupons.values_list("member_id", flat=True)) == sorted(m.pk for m in big)


def test_coupon_page_issues_to_a_saved_selection(client, template):
    from django.urls import reverse

    from core.roles import Role
    from members.models import SavedSelection
    from tests.conftest import make_user

    member = MemberFactory(cumulative_purchase=Decimal("8000"))
    selection = SavedSelection.objects.create(name="大客户", query="min_purchase=5000")
    client.force_login(make_user("op", Role.OPERATOR))
    url = reverse("campaigns:coupon-list")
    both = client.post(url, {"template": template.pk, "selection": selection.pk, "external_ids": member.external_id})
    assert both.status_code == 200  # two ways at once is a form error
    assert not template.coupons.exists()
    response = client.post(url, {"template": template.pk, "selection": selection.pk})
    assert response.status_code == 302
    assert list(template.coupons.values_list("member_id", flat=True)) == [member.pk]
