"""The customer's own state across all groups (docs/metrics.md): the segment rule over every paid order of the
member, whatever the group. It is what a wake-up list asks for: a member dormant in an old group but buying in
a VIP group is a core customer, not someone to wake up. Offered beside the per-group segment in the members
filter, saved selections and the member page, each saying which one it is."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.facts import Facts
from analytics.segments import customer_segments_at
from analytics.selectors import member_ids_in_customer_segment
from analytics.sources import MembershipColumns, OrderColumns, to_us
from campaigns.models import Order
from members.models import Group, SavedSelection
from members.selections import filter_summary, selection_filter
from tests.conftest import PASSWORD
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, OrderFactory

MEMBERS = reverse("members:member-list")

pytestmark = pytest.mark.usefixtures("fresh_analytics_store")


def shown_ids(response) -> set[str]:
    return set(re.findall(r'<span class="co-cell-sub ms-1">(M[\w-]+)</span>', response.content.decode()))


@pytest.fixture
def world(db):
    """Per group and as a customer (window 28 days, core = 2+ orders in it), worked out by hand:

    | member | in 2019老客户群            | elsewhere                                 | as a customer |
    | M-B    | dormant (bought 60 d ago)  | core in 成都VIP (2 orders this week)      | core          |
    | M-D    | dormant (bought 90 d ago)  | —                                         | dormant       |
    | M-F    | dormant (bought 70 d ago)  | an order with no group 5 d ago            | new           |
    | M-G    | dormant (bought 80 d ago)  | an order 3 d ago, refunded                | dormant       |
    | M-C    | potential (never bought)   | —                                         | potential     |
    """
    now = timezone.now()
    old = GroupFactory(code="OLD-2019", name="2019老客户群", tier=Group.Tier.LEGACY)
    vip = GroupFactory(code="VIP-CD1", name="成都VIP", tier=Group.Tier.PRECISE)
    members = {
        key: MemberFactory(external_id=f"M-{key}", name=f"客户{key}", cumulative_purchase=Decimal("8000"))
        for key in "BDFGC"
    }
    for member in members.values():
        MembershipFactory(member=member, group=old, joined_at=now - timedelta(days=400))
    MembershipFactory(member=members["B"], group=vip, joined_at=now - timedelta(days=30))

    def buy(key, group, days_ago, status=Order.Status.PAID):
        OrderFactory(member=members[key], group=group, placed_at=now - timedelta(days=days_ago), status=status)

    buy("B", old, 60), buy("B", vip, 1), buy("B", vip, 4)
    buy("D", old, 90)
    buy("F", old, 70), buy("F", None, 5)
    buy("G", old, 80), buy("G", vip, 3, status=Order.Status.REFUNDED)
    return {"old": old, "vip": vip, "members": members}


def ids_of(world, keys: str) -> set[int]:
    return {world["members"][k].pk for k in keys}


def test_customer_segments_count_every_paid_order_whatever_the_group(world):
    assert set(member_ids_in_customer_segment(segment="core")) == ids_of(world, "B")
    assert set(member_ids_in_customer_segment(segment="new")) == ids_of(world, "F")
    assert set(member_ids_in_customer_segment(segment="dormant")) == ids_of(world, "DG")
    assert set(member_ids_in_customer_segment(segment="potential")) == ids_of(world, "C")


def test_customer_segment_unknown_value_is_refused(world):
    with pytest.raises(ValueError, match="unknown segment"):
        member_ids_in_customer_segment(segment="vip")


def test_members_filter_offers_both_and_they_differ_where_they_should(client, world, operator):
    client.login(username=operator.username, password=PASSWORD)
    old = world["old"].pk
    in_the_group = client.get(MEMBERS, {"group": old, "segment": "dormant"})
    as_customers = client.get(MEMBERS, {"group": old, "customer_segment": "dormant"})
    assert shown_ids(in_the_group) == {"M-B", "M-D", "M-F", "M-G"}
    assert shown_ids(as_customers) == {"M-D", "M-G"}
    page = as_customers.content.decode()
    # Each says which it is, in Chinese, with the window spelled out.
    assert "群内分层" in page
    assert "客户状态（所有群）" in page
    assert "近 28 天在任何群都没有下单" in page


@override_settings(SEGMENT_WINDOW_DAYS=100)
def test_the_window_is_the_organisations_setting(client, world, operator):
    client.login(username=operator.username, password=PASSWORD)
    response = client.get(MEMBERS, {"customer_segment": "dormant"})
    assert shown_ids(response) == set()  # everyone who ever bought did so within 100 days
    assert "近 100 天" in response.content.decode()


def test_a_bad_customer_state_is_said_beside_its_field(client, world, operator):
    client.login(username=operator.username, password=PASSWORD)
    response = client.get(MEMBERS, {"customer_segment": "vip"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="filter-error"' in text
    assert "客户状态（所有群）" in text


def test_a_saved_selection_reads_which_segment_it_asks_for(world, operator):
    query = f"group={world['old'].pk}&customer_segment=dormant&min_purchase=5000"
    selection = SavedSelection.objects.create(name="唤醒", query=query, created_by=operator)
    filterset = selection_filter(selection, user=operator)
    assert ("客户状态（所有群）", "沉睡客户") in filter_summary(filterset)
    assert {m.external_id for m in filterset.qs} == {"M-D", "M-G"}


def test_member_page_shows_the_customer_state_beside_the_group_segment(client, world, operator):
    client.login(username=operator.username, password=PASSWORD)
    page = client.get(reverse("members:member-detail", args=[world["members"]["B"].pk])).content.decode()
    state = re.search(r'data-testid="customer-state"><span class="badge[^"]*">([^<]+)<', page)
    assert state
    assert state.group(1) == "主力客户"
    segments = re.findall(r'data-testid="membership-segment"><span class="badge[^"]*">([^<]+)<', page)
    assert sorted(segments) == ["主力客户", "沉睡客户"]  # dormant in the old group, core in the VIP group


# --- the rule itself, against a plain reading of docs/metrics.md ------------------------------------------

AT = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
DAY_US = 86_400_000_000
order_rows = st.lists(
    st.tuples(
        st.integers(1, 6),  # member
        st.integers(-1, 3),  # group (-1: none)
        st.integers(-60 * DAY_US, 2 * DAY_US),  # placed, relative to AT
        st.booleans(),  # paid
    ),
    max_size=40,
)


def naive_customer_segment(rows, member: int, at_us: int, window_us: int, kmin: int) -> str:
    placed = [ts for m, _g, ts, paid in rows if m == member and paid and ts < at_us]
    if not placed:
        return "potential"
    in_window = sum(1 for ts in placed if ts >= at_us - window_us)
    return "core" if in_window >= kmin else "new" if in_window else "dormant"


@settings(max_examples=200, deadline=None)
@given(rows=order_rows)
def test_customer_segments_match_the_definition(rows):
    rows = [(m, g, to_us(AT) + dt, paid) for m, g, dt, paid in rows]
    n = len(rows)
    orders = OrderColumns(
        id=np.arange(1, n + 1, dtype=np.int64),
        member=np.array([r[0] for r in rows], dtype=np.int64),
        group=np.array([r[1] for r in rows], dtype=np.int64),
        ts=np.array([r[2] for r in rows], dtype=np.int64),
        cents=np.full(n, 100, dtype=np.int64),
        paid=np.array([r[3] for r in rows], dtype=bool),
    )
    facts = Facts.build(orders, MembershipColumns.empty())
    snapshot = customer_segments_at(at=AT, facts=facts)
    got = snapshot.of(range(1, 7))
    window_us = 28 * DAY_US
    assert got == {m: naive_customer_segment(rows, m, to_us(AT), window_us, 2) for m in range(1, 7)}


def test_an_order_exactly_at_the_windows_start_counts_in_it():
    start = to_us(AT) - 28 * DAY_US
    orders = OrderColumns(
        id=np.array([1, 2], dtype=np.int64),
        member=np.array([1, 2], dtype=np.int64),
        group=np.array([-1, -1], dtype=np.int64),
        ts=np.array([start, start - 1], dtype=np.int64),
        cents=np.array([100, 100], dtype=np.int64),
        paid=np.array([True, True]),
    )
    snapshot = customer_segments_at(at=AT, facts=Facts.build(orders, MembershipColumns.empty()))
    assert snapshot.of([1, 2, 3]) == {1: "new", 2: "dormant", 3: "potential"}


def test_a_selections_days_read_as_a_number(world, operator):
    selection = SavedSelection.objects.create(name="近60天", query="active_within=60", created_by=operator)
    assert ("近几天活跃", "60 天") in filter_summary(selection_filter(selection, user=operator))
