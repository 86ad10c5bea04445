"""The recap as files: an XLSX workbook (one sheet per table, ¥ / % / date formats, a native chart) and a
self-contained HTML file (the page's sections, with ECharts inlined). Both read the same document as the page;
every text cell goes through `core.spreadsheets`."""

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core import spreadsheets
from core.money import DASH, XLSX_FORMAT, XLSX_WHOLE_FORMAT

from ..models import RecapNote
from . import present

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _num(value):
    return None if value is None else Decimal(value)


class _Book:
    def __init__(self, target):
        self.book = xlsxwriter.Workbook(target, spreadsheets.WORKBOOK_OPTIONS)
        add = self.book.add_format
        self.formats = {
            "title": add({"bold": True, "font_size": 14}),
            "header": add({"bold": True, "bg_color": "#eef3fb", "border": 1, "text_wrap": True, "valign": "top"}),
            "money": add({"num_format": XLSX_FORMAT}),
            "ratio": add({"num_format": "0.0%"}),
            "number": add({"num_format": "0.00"}),
            "count": add({"num_format": "#,##0"}),
            "date": add({"num_format": "yyyy-mm-dd"}),
            "datetime": add({"num_format": "yyyy-mm-dd hh:mm"}),
            "wrap": add({"text_wrap": True, "valign": "top"}),
            "undefined": add({"align": "right"}),
            None: None,
        }

    def sheet(self, name: str, title: str, headers: list[str], rows: list[list], kinds: list, widths=None):
        """A sheet: a title row, headers on row 3, then rows; each column written with its kind's format."""
        sheet = self.book.add_worksheet(name[:31])
        spreadsheets.write_cell(sheet, 0, 0, title, self.formats["title"])
        for j, header in enumerate(headers):
            spreadsheets.write_cell(sheet, 2, j, header, self.formats["header"])
        for i, row in enumerate(rows, start=3):
            for j, value in enumerate(row):
                self.write(sheet, i, j, value, kinds[j])
        for j, width in enumerate(widths or [14] * len(headers)):
            sheet.set_column(j, j, width)
        if rows:
            sheet.freeze_panes(3, 0)
            sheet.autofilter(2, 0, 2 + len(rows), len(headers) - 1)
        return sheet

    def write(self, sheet, i: int, j: int, value, kind) -> None:
        fmt = self.formats[kind]
        if kind in ("date", "datetime") and value:
            moment = datetime.fromisoformat(value) if kind == "datetime" else date.fromisoformat(value)
            if isinstance(moment, datetime):
                moment = moment.replace(tzinfo=None)  # local time, as the reader reads it
            sheet.write_datetime(i, j, moment, fmt)
        elif kind in ("money", "ratio", "number") and isinstance(value, str):
            spreadsheets.write_cell(sheet, i, j, Decimal(value), fmt)
        elif kind in ("money", "ratio", "number") and value is None:
            spreadsheets.write_cell(sheet, i, j, DASH, self.formats["undefined"])  # an empty denominator, as the page
        else:
            spreadsheets.write_cell(sheet, i, j, value, fmt)


