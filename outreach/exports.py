"""The call numbers and the phone audit as XLSX, every cell through `core.spreadsheets` (text never becomes a
formula; numbers stay numbers)."""

from __future__ import annotations

import io

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.spreadsheets import WORKBOOK_OPTIONS, write_cell
from core.users import user_display_name

from .stats import StatsRow

MAX_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _response(buffer: io.BytesIO, filename: str) -> HttpResponse:
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _write_row(sheet, row_index: int, values, formats=None) -> None:
    for col, value in enumerate(values):
        write_cell(sheet, row_index, col, value, formats[col] if formats else None)


def stats_xlsx(rows: list[StatsRow], *, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    sheet = book.add_worksheet(_("Calls")[:31])
    bold = book.add_format({"bold": True, "bg_color": "#eef3fb", "border": 1})
    percent = book.add_format({"num_format": "0.0%"})
    headers = [_("Day"), _("Agent"), _("Called"), _("Connected"), _("Accepted"), pgettext("call outcome", "Joined"),
               _("Invitation conversion"), _("Join rate")]  # fmt: skip
    _write_row(sheet, 0, headers, [bold] * len(headers))
    formats = [None] * 6 + [percent, percent]
    for i, row in enumerate(rows, start=1):
        n = row.numbers
        day = row.day.isoformat() if row.day else _("All days")
        agent = row.agent_name if row.agent_id else _("Everyone")
        conversion = None if n.conversion is None else float(n.conversion)
        join_rate = None if n.join_rate is None else float(n.join_rate)
        _write_row(sheet, i, [day, agent, n.called, n.connected, n.accepted, n.joined, conversion, join_rate], formats)
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, 7, 12)
    sheet.freeze_panes(1, 0)
    book.close()
    return _response(buffer, filename)


def phone_audit_xlsx(reveals) -> HttpResponse:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    sheet = book.add_worksheet(_("Phone numbers shown")[:31])
    bold = book.add_format({"bold": True, "bg_color": "#eef3fb", "border": 1})
    headers = [_("Time"), _("User"), _("Member ID"), _("Member"), _("Action"), _("Call list"), _("Task")]
    _write_row(sheet, 0, headers, [bold] * len(headers))
    for i, reveal in enumerate(reveals, start=1):
        task = reveal.task
        _write_row(sheet, i, [
            timezone.localtime(reveal.at).strftime("%Y-%m-%d %H:%M:%S"), user_display_name(reveal.user),
            reveal.member.external_id, reveal.member.name, reveal.get_action_display(),
            task.call_list.name if task else "", task.pk if task else None,
        ])  # fmt: skip
    sheet.set_column(0, 6, 16)
    sheet.freeze_panes(1, 0)
    book.close()
    return _response(buffer, "phone-audit.xlsx")
