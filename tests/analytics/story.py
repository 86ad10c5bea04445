"""A small hand-made world whose every number is worked out by hand in the tests (ISO week 2026-W02).

- A buys in CD-VIP on Sunday 23:59:59 (the week before), Monday 00:00:00 and Thursday; a refund on Friday.
- B leaves CD-VIP on Wednesday noon: the Tuesday order counts, the Thursday one (still attributed to CD-VIP)
  does not.
- C is in two groups: one order in CD-VIP, two in CD-DAILY (a core member there only).
- D joins CD-DAILY on Tuesday and buys on Sunday 23:59:59 (in the week) and Monday 00:00:00 (the next).
- EMPTY has neither members nor orders: its ratios and rates are null.
"""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from campaigns.models import Order
from members.models import Group, Member, Membership

TZ = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def build_story():
    vip = Group.objects.create(code="CD-VIP", name="成都VIP群", capacity=500)
    daily = Group.objects.create(code="CD-DAILY", name="成都日常群", capacity=10)
    Group.objects.create(code="EMPTY", name="空群", capacity=500)
    a, b, c, d = (Member.objects.create(external_id=x, name=f"客户{x}") for x in "ABCD")
    joined = local(2025, 12, 1)
    Membership.objects.create(member=a, group=vip, joined_at=joined)
    Membership.objects.create(member=b, group=vip, joined_at=joined, left_at=local(2026, 1, 7, 12), status="left")
    Membership.objects.create(member=c, group=vip, joined_at=joined)
    Membership.objects.create(member=c, group=daily, joined_at=joined)
    Membership.objects.create(member=d, group=daily, joined_at=local(2026, 1, 6))
    orders = [
        (a, vip, local(2026, 1, 4, 23, 59, 59), "100.00", "paid"),
        (a, vip, local(2026, 1, 5, 0, 0, 0), "200.00", "paid"),
        (a, vip, local(2026, 1, 8, 10), "300.00", "paid"),
        (a, vip, local(2026, 1, 9, 10), "50.00", "refunded"),
        (b, vip, local(2026, 1, 6, 9), "80.00", "paid"),
        (b, vip, local(2026, 1, 8, 9), "90.00", "paid"),
        (c, vip, local(2026, 1, 6, 15), "40.00", "paid"),
        (c, daily, local(2026, 1, 7, 15), "60.00", "paid"),
        (c, daily, local(2026, 1, 10, 15), "70.00", "paid"),
        (d, daily, local(2026, 1, 11, 23, 59, 59), "25.50", "paid"),
        (d, daily, local(2026, 1, 12, 0, 0, 0), "1000.00", "paid"),
    ]
    Order.objects.bulk_create(
        Order(order_id=f"S{i}", member=m, group=g, placed_at=t, amount=Decimal(x), status=s)
        for i, (m, g, t, x, s) in enumerate(orders)
    )
    return {"vip": vip, "daily": daily, "members": (a, b, c, d)}


NULL_ROW = {
    "gmv": "0.00",
    "orders": 0,
    "buyers": 0,
    "core_members": 0,
    "repurchases": None,
    "aov": None,
    "core_gmv": "0.00",
    "other_gmv": "0.00",
}

WEEK_METRICS = {
    "start": "2026-01-05",
    "end": "2026-01-12",
    "groups": [
        {
            "group": "CD-DAILY",
            "gmv": "155.50",
            "orders": 3,
            "buyers": 2,
            "core_members": 1,
            "repurchases": 2.0,
            "aov": 65.0,
            "core_gmv": "130.00",
            "other_gmv": "25.50",
        },
        {
            "group": "CD-VIP",
            "gmv": "620.00",
            "orders": 4,
            "buyers": 3,
            "core_members": 1,
            "repurchases": 2.0,
            "aov": 250.0,
            "core_gmv": "500.00",
            "other_gmv": "120.00",
        },
        {"group": "EMPTY", **NULL_ROW},
    ],
    "platform": {
        "group": None,
        "gmv": "775.50",
        "orders": 7,
        "buyers": 5,
        "core_members": 2,
        "repurchases": 2.0,
        "aov": 157.5,
        "core_gmv": "630.00",
        "other_gmv": "145.50",
    },
}


def _matrix(**cells):
    segs = ["potential", "new", "core", "dormant"]
    m = {a: {b: 0 for b in [*segs, "left"]} for a in segs}
    for key, n in cells.items():
        a, b = key.split("_to_")
        m[a][b] = n
    return m


def _counts(**kw):
    return {"potential": 0, "new": 0, "core": 0, "dormant": 0, **kw}


WEEK_RATES = {
    "week": "2026-W02",
    "start": "2026-01-05",
    "end": "2026-01-12",
    "groups": [
        {
            "group": "CD-DAILY",
            "start": _counts(potential=1),
            "end": _counts(new=1, core=1),
            "transitions": _matrix(potential_to_core=1),
            "new_add_rate": 1.0,
            "conversion_rate": None,
            "churn_rate": 0.0,
            "reactivation_rate": None,
        },
        {
            "group": "CD-VIP",
            "start": _counts(potential=2, new=1),
            "end": _counts(new=1, core=1),
            "transitions": _matrix(potential_to_new=1, potential_to_left=1, new_to_core=1),
            "new_add_rate": 0.5,
            "conversion_rate": 1.0,
            "churn_rate": 0.3333,
            "reactivation_rate": None,
        },
        {
            "group": "EMPTY",
            "start": _counts(),
            "end": _counts(),
            "transitions": _matrix(),
            "new_add_rate": None,
            "conversion_rate": None,
            "churn_rate": None,
            "reactivation_rate": None,
        },
    ],
}
