"""ECharts options for the analytics pages, built on the server as plain JSON (no functions, so no inline
script: `static/analytics/charts.js` only hands them to ECharts). Every chart's numbers are also rendered as
a table beside it by the templates."""

from decimal import Decimal

from django.utils.translation import gettext as _

from core.money import yuan

from .models import Segment

FONT = '"Noto Sans SC", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'
SEGMENT_COLORS = {"potential": "#a3b1c6", "new": "#5eba7d", "core": "#206bc4", "dormant": "#f59f00"}
UP, DOWN, TOTAL = "#2fb344", "#d63939", "#206bc4"


# A money axis or series: static/analytics/charts.js writes its labels and tooltips with the browser's copy of
# core.money.yuan ('¥5,000', '−¥8,005.44'); an ECharts label template with the sign glued to {value} would
# print '¥-5,220'.
MONEY = {"coMoney": True}


def _num(value, places: int = 2):
    if value is None:
        return None
    return round(float(value), places)


def _base(**extra) -> dict:
    option = {
        "textStyle": {"fontFamily": FONT},
        "animation": False,  # charts are read, not watched; also keeps screenshots deterministic
        "grid": {"left": 64, "right": 64, "top": 48, "bottom": 40, "containLabel": False},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
    }
    option.update(extra)
    return option


def gmv_chart(labels: list[str], metrics: list) -> dict:
    """Weekly GMV as stacked bars: core members' GMV and one-time buyers' GMV."""
    return _base(
        xAxis={"type": "category", "data": labels},
        yAxis={"type": "value", "name": _("GMV (¥)"), **MONEY},
        series=[
            {"name": _("Core GMV"), "type": "bar", "stack": "gmv", "data": [_num(m.core_gmv) for m in metrics],
             "itemStyle": {"color": SEGMENT_COLORS["core"]}, **MONEY},
            {"name": _("Other GMV"), "type": "bar", "stack": "gmv", "data": [_num(m.other_gmv) for m in metrics],
             "itemStyle": {"color": SEGMENT_COLORS["potential"]}, **MONEY},
        ],
    )  # fmt: skip


def factors_chart(labels: list[str], metrics: list) -> dict:
    """The three factors of core GMV, each on its own axis: core members, repurchases, AOV."""
    option = _base(
        xAxis={"type": "category", "data": labels},
        yAxis=[
            {"type": "value", "name": _("Core members (in the week)"), "position": "left", "minInterval": 1},
            {"type": "value", "name": _("Repurchases"), "position": "right",
             "nameTextStyle": {"align": "right"}},
            {"type": "value", "name": _("AOV (¥)"), "position": "right", "offset": 56,
             "nameTextStyle": {"align": "left"}, **MONEY},
        ],
        series=[
            {"name": _("Core members (in the week)"), "type": "line", "yAxisIndex": 0,
             "data": [m.core_members for m in metrics], "itemStyle": {"color": SEGMENT_COLORS["core"]}},
            {"name": _("Repurchases"), "type": "line", "yAxisIndex": 1, "data": [_num(m.repurchases) for m in metrics],
             "itemStyle": {"color": "#ae3ec9"}},
            {"name": _("AOV"), "type": "line", "yAxisIndex": 2, "data": [_num(m.aov) for m in metrics],
             "itemStyle": {"color": "#f76707"}, **MONEY},
        ],
    )  # fmt: skip
    option["grid"]["right"] = 120
    return option


def segment_mix_chart(labels: list[str], counts: list[dict[str, int]]) -> dict:
    """Members by segment at each instant, stacked."""
    return _base(
        xAxis={"type": "category", "data": labels, "boundaryGap": False},
        yAxis={"type": "value", "name": _("Members"), "minInterval": 1},
        series=[
            {
                "name": str(segment.label),
                "type": "line",
                "stack": "members",
                "areaStyle": {},
                "symbol": "none",
                "data": [c[segment.value] for c in counts],
                "itemStyle": {"color": SEGMENT_COLORS[segment.value]},
            }
            for segment in Segment
        ],
    )


def rates_chart(labels: list[str], rates: list[dict[str, Decimal | None]]) -> dict:
    """The four weekly rates in percent; a week with an empty denominator leaves a gap."""
    names = {
        "new_add_rate": _("New-add rate"),
        "conversion_rate": _("Conversion rate"),
        "churn_rate": _("Churn rate"),
        "reactivation_rate": _("Reactivation rate"),
    }
    colors = {"new_add_rate": "#5eba7d", "conversion_rate": "#206bc4", "churn_rate": "#d63939",
              "reactivation_rate": "#f59f00"}  # fmt: skip
    return _base(
        xAxis={"type": "category", "data": labels},
        yAxis={"type": "value", "name": "%", "axisLabel": {"formatter": "{value}%"}},
        series=[
            {
                "name": names[key],
                "type": "line",
                "connectNulls": False,
                "data": [None if r[key] is None else _num(r[key] * 100, 1) for r in rates],
                "itemStyle": {"color": colors[key]},
            }
            for key in names
        ],
    )


