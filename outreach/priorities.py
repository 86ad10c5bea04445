"""What a call list is ordered by and what the agent reads about it: each member's stored expected value and
the sentence that explains it. Light on purpose (no numpy, no scipy): the pages and the list builder import
it; the fitting lives in `valuation` and runs in the nightly task.
"""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import ngettext

from core import dates
from core.money import yuan
from members.selectors import pk_in

from .models import CallTask, MemberValue

RECENT_DAYS = 90  # the window of "orders and GMV in the last 90 days" shown to the agent


def reason_for(value, *, today: date | None = None) -> str:
    """The agent's sentence for a MemberValue: "bought 6 times, last 41 days ago, ¥3,200 in 90 days" (in the
    UI's language). Days are counted to today (local), not to the night the value was computed."""
    today = today or dates.local_date(timezone.now())
    count = value.frequency + 1
    return ngettext(
        "bought %(count)s time, last %(days)s days ago, %(gmv)s in %(window)s days",
        "bought %(count)s times, last %(days)s days ago, %(gmv)s in %(window)s days",
        count,
    ) % {
        "count": count,
        "days": max((today - value.last_order_date).days, 0),
        "gmv": yuan(value.recent_gmv, whole=True),
        "window": RECENT_DAYS,
    }


def priorities_for(member_ids) -> dict[int, tuple[Decimal, str]]:
    """Per member id, the stored expected value and the agent's sentence, for a call list being built (one
    query). Members without a stored value (no counting order yet) are absent: they come last, at ¥0."""
    reason_length = CallTask._meta.get_field("priority_reason").max_length
    return {
        v.member_id: (v.expected_value, reason_for(v)[:reason_length])
        for v in MemberValue.objects.filter(pk_in(list(member_ids), "member_id"))
    }
