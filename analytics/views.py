"""The numbers pages: group ranking, a group's weekly trends, the GMV decomposition, the platform overview.
Thin: access check, parse the period, one selector, render. Operators, managers and admins
(`analytics.view_dashboard`)."""

from datetime import timedelta
from urllib.parse import quote

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.access import require_perms
from core.dates import week_label, week_name
from core.money import yuan

from . import charts, conf, exports, groups, selectors
from .forms import TREND_WEEKS, PeriodForm, TrendForm, week_choices
from .models import TRANSITION_TARGETS, Segment
from .selectors import Period
from .templatetags.numbers import grade_class, ratio, stage_label

VIEW_NUMBERS = "analytics.view_dashboard"


def _group(code: str) -> groups.GroupRef:
    refs = groups.group_refs(codes=[code])
    if not refs:
        raise Http404(_("No group with code %(code)s.") % {"code": code})
    return refs[0]


@require_perms(VIEW_NUMBERS)
def dashboard(request):
    """The group ranking for a week or any period; CSV/XLSX with `?export=csv|xlsx`."""
    form = PeriodForm(request.GET or None)
    period = form.period()
    sort = request.GET.get("sort", "gmv")
    descending = request.GET.get("order", "desc") != "asc"
    ranking = selectors.ranking(period=period, sort=sort, descending=descending)
    export = request.GET.get("export")
    if export == "csv":
        return exports.ranking_csv(ranking)
    if export == "xlsx":
        return exports.ranking_xlsx(ranking)
    query = request.GET.copy()
    for key in ("sort", "order", "export"):
        query.pop(key, None)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "ranking": ranking,
            "sort": sort if sort in selectors.SORT_KEYS else "gmv",
            "descending": descending,
            "query": query.urlencode(),
            "weeks": week_choices(selectors.last_complete_week(), selected=period.week),
            "selected_week": week_label(period.week) if period.week else "",
            "previous": period.previous(),
            "ranking_body": _ranking_body(ranking, week_label(period.week) if period.week else ""),
            "core_min": conf.core_min_orders(),
            "grade_days": conf.grade_window().days,
        },
    )


