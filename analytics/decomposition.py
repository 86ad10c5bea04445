"""Why GMV moved (docs/metrics.md): ΔGMV = core-member effect + repurchase effect + AOV effect +
one-time-buyer effect, exactly, with LMDI-I weights on core GMV = C × R × A."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.money import DASH, MINUS, cents_to_money, yuan

from .metrics import Metrics, PeriodMetrics, period_metrics


def _lmdi_weight(x: float, y: float) -> float:
    """L(x, y) = (x - y) / (ln x - ln y), L(x, x) = x."""
    if x == y:
        return x
    return (x - y) / (math.log(x) - math.log(y))


def _round_cents(value: float) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Decomposition:
    """ΔGMV = core-member effect + repurchase effect + AOV effect + one-time-buyer effect, exactly."""

    before: Metrics
    after: Metrics
    core_members_cents: int
    repurchases_cents: int
    aov_cents: int
    other_cents: int

    @property
    def delta_cents(self) -> int:
        return self.after.gmv_cents - self.before.gmv_cents

    @property
    def delta(self) -> Decimal:
        return cents_to_money(self.delta_cents)

    @property
    def core_members_effect(self) -> Decimal:
        return cents_to_money(self.core_members_cents)

    @property
    def repurchases_effect(self) -> Decimal:
        return cents_to_money(self.repurchases_cents)

    @property
    def aov_effect(self) -> Decimal:
        return cents_to_money(self.aov_cents)

    @property
    def other_effect(self) -> Decimal:
        return cents_to_money(self.other_cents)

    def effects(self) -> list[tuple[str, Decimal]]:
        return [
            ("core_members", self.core_members_effect),
            ("repurchases", self.repurchases_effect),
            ("aov", self.aov_effect),
            ("other", self.other_effect),
        ]

    def sentence(self) -> str:
        """The manager's line: "GMV −¥8,200: core members −¥5,100, repurchases +¥900, AOV −¥4,000, one-time
        buyers −¥0"."""
        return _("GMV %(delta)s: core members %(c)s, repurchases %(r)s, AOV %(a)s, one-time buyers %(o)s") % {
            "delta": _signed(self.delta),
            "c": _signed(self.core_members_effect),
            "r": _signed(self.repurchases_effect),
            "a": _signed(self.aov_effect),
            "o": _signed(self.other_effect),
        }

    def factors_sentence(self) -> str:
        """The three factors' own changes, as a manager says why a group moved: "core members −12, repurchases
        +0.30, AOV −¥18" (the repurchases and AOV changes are "—" when either period has no core members)."""
        before, after = self.before, self.after
        r = None if before.repurchases is None or after.repurchases is None else after.repurchases - before.repurchases
        a = None if before.aov is None or after.aov is None else after.aov - before.aov
        return _("core members %(c)s, repurchases %(r)s, AOV %(a)s") % {
            "c": _signed_number(after.core_members - before.core_members, 0),
            "r": _signed_number(r, 2),
            "a": DASH if a is None else yuan(a.quantize(Decimal(1), rounding=ROUND_HALF_UP), signed=True, whole=True),
        }


def decompose(before: Metrics, after: Metrics) -> Decomposition:
    """Split the change in GMV between two periods into the C, R and A effects (LMDI-I on core GMV = C×R×A)
    plus the change in other GMV. Each effect is rounded to the cent and the rounding residue goes to the
    largest of the three, so they sum exactly to the change in core GMV. Where either period has no core
    members (or its core GMV is zero, so a factor is zero and has no logarithm), the whole change in core
    GMV is the core-member effect."""
    v0, v1 = before.core_cents, after.core_cents
    dv = v1 - v0
    if not (before.core_members and after.core_members and v0 > 0 and v1 > 0):
        c_eff, r_eff, a_eff = dv, 0, 0
    else:
        w = _lmdi_weight(float(v1), float(v0))
        raw = [
            w * math.log(after.core_members / before.core_members),
            w * (math.log(after.core_orders / after.core_members) - math.log(before.core_orders / before.core_members)),
            w * (math.log(v1 / after.core_orders) - math.log(v0 / before.core_orders)),
        ]
        rounded = [_round_cents(x) for x in raw]
        residue = dv - sum(rounded)
        if residue:
            largest = max(range(3), key=lambda i: abs(raw[i]))
            rounded[largest] += residue
        c_eff, r_eff, a_eff = rounded
    return Decomposition(
        before=before,
        after=after,
        core_members_cents=c_eff,
        repurchases_cents=r_eff,
        aov_cents=a_eff,
        other_cents=after.other_cents - before.other_cents,
    )


@dataclass(frozen=True)
class PeriodComparison:
    before: PeriodMetrics
    after: PeriodMetrics
    groups: list[Decomposition]
    platform: Decomposition


def compare_periods(
    *,
    before: tuple[datetime, datetime],
    after: tuple[datetime, datetime],
    codes: Iterable[str] | None = None,
    using: str = "default",
) -> PeriodComparison:
    """The decomposition of ΔGMV from period `before` to period `after`, per group and for the platform."""
    codes = None if codes is None else list(codes)
    m0 = period_metrics(start=before[0], end=before[1], codes=codes, using=using)
    m1 = period_metrics(start=after[0], end=after[1], codes=codes, using=using)
    rows = [decompose(a, b) for a, b in zip(m0.groups, m1.groups, strict=True)]
    return PeriodComparison(before=m0, after=m1, groups=rows, platform=decompose(m0.platform, m1.platform))


def _signed(value: Decimal) -> str:
    return yuan(value, signed=True, whole=True)


def _signed_number(value, places: int) -> str:
    """'+3', '−12', '+0.30', '0'; '—' for None."""
    if value is None:
        return DASH
    value = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if value == 0:
        return f"{abs(value):.{places}f}"
    return f"{'+' if value > 0 else MINUS}{abs(value):,.{places}f}"
