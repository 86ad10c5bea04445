"""From a summary of the orders to each buyer's expected value: fit both models, predict, and say why.

Expected value in ¥ = expected purchases in the horizon (BG/NBD) × expected spend per purchase day
(Gamma–Gamma), rounded to the cent by core.money.to_money.
"""

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from core.money import CENT, MAX_DIGITS, to_money

from . import expected_value as ev
from .summary import Summary

DEFAULT_HORIZON_DAYS = 56  # 8 weeks
MAX_HORIZON_DAYS = 3650
LARGEST_MONEY = Decimal(10 ** (MAX_DIGITS - 2)) - CENT  # what a MoneyField holds


class ValuationError(ValueError):
    """No expected value can be computed from these orders (none, or nobody bought twice)."""


@dataclass(frozen=True)
class Valuation:
    summary: Summary
    horizon_days: int
    params: ev.BgNbdParams
    spend: ev.GammaGammaParams | None  # None when too few repeat buyers: everyone gets the mean spend
    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend: np.ndarray  # ¥ per purchase day, float

    def expected_value(self, i: int) -> Decimal:
        return min(to_money(float(self.expected_purchases[i] * self.expected_spend[i])), LARGEST_MONEY)

    def ranking(self) -> np.ndarray:
        """Indices of the members, highest expected value first (ties: the smaller member id first)."""
        return np.lexsort((self.summary.member, -(self.expected_purchases * self.expected_spend)))


def value_members(summary: Summary, *, horizon_days: int = DEFAULT_HORIZON_DAYS, penalizer: float = 0.0) -> Valuation:
    if not len(summary):
        raise ValuationError("no counting orders before the calibration end: nothing to fit")
    if not 0 < horizon_days <= MAX_HORIZON_DAYS:
        raise ValuationError(f"the horizon must be between 1 and {MAX_HORIZON_DAYS} days")
    s = summary
    try:
        params = ev.fit_bgnbd(s.frequency, s.recency, s.T, penalizer=penalizer)
    except ev.FitError as exc:
        raise ValuationError(f"cannot fit the purchase model: {exc}") from exc
    monetary = s.monetary_cents / 100
    # The sample's mean spend per purchase day, first days included: the fallback when the spend model
    # cannot be fitted or has no finite mean.
    mean_spend = float(s.spend_cents.sum()) / 100 / float((s.frequency + 1).sum())
    try:
        spend = ev.fit_gamma_gamma(s.frequency, monetary, penalizer=penalizer)
    except ev.FitError:
        spend = None
    if spend is None:
        expected_spend = np.full(len(s), mean_spend)
    else:
        expected_spend = ev.expected_spend(spend, s.frequency, monetary, fallback=mean_spend)
    return Valuation(
        summary=s,
        horizon_days=horizon_days,
        params=params,
        spend=spend,
        p_alive=ev.p_alive(params, s.frequency, s.recency, s.T),
        expected_purchases=ev.expected_purchases(params, float(horizon_days), s.frequency, s.recency, s.T),
        expected_spend=expected_spend,
    )
