"""The recap document of a period: every number read from the service that computes it (analytics metrics,
decomposition, grades, rates and segments; outreach call numbers; campaigns' live numbers and period
numbers), never recomputed here. One function per section; `build_recap` puts them together.

The document is plain JSON (it is kept as a snapshot, `analytics.models.Recap`): money is a string with two
decimals, ratios a string with four, counts integers, and None (shown "—") where a denominator is empty or
a source is not tracked yet. Labels are keys, translated where the document is rendered.
"""

from collections import Counter
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns import period_numbers
from campaigns.selectors import campaign_live
from core.dates import local_midnight
from core.money import format_money, to_money
from core.users import user_display_name
from outreach.models import Response
from outreach.stats import call_numbers

from .. import store
from ..churn_flags import churn_series, is_rising
from ..decomposition import compare_periods
from ..grades import group_grades
from ..groups import group_refs
from ..models import LEFT
from ..rates import WeekTransitions, transitions_series
from ..segments import SEGMENT_CODES, segments_at, zero_counts
from ..sources import to_us
from . import sources
from .periods import WEEK, RecapPeriod

DOCUMENT_VERSION = 1
TRAILING_PERIODS = 4
TOP_MOVERS = 5
RATIO_PLACES = Decimal("0.0001")
RATE_KEYS = ["new_add_rate", "conversion_rate", "churn_rate", "reactivation_rate"]


def money(value: Decimal | None) -> str | None:
    return None if value is None else format_money(value)


def ratio(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP))


def _share(part, whole) -> Decimal | None:
    return None if not whole else Decimal(part) / Decimal(whole)


def _as_of(period: RecapPeriod, now: datetime) -> datetime:
    """The instant the period is read at: its end, or now while it is still running."""
    return min(period.bounds[1], now)


# --- target vs actual ----------------------------------------------------------------------------------


def _campaign_rows(start: datetime, end: datetime, now: datetime) -> list[dict]:
    rows = []
    for campaign in period_numbers.campaigns_in(start=start, end=end):
        live = campaign_live(campaign=campaign, now=min(end, now))
        rows.append(
            {
                "id": campaign.pk,
                "code": campaign.code,
                "name": campaign.name,
                "starts_at": timezone.localtime(campaign.starts_at).isoformat(),
                "ends_at": timezone.localtime(campaign.ends_at).isoformat(),
                "status": campaign.status,
                "target": money(live["target"]),
                "gmv": money(live["gmv"]),
                "orders": live["orders"],
                "buyers": live["buyers"],
                "expected_so_far": money(live["expected_so_far"]),
                "attainment": ratio(_share(live["gmv"], live["target"])),
                "pace": ratio(_share(live["gmv"], live["expected_so_far"])),
                # Items that reached their supplier cap by then: sold out before the campaign's end.
                "sold_out": [
                    {"product": item.item.product.name, "sold": item.sold, "cap": item.cap}
                    for item in live["items"]
                    if item.cap and item.sold >= item.cap
                ],
            }
        )
    return rows


def _totals(rows: list[dict]) -> dict:
    target = sum((Decimal(r["target"]) for r in rows), Decimal(0))
    gmv = sum((Decimal(r["gmv"]) for r in rows), Decimal(0))
    expected = sum((Decimal(r["expected_so_far"]) for r in rows), Decimal(0))
    return {
        "campaigns": len(rows),
        "target": money(target),
        "gmv": money(gmv),
        "expected_so_far": money(expected),
        "attainment": ratio(_share(gmv, target)),
        "pace": ratio(_share(gmv, expected)),
    }


