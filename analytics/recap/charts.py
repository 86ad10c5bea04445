"""The recap's ECharts options, from the document (plain JSON, drawn by `static/analytics/charts.js`): target
against actual per campaign, the platform's GMV change as the analytics waterfall, the movers, the four rates
against their trailing average. Every chart's numbers are also a table beside it."""

import os
from decimal import Decimal
from types import SimpleNamespace

from django.utils.translation import gettext as _

from core.dates import parse_week, week_name
from core.money import yuan

from .. import charts as analytics_charts
from .present import RATE_LABELS

TARGET, ACTUAL = "#a3b1c6", "#206bc4"


def _d(value) -> Decimal:
    return Decimal(value or 0)


def _f(value) -> float | None:
    return None if value is None else round(float(value), 2)


def period_name(key: str) -> str:
    """A recap period's key as people read it: a week by its days ('11月23日–29日'), a month as it is."""
    try:
        return week_name(parse_week(key))
    except ValueError:
        return key


def short_names(names: list[str]) -> list[str]:
    """Names without the words they all start with (a run's name): 'VIP会员特供日 第1期（11月5日 星期四）' and
    its siblings become '第1期（11月5日 星期四）' …, so the chart's axis labels fit; the table beside it has them
    whole."""
    if len(names) < 2:
        return names
    cut = os.path.commonprefix(names).rfind(" ") + 1
    return [name[cut:] or name for name in names] if cut else names


def targets_chart(doc: dict) -> dict:
    rows = doc["targets"]["campaigns"]
    return analytics_charts._base(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        xAxis={"type": "category", "data": short_names([r["name"] for r in rows])},
        yAxis={"type": "value", "name": _("GMV (¥)"), **analytics_charts.MONEY},
        series=[
            {"name": _("Target"), "type": "bar", "data": [_f(r["target"]) for r in rows],
             "itemStyle": {"color": TARGET}, **analytics_charts.MONEY},
            {"name": _("GMV"), "type": "bar", "itemStyle": {"color": ACTUAL}, **analytics_charts.MONEY,
             "data": [{"value": _f(r["gmv"]), "label": {"show": True, "position": "top",
                                                       "formatter": yuan(r["gmv"], whole=True)}} for r in rows]},
        ],
    )  # fmt: skip


def waterfall_chart(doc: dict) -> dict:
    """The platform's ΔGMV against the previous period, drawn by the analytics waterfall."""
    p = doc["groups"]["platform"]
    decomposition = SimpleNamespace(
        before=SimpleNamespace(gmv=_d(p["previous_gmv"])),
        after=SimpleNamespace(gmv=_d(p["gmv"])),
        core_members_effect=_d(p["core_members_effect"]),
        repurchases_effect=_d(p["repurchases_effect"]),
        aov_effect=_d(p["aov_effect"]),
        other_effect=_d(p["other_effect"]),
    )
    option = analytics_charts.waterfall_chart(
        decomposition,
        before_label=period_name(doc["period"]["previous"]),
        after_label=period_name(doc["period"]["key"]),
    )
    option["xAxis"]["axisLabel"] = {"interval": 0}  # every step named, also in a half-width card
    return option


def movers_chart(doc: dict) -> dict:
    by_code = {g["code"]: g for g in doc["groups"]["groups"]}
    codes = [*doc["groups"]["movers_down"][::-1], *doc["groups"]["movers_up"][::-1]]
    codes = list(dict.fromkeys(codes))
    return analytics_charts._base(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        grid={"left": 140, "right": 48, "top": 24, "bottom": 32},
        legend={"show": False},
        xAxis={"type": "value", "name": _("GMV change (¥)"), **analytics_charts.MONEY},
        yAxis={"type": "category", "data": [by_code[c]["name"] for c in codes]},
        series=[{
            "type": "bar", "name": _("GMV change"), **analytics_charts.MONEY,
            "data": [{"value": _f(by_code[c]["delta"]),
                      "itemStyle": {"color": analytics_charts.UP if _d(by_code[c]["delta"]) > 0
                                    else analytics_charts.DOWN}} for c in codes],
        }],
    )  # fmt: skip


def rates_chart(doc: dict) -> dict:
    block = doc["rates"]["platform"] or {}
    keys = list(RATE_LABELS)

    def pct(value):
        return None if value is None else round(float(value) * 100, 1)

    return analytics_charts._base(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        xAxis={"type": "category", "data": [str(RATE_LABELS[k]) for k in keys]},
        yAxis={"type": "value", "name": "%", "axisLabel": {"formatter": "{value}%"}},
        series=[
            {"name": period_name(doc["period"]["key"]), "type": "bar", "data": [pct(block.get(k)) for k in keys],
             "itemStyle": {"color": ACTUAL}},
            {"name": _("Trailing four periods"), "type": "bar",
             "data": [pct((block.get("baseline") or {}).get(k)) for k in keys], "itemStyle": {"color": TARGET}},
        ],
    )  # fmt: skip


def recap_charts(doc: dict) -> dict[str, dict]:
    return {
        "targets": targets_chart(doc),
        "waterfall": waterfall_chart(doc),
        "movers": movers_chart(doc),
        "rates": rates_chart(doc),
    }
