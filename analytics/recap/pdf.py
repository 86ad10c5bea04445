"""The recap as an A4 PDF a manager can forward: a title block with the period, the headline numbers (each naming
the section whose table it comes from), then each section's chart above its table. It reads the same document
and the same presentation (`present.recap_context`) as the page, and draws the page's own ECharts options with
matplotlib (`chart_images`); WeasyPrint lays it out and embeds the CJK font it uses."""

import base64
from datetime import date, timedelta
from decimal import Decimal

from django.http import HttpResponse
from django.template.loader import render_to_string

from . import present
from .chart_images import chart_svg
from .files import note_text

PDF_TYPE = "application/pdf"
# The groups a PDF lists: the largest by GMV, and every top mover. A platform of 200 groups would otherwise
# take 15 pages (and most of the PDF's time); the XLSX and the page list them all.
PDF_GROUP_ROWS = 25
# Chart sizes on the A4 page (17 cm of text width); the side-by-side ones share it with their table.
CHART_SIZES = {"targets": (17.0, 6.0), "waterfall": (10.0, 5.8), "movers": (10.0, 5.8), "rates": (10.0, 5.4)}


def _image(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _waterfall_rows(platform: dict, previous: str, current: str) -> list[dict]:
    """The waterfall's steps as the table beside it: GMV before, the four effects, GMV after."""
    steps = [
        (previous, platform["previous_gmv"], False),
        (present.EFFECT_LABELS["core_members_effect"], platform["core_members_effect"], True),
        (present.EFFECT_LABELS["repurchases_effect"], platform["repurchases_effect"], True),
        (present.EFFECT_LABELS["aov_effect"], platform["aov_effect"], True),
        (present.EFFECT_LABELS["other_effect"], platform["other_effect"], True),
        (current, platform["gmv"], False),
    ]
    return [{"label": str(label), "value": value, "is_change": change} for label, value, change in steps]


def _listed_groups(context: dict) -> tuple[list[dict], list[dict], int]:
    """(group rows, per-group rate rows, how many groups are left out): the largest PDF_GROUP_ROWS by GMV and
    the movers, in the page's order."""
    movers = {g["code"] for g in (*context["movers_up"], *context["movers_down"])}
    listed = [g for i, g in enumerate(context["groups"]) if i < PDF_GROUP_ROWS or g["code"] in movers]
    codes = {g["code"] for g in listed}
    by_code = {r["code"]: r for r in context["group_rates"]}
    rates = [by_code[g["code"]] for g in listed if g["code"] in by_code]
    return listed, rates, len(context["groups"]) - len(codes)


def pdf_context(doc: dict, *, base: str = "") -> dict:
    context = present.recap_context(doc, base=base)
    groups, group_rates, left_out = _listed_groups(context)
    charts = context["charts"]
    drawn = {}
    for key, (width, height) in CHART_SIZES.items():
        if key == "targets" and not doc["targets"]["campaigns"]:
            continue
        if key == "movers" and not (context["movers_up"] or context["movers_down"]):
            continue
        drawn[key] = _image(chart_svg(charts[key], width_cm=width, height_cm=height))
    platform = doc["groups"]["platform"]
    attainment = doc["targets"]["total"]["attainment"]
    context.update(
        {
            "images": drawn,
            "groups": groups,
            "group_rates": group_rates,
            "groups_left_out": left_out,
            "note_text": note_text(doc),
            "waterfall_rows": _waterfall_rows(platform, doc["period"]["previous"], doc["period"]["key"]),
            # The document's end is exclusive (the next period's first day); people read the last day.
            "last_day": date.fromisoformat(doc["period"]["end"]) - timedelta(days=1),
            "below_target": attainment is not None and Decimal(attainment) < 1,
        }
    )
    return context


def render_pdf(doc: dict, *, base: str = "") -> bytes:
    """The recap of `doc` as PDF bytes."""
    # Imported here: WeasyPrint loads Pango when imported, and a machine without it (bin/system-packages --app)
    # should lose the PDF only, not every page that imports the recap's views.
    from weasyprint import HTML

    html = render_to_string("analytics/recap/pdf.html", pdf_context(doc, base=base))
    return HTML(string=html, base_url=base or None).write_pdf()


def pdf_response(doc: dict, *, base: str = "") -> HttpResponse:
    response = HttpResponse(render_pdf(doc, base=base), content_type=PDF_TYPE)
    response["Content-Disposition"] = f'attachment; filename="recap-{doc["period"]["key"]}.pdf"'
    return response
