"""The stable `metrics` and `rates` documents (docs/commands.md): one code path behind the
management commands and the API.

Shapes, exactly:
- metrics: {"start": ISO date, "end": ISO date, "groups": [ROW, ...], "platform": ROW}, a ROW being
  {"group", "gmv", "orders", "buyers", "core_members", "repurchases", "aov", "core_gmv", "other_gmv"}.
- rates: {"week": "YYYY-Www", "start": ISO date, "end": ISO date, "groups": [{"group", "start", "end",
  "transitions", "new_add_rate", "conversion_rate", "churn_rate", "reactivation_rate"}, ...]}.
Money is a string with two decimals, counts are integers, ratios (repurchases, AOV, the rates) are numbers
— repurchases and the rates to 4 places, AOV to the cent — or null where the denominator is empty.
Dates are local days; `end` is exclusive (a week's end is the next Monday).
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.dates import local_midnight, parse_week, week_label
from core.money import format_money

from . import groups, metrics, rates
from .metrics import METRIC_LABELS
from .models import TRANSITION_TARGETS, Segment

RATE_KEYS = ["new_add_rate", "conversion_rate", "churn_rate", "reactivation_rate"]


class ReportError(ValueError):
    """A request the report cannot answer; `status` says how (400 bad input, 404 unknown group)."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def _number(value: Decimal | None, places: int) -> float | None:
    if value is None:
        return None
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def metric_row(m: metrics.Metrics) -> dict:
    return {
        "group": None if m.group is None else m.group.code,
        "gmv": format_money(m.gmv),
        "orders": m.orders,
        "buyers": m.buyers,
        "core_members": m.core_members,
        "repurchases": _number(m.repurchases, 4),
        "aov": _number(m.aov, 2),
        "core_gmv": format_money(m.core_gmv),
        "other_gmv": format_money(m.other_gmv),
    }


def _check_group(code: str | None) -> list[str] | None:
    if code is None or code == "":
        return None
    if not any(ref.code == code for ref in groups.group_refs()):
        raise ReportError(_("No group with code %(code)s.") % {"code": code}, status=404)
    return [code]


@dataclass(frozen=True)
class MetricsRequest:
    start: date
    end: date
    group: str | None = None


def metrics_document(req: MetricsRequest) -> dict:
    """The `metrics` document for local days [start, end), every group or one."""
    if req.end <= req.start:
        raise ReportError(_("The end date must be after the start date (the end is exclusive)."))
    codes = _check_group(req.group)
    pm = metrics.period_metrics(start=local_midnight(req.start), end=local_midnight(req.end), codes=codes)
    return {
        "start": req.start.isoformat(),
        "end": req.end.isoformat(),
        "groups": [metric_row(m) for m in pm.groups],
        "platform": metric_row(pm.platform),
    }


@dataclass(frozen=True)
class RatesRequest:
    week: str
    group: str | None = None


def rates_row(wt: rates.WeekTransitions) -> dict:
    row = {
        "group": wt.group.code,
        "start": dict(wt.start_counts),
        "end": dict(wt.end_counts),
        "transitions": {a: {b: wt.transitions[a][b] for b in TRANSITION_TARGETS} for a in Segment.values},
    }
    row.update({key: _number(value, 4) for key, value in wt.rates().items()})
    return row


def rates_document(req: RatesRequest) -> dict:
    """The `rates` document for an ISO week: snapshots at its start and end, transitions and the four rates."""
    try:
        monday = parse_week(req.week)
    except ValueError as exc:
        raise ReportError(_("%(week)s is not an ISO week such as 2026-W02.") % {"week": req.week}) from exc
    codes = _check_group(req.group)
    return {
        "week": week_label(monday),
        "start": monday.isoformat(),
        "end": (monday + timedelta(days=7)).isoformat(),
        "groups": [rates_row(wt) for wt in rates.week_transitions(monday=monday, codes=codes)],
    }


# --- tables for people ---------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(headers: list[str], rows: list[list[str]], *, align_left: int = 1) -> str:
    widths = [max(_width(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]

    def fmt(cells):
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(str(cell)))
            out.append(f"{cell}{pad}" if i < align_left else f"{pad}{cell}")
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows)])


def _dash(value) -> str:
    return "—" if value is None else str(value)


def metrics_table(doc: dict) -> str:
    keys = list(METRIC_LABELS)
    headers = [_("Group"), *(str(label) for label in METRIC_LABELS.values())]
    rows = [[r["group"], *(_dash(r[k]) for k in keys)] for r in doc["groups"]]
    rows.append([_("Platform"), *(_dash(doc["platform"][k]) for k in keys)])
    title = _("Metrics %(start)s – %(end)s (end exclusive)") % {"start": doc["start"], "end": doc["end"]}
    return f"{title}\n{_table(headers, rows)}"


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def rates_table(doc: dict) -> str:
    labels = {s.value: str(s.label) for s in Segment}
    labels["left"] = _("Left the group")
    headers = [
        _("Group"),
        *(f"{labels[s]}→" for s in Segment.values),
        *(f"→{labels[s]}" for s in Segment.values),
        _("New-add rate"),
        _("Conversion rate"),
        _("Churn rate"),
        _("Reactivation rate"),
    ]
    rows = [
        [
            r["group"],
            *(str(r["start"][s]) for s in Segment.values),
            *(str(r["end"][s]) for s in Segment.values),
            *(_percent(r[k]) for k in RATE_KEYS),
        ]
        for r in doc["groups"]
    ]
    title = _("Week %(week)s (%(start)s – %(end)s): members at the start → at the end, and the four rates") % doc
    parts = [title, _table(headers, rows)]
    for r in doc["groups"]:
        matrix_headers = [r["group"], *(labels[t] for t in TRANSITION_TARGETS)]
        matrix_rows = [[labels[a], *(str(r["transitions"][a][t]) for t in TRANSITION_TARGETS)] for a in Segment.values]
        parts.append(_table(matrix_headers, matrix_rows))
    return "\n\n".join(parts)
