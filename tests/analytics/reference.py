"""A deliberately naive reference: plain Python loops over the ORM's orders and memberships, written
straight from docs/metrics.md's definitions (and the analytics modules' documented decisions), sharing no code with
the fact store. The services must agree with it exactly."""

import math
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from campaigns.models import Order
from members.models import Group, Membership


class Source:
    def __init__(self):
        self.groups = list(Group.objects.order_by("code"))
        self.orders = list(Order.objects.all())
        self.memberships = defaultdict(list)
        for ms in Membership.objects.all():
            if ms.status != Membership.Status.INVITED:
                self.memberships[(ms.group_id, ms.member_id)].append(ms)

    def in_group(self, group_id, member_id, t):
        for ms in self.memberships.get((group_id, member_id), []):
            joined = ms.joined_at is None or ms.joined_at <= t
            not_left = ms.left_at is None or t < ms.left_at
            if joined and not_left:
                return True
        return False

    def counts(self, order):
        if order.status != Order.Status.PAID or order.group_id is None:
            return False
        had_left = any(
            ms.left_at is not None and ms.left_at <= order.placed_at
            for ms in self.memberships.get((order.group_id, order.member_id), [])
        )
        return not had_left or self.in_group(order.group_id, order.member_id, order.placed_at)

    def members_at(self, group_id, t):
        return sorted({m for (g, m) in self.memberships if g == group_id and self.in_group(g, m, t)})


def metrics(src, start, end, core_min=2):
    """{group code: dict of figures} plus "platform"."""
    out = {}
    for group in src.groups:
        per_member = defaultdict(list)
        for o in src.orders:
            if o.group_id == group.id and start <= o.placed_at < end and src.counts(o):
                per_member[o.member_id].append(o.amount)
        gmv = sum((a for amounts in per_member.values() for a in amounts), Decimal("0"))
        core = {m: a for m, a in per_member.items() if len(a) >= core_min}
        core_orders = sum(len(a) for a in core.values())
        core_gmv = sum((x for a in core.values() for x in a), Decimal("0"))
        out[group.code] = {
            "gmv": gmv,
            "orders": sum(len(a) for a in per_member.values()),
            "buyers": len(per_member),
            "core_members": len(core),
            "core_orders": core_orders,
            "core_gmv": core_gmv,
            "other_gmv": gmv - core_gmv,
            "repurchases": Decimal(core_orders) / len(core) if core else None,
            "aov": core_gmv / core_orders if core_orders else None,
        }
    platform = {k: 0 for k in ("orders", "buyers", "core_members", "core_orders")}
    platform.update({k: Decimal("0") for k in ("gmv", "core_gmv", "other_gmv")})
    for row in out.values():
        for k in platform:
            platform[k] += row[k]
    out["platform"] = platform
    return out


def segment(src, group_id, member_id, t, window_days=28, core_min=2):
    mine = [
        o
        for o in src.orders
        if o.group_id == group_id and o.member_id == member_id and o.placed_at < t and src.counts(o)
    ]
    if not mine:
        return "potential"
    in_window = [o for o in mine if o.placed_at >= t - timedelta(days=window_days)]
    if len(in_window) >= core_min:
        return "core"
    if in_window:
        return "new"
    return "dormant"


def segments(src, t):
    """{group code: {member id: segment}}"""
    return {g.code: {m: segment(src, g.id, m, t) for m in src.members_at(g.id, t)} for g in src.groups}


def transitions(src, t0, t1):
    out = {}
    for g in src.groups:
        before = {m: segment(src, g.id, m, t0) for m in src.members_at(g.id, t0)}
        after = {m: segment(src, g.id, m, t1) for m in src.members_at(g.id, t1)}
        matrix = {a: {b: 0 for b in ("potential", "new", "core", "dormant", "left")} for a in SEGS}
        for m, a in before.items():
            matrix[a][after.get(m, "left")] += 1

        def rate(num_from, num_to, den, matrix=matrix):
            den_n = sum(sum(matrix[a].values()) for a in den)
            num = sum(matrix[a][b] for a in num_from for b in num_to)
            return None if den_n == 0 else Decimal(num) / den_n

        out[g.code] = {
            "start": {s: sum(1 for v in before.values() if v == s) for s in SEGS},
            "end": {s: sum(1 for v in after.values() if v == s) for s in SEGS},
            "transitions": matrix,
            "new_add_rate": rate(["potential"], ["new", "core"], ["potential"]),
            "conversion_rate": rate(["new"], ["core"], ["new"]),
            "churn_rate": rate(["potential", "new", "core"], ["dormant", "left"], ["potential", "new", "core"]),
            "reactivation_rate": rate(["dormant"], ["new", "core"], ["dormant"]),
        }
    return out


SEGS = ("potential", "new", "core", "dormant")


def lmdi(before, after):
    """Unrounded (C, R, A) effects in yuan, or None when the core-member rule applies."""
    c0, c1 = before["core_members"], after["core_members"]
    v0, v1 = float(before["core_gmv"]), float(after["core_gmv"])
    if not (c0 and c1 and v0 > 0 and v1 > 0):
        return None
    w = v0 if v0 == v1 else (v1 - v0) / (math.log(v1) - math.log(v0))
    r0, r1 = before["core_orders"] / c0, after["core_orders"] / c1
    a0, a1 = v0 / before["core_orders"], v1 / after["core_orders"]
    return (w * math.log(c1 / c0), w * math.log(r1 / r0), w * math.log(a1 / a0))


def grade(row, a_gmv=Decimal(20000), a_members=30, b_gmv=Decimal(5000)):
    if row["core_gmv"] >= a_gmv and row["core_members"] >= a_members:
        return "A"
    if row["core_gmv"] >= b_gmv:
        return "B"
    if row["gmv"] > 0:
        return "C"
    return "D"


def money(value):
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
