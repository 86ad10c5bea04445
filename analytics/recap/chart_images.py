"""The recap's charts as SVG images for the PDF, drawn by matplotlib from the very ECharts options the page draws
(`charts.recap_charts`), so the page and the PDF show the same bars, colours and labels. Only what those options
use is read: bar series on a category axis (vertical or horizontal), grouped or stacked, per-bar colours and
labels, an axis name, a money axis (`analytics.charts.MONEY`, ticks by `core.money.yuan`) or a '{value}%' tick
format, and a value axis' minimum.

Text stays text (`svg.fonttype` none): WeasyPrint sets it in the same CJK font as the page (Debian's
fonts-noto-cjk) and embeds it, which is several times faster than drawing every glyph as a path and keeps the
charts' labels searchable."""

import io
import threading
from decimal import Decimal
from functools import cache

from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from core.money import yuan

CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Droid Sans Fallback"]
INK, MUTED, GRID = "#1d273b", "#667382", "#e6e7e9"
TRANSPARENT = "transparent"
FONT_PT, LABEL_PT = 8, 7
CM_PER_PT = 2.54 / 72
# matplotlib's rc settings are one global: the web server's threads draw one chart at a time.
_DRAWING = threading.Lock()


class NoCJKFont(RuntimeError):
    pass


@cache
def cjk_family() -> str:
    """The first CJK family installed; without one the charts' Chinese would be empty boxes, so say so."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise NoCJKFont(f"no CJK font found (one of {', '.join(CJK_FAMILIES)}); install fonts-noto-cjk")


def _value(item):
    return item.get("value") if isinstance(item, dict) else item


def _color(series: dict, item) -> str:
    if isinstance(item, dict) and "color" in item.get("itemStyle", {}):
        return item["itemStyle"]["color"]
    return series.get("itemStyle", {}).get("color", "#206bc4")


def _label(item) -> str | None:
    if isinstance(item, dict):
        label = item.get("label") or {}
        if label.get("show") and label.get("formatter"):
            return str(label["formatter"])
    return None


def _tick_formatter(axis: dict):
    if axis.get("coMoney"):  # as the page's charts.js writes a money axis: the one formatter, '−¥5,220'
        return FuncFormatter(lambda v, _pos: yuan(Decimal(str(round(v))), whole=True))
    template = (axis.get("axisLabel") or {}).get("formatter") or ""
    if "{value}" not in template:
        return FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    return FuncFormatter(lambda v, _pos: template.replace("{value}", f"{v:,.0f}"))


def _axes(option: dict) -> tuple[dict, dict, bool]:
    """(category axis, value axis, horizontal?)."""
    x, y = option["xAxis"], option["yAxis"]
    if x.get("type") == "category":
        return x, y, False
    return y, x, True


def _ems(text: str) -> float:
    """A text's width in ems: a CJK glyph is about 1 em wide, a digit or a Latin letter about 0.6."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text)


def _fits(text: str, slot_cm: float) -> bool:
    """Whether a bar's label fits its slot; one that does not is left out: the table beside the chart has every
    number."""
    return _ems(text) * LABEL_PT * CM_PER_PT <= slot_cm


def _draw_bars(ax, option: dict, categories: list, horizontal: bool, slot_cm: float) -> None:
    series = [s for s in option["series"] if s.get("type") == "bar"]
    stacked = any(s.get("stack") for s in series)
    slots = 1 if stacked else max(len(series), 1)
    width = 0.7 / slots
    bottoms = [0.0] * len(categories)
    for index, s in enumerate(series):
        data = s.get("data") or []
        offset = 0.0 if stacked else (index - (slots - 1) / 2) * width
        for i, item in enumerate(data):
            value = _value(item)
            if value is None:
                continue
            value = float(value)
            color = _color(s, item)
            position, base = i + offset, bottoms[i] if stacked else 0.0
            if color != TRANSPARENT:
                bar = ax.barh if horizontal else ax.bar
                bar(position, value, width, base, color=color, label=s.get("name") if i == 0 else None)
                text = _label(item)
                if text and (horizontal or _fits(text, slot_cm)):
                    _annotate(ax, position, base + value, value, text, horizontal)
            if stacked:
                bottoms[i] += value


def _annotate(ax, position: float, end: float, value: float, text: str, horizontal: bool) -> None:
    outward = 1 if value >= 0 else -1
    if horizontal:
        ax.annotate(text, (end, position), xytext=(4 * outward, 0), textcoords="offset points", va="center",
                    ha="left" if outward > 0 else "right", fontsize=LABEL_PT, color=INK)  # fmt: skip
    else:
        ax.annotate(text, (position, end), xytext=(0, 3 * outward), textcoords="offset points", ha="center",
                    va="bottom" if outward > 0 else "top", fontsize=LABEL_PT, color=INK)  # fmt: skip


def _wrapped(label: str, slot_cm: float, lines: int = 3) -> str:
    """A category's name on as many lines as its slot needs (CJK names have no spaces to break at)."""
    width = slot_cm / (FONT_PT * CM_PER_PT)
    out, line = [], ""
    for ch in label:
        if line and _ems(line + ch) > width:
            out.append(line)
            line = ""
        line += ch
    out.append(line)
    return "\n".join(out[:lines])


def _style_axes(ax, option: dict, categories: list[str], value_axis: dict, horizontal: bool, slot_cm: float) -> None:
    positions = list(range(len(categories)))
    (ax.xaxis if horizontal else ax.yaxis).set_major_formatter(_tick_formatter(value_axis))
    if horizontal:
        ax.set_yticks(positions, categories)
        ax.set_ylim(-0.6, len(categories) - 0.4)
        ax.axvline(0, color=MUTED, linewidth=0.6)
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.set_xlabel(value_axis.get("name", ""))
    else:
        ax.set_xticks(positions, [_wrapped(c, slot_cm) for c in categories])
        # Every category keeps its place (a None one included), and one or two campaigns get bars of the width
        # three would have rather than the whole chart.
        pad = max(0, 3 - len(categories)) / 2
        ax.set_xlim(-0.6 - pad, len(categories) - 0.4 + pad)
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.set_ylabel(value_axis.get("name", ""))
        if value_axis.get("min") is not None:
            ax.set_ylim(bottom=float(value_axis["min"]))
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if horizontal:
        ax.margins(x=0.12)
    else:
        ax.margins(y=0.12)  # room above the tallest bar for its label
    if (option.get("legend") or {}).get("show", True) and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, frameon=False, fontsize=LABEL_PT)


def chart_svg(option: dict, *, width_cm: float = 17.0, height_cm: float = 6.5) -> str:
    """One ECharts bar option drawn as an SVG document (text as paths in a CJK font)."""
    family = cjk_family()
    category_axis, value_axis, horizontal = _axes(option)
    categories = [str(c) for c in category_axis.get("data") or []]
    settings = {
        "font.family": [family, "DejaVu Sans"], "font.size": FONT_PT, "svg.fonttype": "none", "svg.hashsalt": "recap",
        "axes.edgecolor": GRID, "axes.labelcolor": MUTED, "xtick.color": MUTED, "ytick.color": MUTED,
    }  # fmt: skip
    with _DRAWING, rc_context(settings):
        fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54))
        ax = fig.subplots()
        # The width of one category on the page, less the value axis' labels (about 2 cm).
        slot_cm = (width_cm - 2.0) / max(len(categories), 1)
        _draw_bars(ax, option, categories, horizontal, slot_cm)
        _style_axes(ax, option, categories, value_axis, horizontal, slot_cm)
        fig.tight_layout(pad=0.4)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
