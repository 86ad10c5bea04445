"""Small generated worlds for the analytics tests: groups, members, memberships and orders around week
edges, written with bulk statements as the importer does."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from campaigns.models import Order
from members.models import Group, Member, Membership

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday: the week [MONDAY, MONDAY + 7 days) is the one the tests look at most.
MONDAY = datetime(2026, 1, 5, tzinfo=SHANGHAI)

# Times of day that sit on or right beside a day edge, plus an ordinary one.
TIMES_OF_DAY = [
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(hours=23, minutes=59, seconds=59),
    timedelta(hours=23, minutes=59, seconds=59, microseconds=999999),
    timedelta(hours=12),
]

# A few instants that orders, joins and leaves share often: the week's edges, and a Wednesday noon on which
# members leave while others buy.
KEY_INSTANTS = [
    MONDAY,
    MONDAY - timedelta(microseconds=1),
    MONDAY + timedelta(days=2, hours=12),
    MONDAY + timedelta(days=7),
    MONDAY + timedelta(days=7) - timedelta(seconds=1),
]

instants = st.one_of(
    st.builds(
        lambda day, tod: MONDAY + timedelta(days=day) + tod,
        st.integers(min_value=-35, max_value=13),
        st.sampled_from(TIMES_OF_DAY),
    ),
    st.sampled_from(KEY_INSTANTS),
)

GROUPS = ["G1", "G2", "G3"]


@st.composite
def membership_plans(draw):
    """None, or the membership rows of one (member, group): joined, maybe left, maybe back again."""
    kind = draw(st.sampled_from(["active", "left", "none", "rejoined", "active", "invited", "unknown_join"]))
    if kind == "none":
        return []
    if kind == "invited":
        return [("invited", None, None)]
    if kind == "unknown_join":
        return [("active", None, None)]
    a, b, c = sorted(draw(st.lists(instants, min_size=3, max_size=3)))
    if kind == "active":
        return [("active", a, None)]
    status = draw(st.sampled_from(["left", "removed"]))
    if kind == "left":
        return [(status, a, b)]
    return [(status, a, b), ("active", c, None)]


orders_st = st.tuples(
    st.integers(min_value=0, max_value=5),  # member index
    st.sampled_from([*GROUPS, None]),
    instants,
    st.integers(min_value=0, max_value=50_000),  # cents
    st.sampled_from(["paid", "paid", "paid", "refunded"]),
)

PAIRS = [(m, g) for m in range(6) for g in GROUPS]

worlds = st.fixed_dictionaries(
    {
        # A plan for every (member, group) pair, so most orders land on a member of their group.
        "memberships": st.tuples(*[membership_plans() for _ in PAIRS]).map(
            lambda plans: [(m, g, plan) for (m, g), plan in zip(PAIRS, plans, strict=True)]
        ),
        "orders": st.lists(orders_st, min_size=5, max_size=60),
    }
)


def build(world, *, capacity=10):
    groups = {code: Group.objects.create(code=code, name=f"群{code}", capacity=capacity) for code in GROUPS}
    members = Member.objects.bulk_create([Member(external_id=f"M{i}", name=f"客户{i}") for i in range(6)])
    seen = set()
    rows = []
    for member, code, plan in world["memberships"]:
        if (member, code) in seen:
            continue
        seen.add((member, code))
        for status, joined, left in plan:
            rows.append(
                Membership(member=members[member], group=groups[code], status=status, joined_at=joined, left_at=left)
            )
    Membership.objects.bulk_create(rows)
    Order.objects.bulk_create(
        [
            Order(
                order_id=f"O{i}",
                member=members[m],
                group=None if code is None else groups[code],
                placed_at=at,
                amount=Decimal(cents) / 100,
                status=status,
            )
            for i, (m, code, at, cents, status) in enumerate(world["orders"])
        ]
    )
    return groups, members