def write_xlsx(doc: dict, target, *, note: str = "") -> None:
    """The recap workbook into `target` (a path or a binary buffer)."""
    book = _Book(target)
    period = doc["period"]["label"]
    t = doc["targets"]
    rows = [[c["code"], c["name"], c["starts_at"], c["ends_at"], c["target"], c["gmv"], c["orders"], c["buyers"],
             c["attainment"], c["pace"]] for c in t["campaigns"]]  # fmt: skip
    total = t["total"]
    rows.append(["", _("Total"), None, None, total["target"], total["gmv"], None, None, total["attainment"],
                 total["pace"]])  # fmt: skip
    mtd = t["month_to_date"]
    rows.append(["", _("Month to date (%(start)s – %(end)s)") % mtd, None, None, mtd["target"], mtd["gmv"], None,
                 None, mtd["attainment"], mtd["pace"]])  # fmt: skip
    targets_sheet_name = _("Target vs actual")
    book.sheet(
        targets_sheet_name, _("Target vs actual · %(period)s") % {"period": period},
        [_("Campaign code"), _("Campaign"), _("Starts"), _("Ends"), _("Target"), _("GMV"), _("Orders"), _("Buyers"),
         _("Target attained"), _("Pace")],
        rows, [None, None, "datetime", "datetime", "money", "money", "count", "count", "ratio", "ratio"],
        [12, 26, 17, 17, 14, 14, 9, 9, 12, 10],
    )  # fmt: skip

    groups = doc["groups"]
    group_rows = [
        [g["code"], g["name"], g["gmv"], g["orders"], g["buyers"], g["core_members"], g["repurchases"], g["aov"],
         g["core_gmv"], g["other_gmv"], g["previous_gmv"], g["delta"], g["core_members_effect"],
         g["repurchases_effect"], g["aov_effect"], g["other_effect"], g["factors"], g["previous_grade"], g["grade"]]
        for g in groups["groups"]
    ]  # fmt: skip
    p = groups["platform"]
    group_rows.append([
        "", _("Platform"), p["gmv"], p["orders"], p["buyers"], p["core_members"], p["repurchases"], p["aov"],
        p["core_gmv"], p["other_gmv"], p["previous_gmv"], p["delta"], p["core_members_effect"],
        p["repurchases_effect"], p["aov_effect"], p["other_effect"], p["factors"], None, None,
    ])  # fmt: skip
    book.sheet(
        _("Groups"), _("Groups: GMV = core members × repurchases × AOV + other · %(period)s") % {"period": period},
        [_("Group code"), _("Group"), _("GMV"), _("Orders"), _("Buyers"), _("Core members"), _("Repurchases"),
         _("AOV"), _("Core GMV"), _("Other GMV"), _("Previous GMV"), _("GMV change"), _("Core members effect"),
         _("Repurchases effect"), _("AOV effect"), _("One-time buyers effect"), _("Why"), _("Previous grade"),
         _("Grade")],
        group_rows,
        [None, None, "money", "count", "count", "count", "number", "money", "money", "money", "money", "money",
         "money", "money", "money", "money", "wrap", None, None],
        [12, 22, 13, 8, 8, 9, 10, 11, 13, 13, 13, 13, 12, 12, 12, 12, 36, 8, 8],
    )  # fmt: skip

    rate_keys = list(present.RATE_LABELS)
    segment_keys = [s for s in doc["rates"]["groups"][0]["end_counts"]] if doc["rates"]["groups"] else []
    labels = present.segment_labels()
    rate_rows = []
    blocks = [(r["code"], r["name"], r) for r in doc["rates"]["groups"]]
    if doc["rates"]["platform"]:
        blocks.append(("", _("Platform"), doc["rates"]["platform"]))
    for code, name, r in blocks:
        rate_rows.append([code, name, *(r[k] for k in rate_keys), *(r["baseline"][k] for k in rate_keys),
                          *(r["end_counts"][s] for s in segment_keys)])  # fmt: skip
    book.sheet(
        _("Rates"), _("The four rates against the trailing four periods · %(period)s") % {"period": period},
        [_("Group code"), _("Group"), *(str(present.RATE_LABELS[k]) for k in rate_keys),
         *(_("%(rate)s (trailing)") % {"rate": present.RATE_LABELS[k]} for k in rate_keys),
         *(_("%(segment)s at the end") % {"segment": labels[s]} for s in segment_keys)],
        rate_rows, [None, None, *["ratio"] * 8, *["count"] * len(segment_keys)],
        [12, 22, *[11] * 8, *[10] * len(segment_keys)],
    )  # fmt: skip

    if doc["rates"]["platform"]:
        matrix = doc["rates"]["platform"]["transitions"]
        targets = list(next(iter(matrix.values())))
        book.sheet(
            _("Transitions"), _("Platform transitions: from the segment at the start to the end · %(period)s")
            % {"period": period},
            [_("From \\ to"), *(labels[b] for b in targets)],
            [[labels[a], *(row[b] for b in targets)] for a, row in matrix.items()],
            [None, *["count"] * len(targets)], [14, *[12] * len(targets)],
        )  # fmt: skip

    system_rows = []
    for s in doc["systems"]:
        value = s["value"] if s["tracked"] else str(present.NOT_TRACKED)
        numerator = _num(s["numerator"]) if isinstance(s["numerator"], str) else s["numerator"]
        denominator = _num(s["denominator"]) if isinstance(s["denominator"], str) else s["denominator"]
        remark = str(present.SYSTEM_NOTES.get(s["note"], "")) if s.get("note") else ""
        system_rows.append([str(present.SYSTEM_LABELS[s["key"]]), value, numerator, denominator, remark])
    sheet = book.sheet(
        _("Systems"), _("The six systems · %(period)s") % {"period": period},
        [_("Number"), _("Value"), _("Numerator"), _("Denominator"), _("Note")],
        [], [None] * 5, [40, 14, 14, 14, 30],
    )  # fmt: skip
    for i, (row, s) in enumerate(zip(system_rows, doc["systems"], strict=True), start=3):
        unit = {"money": "money", "ratio": "ratio", "multiple": "number"}.get(s["unit"])
        value_kind = unit if s["tracked"] else None
        book.write(sheet, i, 0, row[0], None)
        book.write(sheet, i, 1, row[1], value_kind)
        money_basis = s["key"] == "gmv_per_red_packet_yuan"
        book.write(sheet, i, 2, row[2], "money" if money_basis else "count")
        book.write(sheet, i, 3, row[3], "money" if money_basis else "count")
        book.write(sheet, i, 4, row[4], None)

    problems = doc["problems"]
    problem_rows = [[_("Reminders"), r["operator"] or _("Nobody assigned"), r["total"], r["late"], r["missed"]]
                    for r in problems["reminders"]]  # fmt: skip
    problem_rows += [[_("Sold out"), f"{s['campaign']} · {s['product']}", s["cap"], s["sold"], None]
                     for s in problems["sold_out"]]  # fmt: skip
    problem_rows += [[_("Rising churn"), f"{g['name']} ({g['code']})", None, None, None]
                     for g in problems["rising_churn"]]  # fmt: skip
    problem_rows += [[_("Live codes out of room"), f"{r['code']} · {r['at'][:16].replace('T', ' ')}", None, None, None]
                     for r in problems["live_codes_full"] or []]  # fmt: skip
    for key, label in (("live_codes_full", _("Live codes out of room")), ("landing_errors", _("Landing-page errors"))):
        if problems[key] is None:
            problem_rows.append([label, str(present.NOT_TRACKED), None, None, None])
    book.sheet(
        _("What went wrong"), _("What went wrong · %(period)s") % {"period": period},
        [_("Kind"), _("Who / what"), _("Reminders / cap"), _("Late / sold"), _("Missed")],
        problem_rows, [None, None, "count", "count", "count"], [18, 36, 14, 12, 10],
    )  # fmt: skip
    if note:
        sheet = book.book.add_worksheet(_("Retrospective")[:31])
        spreadsheets.write_cell(sheet, 0, 0, _("Retrospective · %(period)s") % {"period": period},
                                book.formats["title"])  # fmt: skip
        spreadsheets.write_cell(sheet, 2, 0, note, book.formats["wrap"])
        sheet.set_column(0, 0, 100)

    # A native chart of target against GMV per campaign, on its own sheet, reading the targets sheet.
    count = len(t["campaigns"])
    if count:
        chart = book.book.add_chart({"type": "column"})
        ref = targets_sheet_name[:31].replace("'", "''")
        for col, name in ((4, _("Target")), (5, _("GMV"))):
            chart.add_series({
                "name": name,
                "categories": f"='{ref}'!$B$4:$B${3 + count}",
                "values": f"='{ref}'!${chr(65 + col)}$4:${chr(65 + col)}${3 + count}",
            })  # fmt: skip
        chart.set_title({"name": _("Target vs actual")})
        chart.set_y_axis({"num_format": XLSX_WHOLE_FORMAT})
        chart_sheet = book.book.add_worksheet(_("Chart")[:31])
        chart_sheet.insert_chart("B2", chart, {"x_scale": 1.6, "y_scale": 1.4})
    book.book.close()


def xlsx_bytes(doc: dict, *, note: str = "") -> bytes:
    buffer = io.BytesIO()
    write_xlsx(doc, buffer, note=note)
    return buffer.getvalue()


def note_text(doc: dict) -> str:
    note = RecapNote.objects.filter(period=doc["period"]["key"]).first()
    return note.text if note else ""


def xlsx_response(doc: dict) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(doc, note=note_text(doc)), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="recap-{doc["period"]["key"]}.xlsx"'
    return response


def render_html(doc: dict, *, base: str = "") -> str:
    """The recap as one HTML file: the page's sections, ECharts and the chart script inlined."""
    context = present.recap_context(doc, base=base)
    scripts = []
    for name in ("vendor/echarts/echarts.min.js", "analytics/charts.js"):
        path = finders.find(name)
        scripts.append(Path(path).read_text(encoding="utf-8") if path else "")
    context.update({"inline_scripts": scripts, "note_text": note_text(doc), "standalone": True})
    return render_to_string("analytics/recap/file.html", context)


def html_response(doc: dict, *, base: str = "") -> HttpResponse:
    response = HttpResponse(render_html(doc, base=base), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="recap-{doc["period"]["key"]}.html"'
    return response
