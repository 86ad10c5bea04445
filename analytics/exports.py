"""The group ranking as CSV (UTF-8 with BOM, which Excel on a Chinese Windows opens correctly) or XLSX
(xlsxwriter, with number formats, so the figures stay numbers). Every cell goes through `core.spreadsheets`:
a group's name or code is text, never a formula."""

import csv
import io

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import spreadsheets
from core.dates import local_minute_text
from core.money import XLSX_FORMAT

from .metrics import METRIC_LABELS
from .selectors import Ranking, RankingRow
from .templatetags.numbers import stage_label


def _headers() -> list[str]:
    return [_("Group code"), _("Group"), *(str(label) for label in METRIC_LABELS.values()), _("Grade"),
            _("Suggested stage")]  # fmt: skip


def _values(row: RankingRow) -> list:
    m = row.metrics
    return [
        row.group.code if row.group else "",
        row.group.name if row.group else _("Platform"),
        m.gmv,
        m.orders,
        m.buyers,
        m.core_members,
        None if m.repurchases is None else round(m.repurchases, 4),
        None if m.aov is None else round(m.aov, 2),
        m.core_gmv,
        m.other_gmv,
        row.grade or "",
        stage_label(row.stage) if row.stage else "",
    ]


def _filename(ranking: Ranking, ext: str) -> str:
    return f"group-ranking-{ranking.period.start.isoformat()}-{ranking.period.until.isoformat()}.{ext}"


def ranking_csv(ranking: Ranking) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(spreadsheets.row(_headers()))
    for row in [*ranking.rows, ranking.platform]:
        writer.writerow(spreadsheets.row(_values(row)))
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(ranking, "csv")}"'
    return response


def ranking_xlsx(ranking: Ranking) -> HttpResponse:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, spreadsheets.WORKBOOK_OPTIONS)
    sheet = book.add_worksheet(_("Group ranking")[:31])
    bold = book.add_format({"bold": True, "bg_color": "#eef3fb", "border": 1})
    money = book.add_format({"num_format": XLSX_FORMAT})
    ratio = book.add_format({"num_format": "0.00"})
    count = book.add_format({"num_format": "#,##0"})
    total = book.add_format({"bold": True, "top": 1})
    title = _("Group ranking %(period)s") % {"period": ranking.period.label}
    spreadsheets.write_cell(sheet, 0, 0, title, book.add_format({"bold": True}))
    when = local_minute_text(timezone.now())
    spreadsheets.write_cell(sheet, 1, 0, _("Generated %(when)s") % {"when": when})
    header_row = 3
    for j, header in enumerate(_headers()):
        spreadsheets.write_cell(sheet, header_row, j, header, bold)
    formats = [None, None, money, count, count, count, ratio, money, money, money, None, None]
    rows = [*ranking.rows, ranking.platform]
    for i, row in enumerate(rows, start=header_row + 1):
        for j, value in enumerate(_values(row)):
            fmt = formats[j] or (total if row is ranking.platform else None)
            spreadsheets.write_cell(sheet, i, j, value, fmt)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 24)
    sheet.set_column(2, 11, 13)
    sheet.freeze_panes(header_row + 1, 2)
    sheet.autofilter(header_row, 0, header_row + len(rows) - 1, len(formats) - 1)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(ranking, "xlsx")}"'
    return response
