"""The decomposition as a pure function of two periods' figures: exact to the cent, whatever the numbers."""

import math
from decimal import Decimal

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.decomposition import decompose
from analytics.metrics import Metrics
from core.money import yuan


@st.composite
def metrics(draw):
    core_members = draw(st.integers(min_value=0, max_value=5_000))
    core_orders = draw(st.integers(min_value=2 * core_members, max_value=12 * core_members)) if core_members else 0
    core_cents = draw(st.integers(min_value=0, max_value=10**11)) if core_orders else 0
    other_orders = draw(st.integers(min_value=0, max_value=20_000))
    other_cents = draw(st.integers(min_value=0, max_value=10**10)) if other_orders else 0
    return Metrics(
        group=None,
        gmv_cents=core_cents + other_cents,
        orders=core_orders + other_orders,
        buyers=core_members + other_orders,
        core_members=core_members,
        core_orders=core_orders,
        core_cents=core_cents,
    )


@settings(max_examples=500)
@given(before=metrics(), after=metrics())
def test_decompose_sums_exactly_to_the_gmv_change(before, after):
    d = decompose(before, after)
    assert d.core_members_cents + d.repurchases_cents + d.aov_cents + d.other_cents == d.delta_cents
    assert d.core_members_effect + d.repurchases_effect + d.aov_effect + d.other_effect == d.delta
    assert d.other_cents == after.other_cents - before.other_cents


@settings(max_examples=300)
@given(before=metrics(), after=metrics())
def test_decompose_effects_are_the_rounded_lmdi_terms(before, after):
    d = decompose(before, after)
    v0, v1 = before.core_cents, after.core_cents
    if not (before.core_members and after.core_members and v0 and v1):
        assert (d.core_members_cents, d.repurchases_cents, d.aov_cents) == (v1 - v0, 0, 0)
        return
    w = v0 if v0 == v1 else (v1 - v0) / (math.log(v1) - math.log(v0))
    naive = [
        w * math.log(after.core_members / before.core_members),
        w * math.log((after.core_orders / after.core_members) / (before.core_orders / before.core_members)),
        w * math.log((v1 / after.core_orders) / (v0 / before.core_orders)),
    ]
    got = [d.core_members_cents, d.repurchases_cents, d.aov_cents]
    largest = max(range(3), key=lambda i: abs(naive[i]))
    for i in range(3):
        # Each term is rounded to the cent; only the largest absorbs the (at most two-cent) residue.
        assert abs(got[i] - naive[i]) <= (2.5 if i == largest else 0.5 + 1e-6)


def test_decompose_the_managers_example():
    # Core members 100 -> 80, repurchases 3 -> 3.2, AOV stays: the effects carry those signs.
    before = Metrics(None, gmv_cents=3_000_000, orders=300, buyers=100, core_members=100, core_orders=300,
                     core_cents=3_000_000)  # fmt: skip
    after = Metrics(None, gmv_cents=2_560_000, orders=256, buyers=80, core_members=80, core_orders=256,
                    core_cents=2_560_000)  # fmt: skip
    d = decompose(before, after)
    assert d.core_members_cents < 0 < d.repurchases_cents
    assert d.aov_cents == 0
    assert d.delta == Decimal("-4400.00")
    with translation.override("en"):
        assert (
            d.sentence() == "GMV −¥4,400: core members −¥6,190.42, repurchases +¥1,790.42, AOV ¥0, one-time buyers ¥0"
        )
    with translation.override("zh-hans"):
        assert d.sentence().startswith("营业额 −¥4,400")


def test_decompose_no_core_members_in_one_period_is_all_core_member_effect():
    before = Metrics(None, gmv_cents=5_000, orders=1, buyers=1)
    after = Metrics(None, gmv_cents=30_000, orders=3, buyers=2, core_members=1, core_orders=2, core_cents=20_000)
    d = decompose(before, after)
    assert (d.core_members_effect, d.repurchases_effect, d.aov_effect) == (Decimal("200.00"), 0, 0)
    assert d.other_effect == Decimal("50.00")


def test_signed_yuan():
    assert yuan(Decimal("-8200"), signed=True, whole=True) == "−¥8,200"
    assert yuan(Decimal("900.5"), signed=True, whole=True) == "+¥900.50"
    assert yuan(Decimal("0"), signed=True, whole=True) == "¥0"
    assert yuan(Decimal("-5220")) == "−¥5,220.00"
    assert yuan(Decimal("14240")) == "¥14,240.00"
    assert yuan(None) == "—"
