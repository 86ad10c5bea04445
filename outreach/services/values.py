"""The nightly refresh of every buyer's expected value (outreach.valuation), stored as MemberValue rows."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from core import dates
from core.money import cents_to_money

from ..models import MemberValue
from ..summary import member_summary
from ..valuation import DEFAULT_HORIZON_DAYS, Valuation, value_members

BATCH = 2000


def default_calibration_end() -> date:
    """Yesterday, local: the last whole day of orders when the refresh runs at night."""
    return dates.local_date(timezone.now()) - timedelta(days=1)


def refresh_member_values(*, calibration_end: date | None = None, horizon_days: int = DEFAULT_HORIZON_DAYS) -> dict:
    """Fit the models on the counting orders up to the end of local day `calibration_end` (default: yesterday)
    and replace every MemberValue row with the new values, in one transaction: readers see the old values
    or the new, never a mix. Raises valuation.ValuationError when there is nothing to fit (rows untouched)."""
    end = calibration_end or default_calibration_end()
    valuation = value_members(member_summary(end), horizon_days=horizon_days)
    store_valuation(valuation)
    return {
        "calibration_end": end.isoformat(),
        "horizon_days": horizon_days,
        "members": len(valuation.summary),
        "params": valuation.params.as_dict(),
        "spend": valuation.spend.as_dict() if valuation.spend else None,
    }


@transaction.atomic
def store_valuation(valuation: Valuation) -> int:
    """Replace all MemberValue rows with this valuation's, in bulk."""
    s = valuation.summary
    now = timezone.now()
    rows = [
        MemberValue(
            member_id=int(s.member[i]),
            p_alive=float(valuation.p_alive[i]),
            expected_purchases=float(valuation.expected_purchases[i]),
            horizon_days=valuation.horizon_days,
            expected_value=valuation.expected_value(i),
            frequency=int(s.frequency[i]),
            recency_days=int(s.recency[i]),
            t_days=int(s.T[i]),
            recent_orders=int(s.recent_orders[i]),
            recent_gmv=cents_to_money(int(s.recent_cents[i])),
            last_order_date=s.last_order_day(i),
            calibration_end=s.end_day,
            computed_at=now,
        )
        for i in range(len(s))
    ]
    MemberValue.objects.all().delete()
    MemberValue.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
