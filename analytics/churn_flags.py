"""Groups whose churn rate (docs/metrics.md, `rates.WeekTransitions.churn_rate`) rose three weeks running: the
last four complete ISO weeks each churned more than the one before. Shown as a flag on the groups list
(`members.panels.register_group_flags`, in AnalyticsConfig.ready()), and in the recap's "what went wrong" as of
the period's end: one rule for both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import current_week_monday, local_midnight

from .groups import GroupRef
from .rates import transitions_series

RISES = 3  # rises in a row that flag a group: four weekly rates, each above the one before


def churn_series(*, refs: list[GroupRef], now: dt.datetime | None = None) -> dict[int, list[Decimal | None]]:
    """{group id: churn rates of the last RISES + 1 weeks complete at `now`, oldest first}."""
    monday = current_week_monday(now or timezone.now())
    instants = [local_midnight(monday - dt.timedelta(weeks=back)) for back in range(RISES + 1, -1, -1)]
    weeks = transitions_series(instants=instants, groups=refs)
    series: dict[int, list[Decimal | None]] = {ref.id: [] for ref in refs}
    for week in weeks:
        for transitions in week:
            series[transitions.group.id].append(transitions.churn_rate)
    return series


def is_rising(rates: list[Decimal | None]) -> bool:
    """Each rate above the one before; a week without a rate (nobody to churn) breaks the run."""
    if len(rates) < RISES + 1 or any(rate is None for rate in rates):
        return False
    return all(later > earlier for earlier, later in zip(rates, rates[1:], strict=False))


def churn_rising_flags(*, groups, now: dt.datetime | None = None) -> dict:
    """The groups list's flags: {group id: [Flag]} for the groups whose churn rose three weeks running."""
    from members.panels import Flag

    flags = {}
    refs = [GroupRef(group.pk, group.code, group.name, group.capacity) for group in groups]
    for group_id, rates in churn_series(refs=refs, now=now).items():
        if is_rising(rates):
            shown = " → ".join(f"{rate * 100:.0f}%" for rate in rates)
            flags[group_id] = [Flag(label=_("Churn rising 3 weeks"), title=_("Weekly churn rate: %(rates)s") % {
                "rates": shown
            })]  # fmt: skip
    return flags