def targets_section(period: RecapPeriod, now: datetime) -> dict:
    """Each committed campaign of the period with its GMV against target and pace as of the period's end
    (`campaigns.selectors.campaign_live`), their total, and the month to date."""
    start, end = period.bounds
    rows = _campaign_rows(start, end, now)
    mtd_start, mtd_end = period.month_to_date()
    mtd_rows = _campaign_rows(local_midnight(mtd_start), local_midnight(mtd_end), now)
    return {
        "campaigns": rows,
        "total": _totals(rows),
        "month_to_date": {"start": mtd_start.isoformat(), "end": mtd_end.isoformat(), **_totals(mtd_rows)},
    }


# --- groups: GMV, its factors, why it moved, grades ---------------------------------------------------


def _metrics_row(m) -> dict:
    return {
        "gmv": money(m.gmv),
        "orders": m.orders,
        "buyers": m.buyers,
        "core_members": m.core_members,
        "repurchases": ratio(m.repurchases),
        "aov": money(None if m.aov is None else to_money(m.aov)),
        "core_gmv": money(m.core_gmv),
        "other_gmv": money(m.other_gmv),
    }


def _decomposition_row(d) -> dict:
    return {
        "previous_gmv": money(d.before.gmv),
        "delta": money(d.delta),
        "core_members_effect": money(d.core_members_effect),
        "repurchases_effect": money(d.repurchases_effect),
        "aov_effect": money(d.aov_effect),
        "other_effect": money(d.other_effect),
        "sentence": d.sentence(),
        "factors": d.factors_sentence(),
    }


def groups_section(period: RecapPeriod, now: datetime) -> dict:
    """Per group and for the platform: the period's metrics (`metrics.period_metrics`), the change against the
    previous period decomposed (`decomposition.compare_periods`), the grade at the period's end and at its
    start (`grades.group_grades`); the top movers up and down by ΔGMV."""
    comparison = compare_periods(before=period.previous().bounds, after=period.bounds)
    start = period.bounds[0]
    grades_now = group_grades(at=_as_of(period, now))
    grades_before = group_grades(at=min(start, now))
    rows = []
    for d in comparison.groups:
        ref = d.after.group
        rows.append(
            {
                "code": ref.code,
                "name": ref.name,
                **_metrics_row(d.after),
                **_decomposition_row(d),
                "grade": grades_now.get(ref.id),
                "previous_grade": grades_before.get(ref.id),
            }
        )
    moved = [r for r in rows if Decimal(r["delta"]) != 0]
    up = sorted((r for r in moved if Decimal(r["delta"]) > 0), key=lambda r: (-Decimal(r["delta"]), r["code"]))
    down = sorted((r for r in moved if Decimal(r["delta"]) < 0), key=lambda r: (Decimal(r["delta"]), r["code"]))
    grade_counts = Counter(grades_now.values())
    return {
        "platform": {**_metrics_row(comparison.platform.after), **_decomposition_row(comparison.platform)},
        "groups": rows,
        "movers_up": [r["code"] for r in up[:TOP_MOVERS]],
        "movers_down": [r["code"] for r in down[:TOP_MOVERS]],
        "grade_counts": {g: grade_counts.get(g, 0) for g in "ABCD"},
    }


# --- the four rates, transitions, segments ------------------------------------------------------------


def _pooled(transitions: list[WeekTransitions]) -> WeekTransitions:
    """Several transition matrices added up (groups, or periods), read by the same rate definitions."""
    first = transitions[0]
    matrix = {a: dict.fromkeys(first.transitions[a], 0) for a in first.transitions}
    start, end = zero_counts(), zero_counts()
    for t in transitions:
        for a, row in t.transitions.items():
            for b, n in row.items():
                matrix[a][b] += n
        for s in SEGMENT_CODES:
            start[s] += t.start_counts[s]
            end[s] += t.end_counts[s]
    return WeekTransitions(
        group=first.group, start=first.start, end=transitions[-1].end, start_counts=start, end_counts=end,
        transitions=matrix,
    )  # fmt: skip