def forecast_chart(actual_labels: list[str], actual: list[int], projected: list[tuple[str, float]]) -> dict:
    """Core members: actual at each week start, then the projection as a dashed line."""
    labels = actual_labels + [label for label, _v in projected]
    pad = [None] * (len(actual) - 1)
    return _base(
        xAxis={"type": "category", "data": labels},
        yAxis={"type": "value", "name": _("Core segment"), "minInterval": 1},
        series=[
            {"name": _("Actual"), "type": "line", "data": actual + [None] * len(projected),
             "itemStyle": {"color": SEGMENT_COLORS["core"]}},
            {"name": _("Forecast"), "type": "line", "data": pad + [actual[-1] if actual else None]
             + [_num(v, 1) for _label, v in projected], "lineStyle": {"type": "dashed"},
             "itemStyle": {"color": "#ae3ec9"}},
        ],
    )  # fmt: skip


def waterfall_chart(decomposition, *, before_label: str, after_label: str) -> dict:
    """GMV before, the four effects as floating bars, GMV after."""
    steps = [
        (_("Core members"), decomposition.core_members_effect),
        (_("Repurchases"), decomposition.repurchases_effect),
        (_("AOV"), decomposition.aov_effect),
        (_("One-time buyers"), decomposition.other_effect),
    ]
    before, after = decomposition.before.gmv, decomposition.after.gmv
    labels = [before_label, *(name for name, _v in steps), after_label]
    base, rise, fall = [0.0], [_num(before)], [0.0]
    level = before
    colors = [TOTAL]
    for _name, value in steps:
        low = min(level, level + value)
        base.append(_num(low))
        rise.append(_num(value) if value > 0 else 0.0)
        fall.append(_num(-value) if value < 0 else 0.0)
        level += value
    base.append(0.0)
    rise.append(_num(after))
    fall.append(0.0)
    colors.append(TOTAL)
    return _base(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        xAxis={"type": "category", "data": labels},
        yAxis={"type": "value", "name": _("GMV (¥)"), **MONEY,
               "min": _waterfall_floor([b for b in base[1:-1]] + [_num(before), _num(after)],
                                       [b + r + f for b, r, f in zip(base, rise, fall, strict=True)])},
        legend={"show": False},
        series=[
            {"name": "base", "type": "bar", "stack": "w", "data": base, "silent": True,
             "itemStyle": {"color": "transparent"}, "tooltip": {"show": False}},
            {"name": _("Increase"), "type": "bar", "stack": "w", **MONEY,
             "data": [{"value": v, "itemStyle": {"color": TOTAL if i in (0, len(labels) - 1) else UP},
                       "label": {"show": bool(v) or i in (0, len(labels) - 1), "formatter": _label(v, i, labels)}}
                      for i, v in enumerate(rise)],
             "label": {"position": "top"}},
            {"name": _("Decrease"), "type": "bar", "stack": "w", "itemStyle": {"color": DOWN}, **MONEY,
             "data": [{"value": v, "label": {"show": bool(v), "formatter": yuan(-Decimal(str(v)))}} for v in fall],
             "label": {"position": "bottom"}},
        ],
    )  # fmt: skip


def _waterfall_floor(lows: list[float], highs: list[float]) -> float:
    """Where the waterfall's axis starts: at 0, unless every bar stands high above it; then a round number
    below the lowest level, so effects of a few percent are visible (the bars are labelled with their values)."""
    low, high = min(lows), max(highs)
    if high <= 0 or low < 0.5 * high:
        return 0
    floor = max(low - 0.6 * (high - low), 0)
    if floor <= 0:
        return 0
    magnitude = 10 ** (len(str(int(floor))) - 1)
    return float(int(floor // magnitude) * magnitude)


def _label(value: float, index: int, labels: list) -> str:
    """A bar's label as literal text (ECharts would print 48938.98): totals plain, increases with '+'."""
    return yuan(Decimal(str(value)), signed=index not in (0, len(labels) - 1))


def grades_chart(labels: list[str], grades: list[dict[str, int]]) -> dict:
    """Groups by grade at each week's end, stacked; A (high value) at the bottom."""
    colors = {"A": "#2fb344", "B": "#206bc4", "C": "#f59f00", "D": "#a3b1c6"}
    return _base(
        xAxis={"type": "category", "data": labels},
        yAxis={"type": "value", "name": _("Groups"), "minInterval": 1},
        series=[
            {"name": _("Grade %(grade)s") % {"grade": g}, "type": "bar", "stack": "grades",
             "data": [row[g] for row in grades], "itemStyle": {"color": colors[g]}}
            for g in "ABCD"
        ],
    )  # fmt: skip
