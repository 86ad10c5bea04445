"""The import pages: upload a file, read the dry run's report (error table and counts), confirm, watch.

Thin: access check (`imports.import_data`: operators and admins; a job only for its owner or a holder of
`imports.import_any`, others get 404), a form, one service, render. Small files are checked and imported
inside the request; a file larger than IMPORT_INLINE_MAX_BYTES goes to a Celery task and the page polls the
job's row (htmx, every second) for "rows done of rows". A failed job can be retried by its owner.
"""

import csv
import io

import xlsxwriter
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import spreadsheets
from core.access import require_perms

from . import registry
from .forms import ImportConfirmForm, ImportUploadForm
from .jobs import (
    import_job_can_retry,
    import_job_confirm,
    import_job_create,
    import_job_for,
    import_job_queue,
    import_job_retry,
    import_job_run,
    import_job_runs_inline,
    import_job_validate,
    import_jobs_visible,
)
from .models import ImportJob
from .permissions import IMPORT_DATA
from .report import ImportReport
from .tasks import import_job_run_task, import_job_validate_task

RECENT_JOBS = 20
ERRORS_SHOWN = 200  # on the page; the CSV download has all the report keeps
RUNNING = (ImportJob.Status.PENDING, ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING)


def _columns_help() -> list[tuple[str, str, str]]:
    return [
        (str(importer.label), ", ".join(importer.spec.columns), ", ".join(importer.spec.required))
        for importer in registry.importers()
    ]


@require_perms(IMPORT_DATA)
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            skip_invalid=form.cleaned_data["skip_invalid"],
            created_by=request.user,
            language=get_language() or "",
        )
        _validate(job)
        return redirect("imports:import-detail", pk=job.pk)
    jobs = import_jobs_visible(request.user)[:RECENT_JOBS]
    return render(
        request,
        "imports/import_list.html",
        {"form": form, "jobs": jobs, "columns_help": _columns_help(), "running": RUNNING},
    )


def _validate(job: ImportJob) -> None:
    if import_job_runs_inline(job):
        import_job_validate(job=job)
    else:
        import_job_queue(job, import_job_validate_task)


def _job_context(job: ImportJob) -> dict:
    has_report = "rows" in job.report
    report = ImportReport.from_dict(job.report) if has_report else None
    confirmed = "confirmed_at" in job.report
    return {
        "job": job,
        "report": report,
        "errors": report.errors[:ERRORS_SHOWN] if report else [],
        "errors_hidden": (len(report.errors) - ERRORS_SHOWN if report and len(report.errors) > ERRORS_SHOWN else 0),
        "is_running": job.status in RUNNING or (job.status == ImportJob.Status.VALIDATED and confirmed),
        "can_confirm": job.status == ImportJob.Status.VALIDATED and not confirmed,
        "can_retry": import_job_can_retry(job),
        "confirm_form": ImportConfirmForm(initial={"skip_invalid": job.skip_invalid}),
        "percent": int(100 * job.rows_done / job.rows_total) if job.rows_total else 0,
    }


@require_perms(IMPORT_DATA)
@require_GET
def import_detail(request, pk):
    job = import_job_for(request.user, pk)
    return render(request, "imports/import_detail.html", _job_context(job))


@require_perms(IMPORT_DATA)
@require_GET
def import_status(request, pk):
    """The job card alone: what the page polls while the job runs (it stops polling once done)."""
    job = import_job_for(request.user, pk)
    return render(request, "imports/partials/_job.html", _job_context(job))


@require_perms(IMPORT_DATA)
@require_POST
def import_confirm(request, pk):
    job = import_job_for(request.user, pk)
    form = ImportConfirmForm(request.POST)
    skip_invalid = form.is_valid() and form.cleaned_data["skip_invalid"]
    if not import_job_confirm(job=job, skip_invalid=skip_invalid):
        messages.error(
            request,
            _("This file cannot be imported as it is: fix the invalid rows, or tick “skip invalid rows”.")
            if job.status == ImportJob.Status.VALIDATED and "confirmed_at" not in job.report
            else _("This import has already been confirmed."),
        )
        return redirect("imports:import-detail", pk=job.pk)
    if import_job_runs_inline(job):
        import_job_run(job=job)
    else:
        import_job_queue(job, import_job_run_task)
    return redirect("imports:import-detail", pk=job.pk)


@require_perms(IMPORT_DATA)
@require_POST
def import_retry(request, pk):
    """Check a failed job's file again from the start (the owner's second try after a crash or a stuck job)."""
    job = import_job_for(request.user, pk)
    if import_job_retry(job=job):
        _validate(job)
    else:
        messages.error(request, _("Only a failed import whose file is still kept can be retried."))
    return redirect("imports:import-detail", pk=job.pk)


@require_perms(IMPORT_DATA)
@require_GET
def import_errors_csv(request, pk):
    """The error table as CSV (UTF-8 with BOM, so Excel shows the Chinese reasons). The columns and reasons
    echo the uploaded file (its headers, its values): every cell goes through `core.spreadsheets`."""
    job = import_job_for(request.user, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["line", "column", "reason"])
    for line, column, message in job.report.get("errors", []):
        writer.writerow(spreadsheets.row([line, column, message]))
    return response


@require_perms(IMPORT_DATA)
@require_GET
def import_errors_xlsx(request, pk):
    """The error table for people: a workbook with the headers in the reader's language (行, 列, 原因) and a
    file name they can find again. errors.csv stays as it is, the stable form for machines."""
    job = import_job_for(request.user, pk)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, spreadsheets.WORKBOOK_OPTIONS)
    sheet = book.add_worksheet(_("Errors")[:31])
    bold = book.add_format({"bold": True})
    for col, header in enumerate((_("Line"), _("Column"), _("Reason"))):
        spreadsheets.write_cell(sheet, 0, col, header, bold)
    for index, (line, column, message) in enumerate(job.report.get("errors", []), start=1):
        spreadsheets.write_cell(sheet, index, 0, line)
        spreadsheets.write_cell(sheet, index, 1, column or "")
        spreadsheets.write_cell(sheet, index, 2, message)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 18)
    sheet.set_column(2, 2, 80)
    sheet.freeze_panes(1, 0)
    book.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = _("import-%(pk)s-errors") % {"pk": job.pk} + ".xlsx"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