def _rates_row(current: WeekTransitions, trailing: list[WeekTransitions]) -> dict:
    baseline = _pooled(trailing).rates() if trailing else dict.fromkeys(RATE_KEYS)
    return {
        **{key: ratio(value) for key, value in current.rates().items()},
        "baseline": {key: ratio(value) for key, value in baseline.items()},
        "transitions": {a: {b: current.transitions[a][b] for b in [*SEGMENT_CODES, LEFT]} for a in SEGMENT_CODES},
        "start_counts": dict(current.start_counts),
        "end_counts": dict(current.end_counts),
    }


def rates_section(period: RecapPeriod) -> dict:
    """The four rates of the period per group and for the platform (`rates.transitions_series`, the same
    definitions as the weekly rates page), against the pooled transitions of the trailing four periods of the
    same kind; the segment counts at the period's end."""
    refs = group_refs()
    periods = [*period.trailing(TRAILING_PERIODS), period]
    instants = [local_midnight(p.start) for p in periods] + [period.bounds[1]]
    series = transitions_series(instants=instants, groups=refs) if refs else []
    groups = []
    for i, ref in enumerate(refs):
        per_period = [step[i] for step in series]
        groups.append({"code": ref.code, "name": ref.name, **_rates_row(per_period[-1], per_period[:-1])})
    platform = None
    if refs:
        pooled_steps = [_pooled(step) for step in series]
        platform = _rates_row(pooled_steps[-1], pooled_steps[:-1])
    return {"groups": groups, "platform": platform, "trailing": [p.key for p in periods[:-1]]}


# --- the six systems' numbers ---------------------------------------------------------------------------


def _system(key: str, value, numerator=None, denominator=None, unit: str = "ratio", note: str = "") -> dict:
    return {
        "key": key, "value": value, "numerator": numerator, "denominator": denominator, "unit": unit,
        "tracked": True, "note": note,
    }  # fmt: skip


def _not_tracked(key: str, unit: str = "ratio") -> dict:
    return {**_system(key, None, unit=unit), "tracked": False}


def _active_members(period: RecapPeriod) -> tuple[int, int]:
    """(members who bought or answered a questionnaire in the period, members in any group at its end)."""
    start, end = period.bounds
    f = store.facts()
    sl = f.slice(to_us(start), to_us(end))
    buyers = set(np.unique(f.member[sl]).tolist())
    answered = set(
        Response.objects.filter(submitted_at__gte=start, submitted_at__lt=end).values_list("member_id", flat=True)
    )
    visitors = sources.landing_page_visitors(period) or set()
    members = set(segments_at(at=end).member_ids.tolist())
    return len((buyers | answered | visitors) & members), len(members)


def systems_section(period: RecapPeriod, groups: dict, rates: dict, targets: dict) -> list[dict]:
    """Invitation conversion and join rate (`outreach.stats.call_numbers`), activity, buyer conversion (the
    platform's new-add rate), repurchase rate (core members ÷ buyers of the platform row), fission,
    replication success, red-packet spend and GMV per yuan of it, coupon redemption, the landing-page funnel."""
    start, end = period.bounds
    calls = call_numbers(start=start, end=end)
    active, members = _active_members(period)
    platform = groups["platform"]
    potential = rates["platform"]["transitions"]["potential"] if rates["platform"] else {}
    spend = period_numbers.red_packet_spend(start=start, end=end)
    gmv = Decimal(platform["gmv"])
    coupons = period_numbers.coupon_redemption(start=start, end=end)
    copied = period_numbers.copied_playbook_groups(start=start, end=end)
    reached = {c["id"] for c in targets["campaigns"] if c["attainment"] is not None and Decimal(c["attainment"]) >= 1}
    copied_groups = sum(len(g) for g in copied.values())
    copied_reached = sum(len(g) for cid, g in copied.items() if cid in reached)
    landing = sources.landing_page_funnel(period)
    activity_note = "" if sources.landing_page_visitors(period) is not None else "landing_not_tracked"
    return [
        _system("invitation_conversion", ratio(calls.conversion), calls.accepted, calls.called),
        _system("join_rate", ratio(calls.join_rate), calls.joined, calls.accepted),
        _system("activity", ratio(_share(active, members)), active, members, note=activity_note),
        _system(
            "buyer_conversion",
            rates["platform"]["new_add_rate"] if rates["platform"] else None,
            (potential.get("new", 0) + potential.get("core", 0)) if potential else None,
            sum(potential.values()) if potential else None,
        ),
        _system(
            "repurchase_rate",
            ratio(_share(platform["core_members"], platform["buyers"])),
            platform["core_members"],
            platform["buyers"],
        ),  # fmt: skip
        sources.fission_multiplier(period) or _not_tracked("fission_multiplier", unit="multiple"),
        _system("replication_success", ratio(_share(copied_reached, copied_groups)), copied_reached, copied_groups),
        _system("red_packet_spend", money(spend), unit="money"),
        _system("gmv_per_red_packet_yuan", ratio(_share(gmv, spend)), money(gmv), money(spend), unit="multiple"),
        _system("coupon_redemption", ratio(coupons.rate), coupons.redeemed, coupons.issued),
        landing or _not_tracked("landing_funnel", unit="count"),
    ]


