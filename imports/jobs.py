"""Importing a file: `import_file()` for code (commands, tests, the demo) and the browser's import jobs.

The browser flow: upload -> validate (a dry run) -> show the report -> confirm -> import. A job's row is
the truth about where it is; each step claims it with a conditional status update, so a task delivered
twice (or a double click) runs a step once. A written import sends `signals.import_written` once committed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from . import registry
from .models import ImportJob
from .report import ImportFileError, ImportReport
from .signals import import_written

logger = logging.getLogger(__name__)


def import_file(*, kind: str, source, **options) -> ImportReport:
    """Import a file of `kind` (a path, a binary file object or a DataFrame) with its registered importer.

    Options are the importer's: name, skip_invalid, dry_run, chunk_rows, progress, now. Raises ImportFileError
    when the file cannot be read at all; bad rows are in the report.
    """
    report = registry.get(kind).run(source=source, **options)
    if report.written:
        # After the commit (at once outside a transaction): what derives from the rows catches up now.
        transaction.on_commit(lambda: import_written.send(sender=kind, report=report))
    return report


def _job_source(job: ImportJob):
    try:
        return job.file.path
    except NotImplementedError:  # a storage without local paths
        return job.file.open("rb")


def _job_progress(job_id: int):
    def progress(done: int, total: int) -> None:
        # Called between chunks, outside the import's transaction: on SQLite no write lock is held then.
        ImportJob.objects.filter(pk=job_id).update(rows_done=done, rows_total=total)

    return progress


def import_job_create(*, kind: str, upload, skip_invalid: bool, created_by, language: str = "") -> ImportJob:
    """Store an uploaded file as a pending import job."""
    registry.get(kind)  # an unknown kind is a programming error, not a job
    job = ImportJob(kind=kind, original_name=upload.name[:255], skip_invalid=skip_invalid, created_by=created_by)
    job.report = {"language": language} if language else {}
    job.file.save(Path(upload.name).name, upload, save=False)
    job.full_clean()
    job.save()
    return job


def _run_step(job: ImportJob, *, dry_run: bool, claim_from: str, claim_to: str, done: str) -> ImportJob | None:
    claimed = ImportJob.objects.filter(pk=job.pk, status=claim_from).update(status=claim_to, rows_done=0)
    if not claimed:
        return None  # someone else has it, or it is past this step
    job.refresh_from_db()
    language = job.report.get("language") or translation.get_language()
    previous = {key: job.report[key] for key in ("language", "confirmed_at") if key in job.report}
    with translation.override(language):
        try:
            report = import_file(
                kind=job.kind,
                source=_job_source(job),
                name=job.original_name,
                skip_invalid=job.skip_invalid,
                dry_run=dry_run,
                progress=_job_progress(job.pk),
            )
        except ImportFileError as exc:
            failed = ImportReport(kind=job.kind, dry_run=dry_run, skip_invalid=job.skip_invalid)
            failed.add_errors(exc.errors)
            failed.invalid = 0
            report, status = failed, ImportJob.Status.FAILED
            report_dict = {**failed.to_dict(), "file_error": True}
        except Exception as exc:
            logger.exception("import job %s failed", job.pk)
            report_dict = {"kind": job.kind, "crash": f"{type(exc).__name__}: {exc}"}
            status = ImportJob.Status.FAILED
            report = None
        else:
            report_dict = report.to_dict()
            if dry_run:
                status = ImportJob.Status.VALIDATED
            else:
                status = ImportJob.Status.DONE if report.written else ImportJob.Status.FAILED
    finished = timezone.now() if status in (ImportJob.Status.DONE, ImportJob.Status.FAILED) else None
    rows = report.rows if report is not None else job.rows_done
    ImportJob.objects.filter(pk=job.pk, status=claim_to).update(
        status=status,
        report={**report_dict, **previous, "step": done},
        rows_done=rows,
        rows_total=rows,
        finished_at=finished,
    )
    job.refresh_from_db()
    return job


def import_job_validate(*, job: ImportJob) -> ImportJob | None:
    """Check every row of the job's file (a dry run) and keep the report; None if the job was not pending."""
    return _run_step(
        job,
        dry_run=True,
        claim_from=ImportJob.Status.PENDING,
        claim_to=ImportJob.Status.VALIDATING,
        done="validated",
    )


def import_job_confirm(*, job: ImportJob, skip_invalid: bool) -> bool:
    """Record the user's go-ahead (and their choice about invalid rows); False if it cannot be imported."""
    report = ImportReport.from_dict(job.report)
    if job.status != ImportJob.Status.VALIDATED or "confirmed_at" in job.report:
        return False
    if report.invalid and not skip_invalid:
        return False
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALIDATED).update(
        skip_invalid=skip_invalid, report={**job.report, "confirmed_at": timezone.now().isoformat()}
    )
    job.refresh_from_db()
    return bool(updated)


def import_job_run(*, job: ImportJob) -> ImportJob | None:
    """Import the job's file for real; None if the job was not validated (already running or done)."""
    return _run_step(
        job,
        dry_run=False,
        claim_from=ImportJob.Status.VALIDATED,
        claim_to=ImportJob.Status.IMPORTING,
        done="imported",
    )


def import_job_runs_inline(job: ImportJob) -> bool:
    """Small files are checked and imported inside the request; larger ones by a Celery task."""
    return job.file.size <= settings.IMPORT_INLINE_MAX_BYTES