def _ranking_body(ranking: selectors.Ranking, week: str) -> str:
    """The ranking's rows as HTML, built here rather than in the template: 200 groups × 11 cells through
    the template engine cost more than the numbers themselves (the page's budget is 300 ms)."""
    url = reverse("analytics:group", args=["CODE"]).replace("CODE", "{}") + (f"?week={week}" if week else "")
    rows = []
    for row in ranking.rows:
        m, code = row.metrics, row.group.code
        cells = format_html_join(
            "",
            '<td class="co-num">{}</td>',
            (
                (value,)
                for value in (
                    yuan(m.gmv), m.orders, m.buyers, m.core_members, ratio(m.repurchases), yuan(m.aov),
                    yuan(m.core_gmv), yuan(m.other_gmv),
                )
            ),
        )  # fmt: skip
        rows.append(
            format_html(
                '<tr data-group="{}"><td><a href="{}" class="co-cell-title">{}</a><div class="co-cell-sub">{}</div>'
                '</td>{}<td><span class="badge {}">{}</span></td><td>{}</td></tr>',
                code,
                url.format(quote(code)),
                row.group.name,
                code,
                cells,
                grade_class(row.grade),
                row.grade or "—",
                stage_label(row.stage),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every piece above went through format_html


def _heat_class(n: int, row_total: int) -> str:
    if not n or not row_total:
        return "co-heat-0"
    return f"co-heat-{min(5, 1 + int(5 * n / row_total))}"


@require_perms(VIEW_NUMBERS)
def group_detail(request, code: str):
    """A group's weekly trends: GMV and its three factors, segment mix, the four rates, the transition
    matrix of the chosen week, and the Markov forecast of its core members."""
    group = _group(code)
    form = TrendForm(request.GET or None)
    last = form.last_week(selectors.last_complete_week())
    weeks = form.weeks_shown()
    trends = selectors.group_trends(group=group, last_week=last, weeks=weeks)
    labels = [w.label for w in trends.weeks]
    metrics = [w.metrics for w in trends.weeks]
    snapshot_labels = labels + [week_name(last + timedelta(days=7))]
    snapshots = [w.transitions.start_counts for w in trends.weeks] + [trends.selected.transitions.end_counts]
    rates = [w.transitions.rates() for w in trends.weeks]
    forecast = trends.forecast
    projected = [(week_name(t.date()), v["core"]) for t, v in forecast.projection]
    transitions = trends.selected.transitions
    segment_labels = {s.value: str(s.label) for s in Segment}
    target_labels = {**segment_labels, "left": _("Left the group")}
    matrix = []
    for a in Segment.values:
        row_total = sum(transitions.transitions[a].values())
        cells = [(transitions.transitions[a][b], _heat_class(transitions.transitions[a][b], row_total)) for b in
                 TRANSITION_TARGETS]  # fmt: skip
        matrix.append({"label": segment_labels[a], "cells": cells, "total": row_total})
    probabilities = [
        {"label": segment_labels[a], "cells": [round(p * 100, 1) for p in forecast.probabilities[i]]}
        for i, a in enumerate(Segment.values)
    ]
    return render(
        request,
        "analytics/group_detail.html",
        {
            "group": group,
            "form": form,
            "trends": trends,
            "weeks": weeks,
            "trend_weeks": TREND_WEEKS,
            "week_options": week_choices(selectors.last_complete_week(), selected=last),
            "selected_week": week_label(last),
            "rows": list(zip(trends.weeks, snapshots, strict=False)),
            "snapshot_rows": list(zip(snapshot_labels, snapshots, strict=True)),
            "segments": [(s.value, str(s.label)) for s in Segment],
            "target_labels": [target_labels[t] for t in TRANSITION_TARGETS],
            "matrix": matrix,
            "probabilities": probabilities,
            "projected": projected,
            "window_days": conf.segment_window().days,
            "core_min": conf.core_min_orders(),
            "forecast_actual": list(zip(snapshot_labels, [s["core"] for s in snapshots], strict=True)),
            "charts": {
                "gmv": charts.gmv_chart(labels, metrics),
                "factors": charts.factors_chart(labels, metrics),
                "segments": charts.segment_mix_chart(snapshot_labels, snapshots),
                "rates": charts.rates_chart(labels, rates),
                "forecast": charts.forecast_chart(
                    snapshot_labels, [s["core"] for s in snapshots], [(lbl, v) for lbl, v in projected]
                ),
            },
        },
    )


@require_perms(VIEW_NUMBERS)
def decomposition(request):
    """Why GMV moved between two periods: this week against last week, or any two periods."""
    after_form = PeriodForm(request.GET or None, prefix="after")
    before_form = PeriodForm(request.GET or None, prefix="before")
    after = after_form.period()
    custom_before = before_form.is_bound and before_form.is_valid() and any(before_form.cleaned_data.values())
    before = before_form.period() if custom_before else after.previous()
    code = request.GET.get("group") or ""
    group = _group(code) if code else None
    page = selectors.decomposition(before=before, after=after, group=group)
    chart = charts.waterfall_chart(page.scope, before_label=before.short_label, after_label=after.short_label)
    period_query = request.GET.copy()
    period_query.pop("group", None)
    return render(
        request,
        "analytics/decomposition.html",
        {
            "page": page,
            "after_form": after_form,
            "before_form": before_form,
            "groups": groups.group_refs(),
            "selected_group": code,
            "week_options": week_choices(selectors.last_complete_week(), selected=after.week or before.week),
            "after_week": week_label(after.week) if after.week else "",
            "before_week": week_label(before.week) if before.week else "",
            "chart": chart,
            "period_query": period_query.urlencode(),
        },
    )


@require_perms(VIEW_NUMBERS)
def platform(request):
    """The platform over the last weeks: GMV and its factors, high-value groups and grades over time."""
    form = TrendForm(request.GET or None)
    last = form.last_week(selectors.last_complete_week())
    weeks = form.weeks_shown()
    overview = selectors.platform_overview(last_week=last, weeks=weeks)
    labels = [w.label for w in overview]
    metrics = [w.metrics for w in overview]
    return render(
        request,
        "analytics/platform.html",
        {
            "form": form,
            "overview": overview,
            "latest": overview[-1],
            "weeks": weeks,
            "trend_weeks": TREND_WEEKS,
            "week_options": week_choices(selectors.last_complete_week(), selected=last),
            "selected_week": week_label(last),
            "charts": {
                "grades": charts.grades_chart(labels, [w.grades for w in overview]),
                "gmv": charts.gmv_chart(labels, metrics),
                "factors": charts.factors_chart(labels, metrics),
            },
            "period": Period.of_week(last),
        },
    )