# --- what went wrong -----------------------------------------------------------------------------------


def problems_section(period: RecapPeriod, rates: dict, targets: dict, now: datetime) -> dict:
    """Reminders late or missed by operator (`campaigns.period_numbers.reminder_slips`), items that reached
    their supplier cap (read with the campaigns' live numbers in `targets_section`), groups whose churn rose
    above their trailing average, and the sources not tracked yet."""
    start, end = period.bounds
    slips = period_numbers.reminder_slips(start=start, end=end, now=now)
    people = set(slips.total) - {None}
    users = get_user_model().objects.in_bulk(people)
    reminders = [
        {
            "operator": user_display_name(users[uid]) if uid in users else None,
            "user_id": uid,
            "total": slips.total[uid],
            "late": slips.late[uid],
            "missed": slips.missed[uid],
        }
        for uid in sorted(slips.total, key=lambda u: (-(slips.late[u] + slips.missed[u]), u or 0))
        if slips.late[uid] or slips.missed[uid]
    ]
    sold_out = [
        {"campaign_id": row["id"], "campaign": row["name"], **item}
        for row in targets["campaigns"]
        for item in row["sold_out"]
    ]
    # The groups list's rule (analytics/churn_flags.py): weekly churn rose three weeks running, as of the end.
    rising = []
    refs = {ref.id: ref for ref in group_refs()}
    for group_id, weekly in churn_series(refs=list(refs.values()), now=end).items():
        if is_rising(weekly):
            ref = refs[group_id]
            rising.append({"code": ref.code, "name": ref.name, "weekly": [ratio(rate) for rate in weekly]})
    return {
        "reminders": reminders,
        "sold_out": sold_out,
        "rising_churn": rising,
        "live_codes_full": sources.live_codes_out_of_room(period),
        "landing_errors": sources.landing_page_errors(period),
    }


# --- the document --------------------------------------------------------------------------------------


def build_recap(period: RecapPeriod, *, now: datetime | None = None) -> dict:
    """The whole recap of `period`, as JSON-ready data (see the module's docstring)."""
    now = now or timezone.now()
    targets = targets_section(period, now)
    groups = groups_section(period, now)
    rates = rates_section(period)
    return {
        "version": DOCUMENT_VERSION,
        "period": {
            "key": period.key,
            "kind": period.kind,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period.label,
            "previous": period.previous().key,
            "complete": period.is_complete(now),
        },
        "generated_at": timezone.localtime(now).isoformat(),
        "targets": targets,
        "groups": groups,
        "rates": rates,
        "systems": systems_section(period, groups, rates, targets),
        "problems": problems_section(period, rates, targets, now),
        "weekly": period.kind == WEEK,
    }
