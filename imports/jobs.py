"""Importing a file: `import_file()` for code (commands, tests, the demo) and the browser's import jobs.

The browser flow: upload -> validate (a dry run) -> show the report -> confirm -> import. A job's row is
the truth about where it is; each step claims it with a conditional status update, so a task delivered
twice (or a double click) runs a step once. A written import sends `signals.import_written` once committed.

A claimed step holds a lease (IMPORT_JOB_LEASE_SECONDS) that its progress renews between chunks; if its
process dies, `sweep.import_jobs_sweep` finds the lease run out and sends the step again. Both steps may run
again safely: the check writes nothing, and the import writes in one transaction and is idempotent (a file
imported twice leaves the rows as the first time). A job is its owner's: `import_job_for` is the one check.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone, translation

from core.access import can

from . import registry
from .models import ImportJob
from .permissions import IMPORT_ANY
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


def lease_end() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.IMPORT_JOB_LEASE_SECONDS)


def _job_progress(job_id: int, status: str):
    def progress(done: int, total: int) -> None:
        # Called between chunks, outside the import's transaction: on SQLite no write lock is held then.
        # It renews the lease: a step that still reports progress is alive.
        ImportJob.objects.filter(pk=job_id, status=status).update(
            rows_done=done, rows_total=total, lease_until=lease_end()
        )

    return progress


def import_job_for(user, pk) -> ImportJob:
    """The job `pk` if `user` may open it (its owner, or a holder of IMPORT_ANY); else Http404, so others do
    not learn which jobs exist."""
    job = ImportJob.objects.select_related("created_by").filter(pk=pk).first()
    if job is None or (job.created_by_id != user.pk and not can(user, IMPORT_ANY)):
        raise Http404
    return job


def import_jobs_visible(user):
    """The jobs `user` may see listed: their own, or everyone's with IMPORT_ANY."""
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if can(user, IMPORT_ANY) else jobs.filter(created_by=user)


def import_job_queue(job: ImportJob, task) -> None:
    """Send the job's current step to a worker once the transaction commits (`task` is one of `tasks`'),
    noting when, so the sweep sends it again if no worker picks it up."""
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    transaction.on_commit(lambda: task.delay(job.pk))


def import_job_create(*, kind: str, upload, skip_invalid: bool, created_by, language: str = "") -> ImportJob:
    """Store an uploaded file as a pending import job."""
    registry.get(kind)  # an unknown kind is a programming error, not a job
    job = ImportJob(
        kind=kind, original_name=upload.name[:255], skip_invalid=skip_invalid, created_by=created_by,
        queued_at=timezone.now(),
    )  # fmt: skip
    job.report = {"language": language} if language else {}
    job.file.save(Path(upload.name).name, upload, save=False)
    job.full_clean()
    job.save()
    return job


def _run_step(job: ImportJob, *, dry_run: bool, claim_from: str, claim_to: str, done: str) -> ImportJob | None:
    claimed = ImportJob.objects.filter(pk=job.pk, status=claim_from).update(
        status=claim_to, rows_done=0, lease_until=lease_end(), attempts=F("attempts") + 1
    )
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
                progress=_job_progress(job.pk, claim_to),
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
    # Only if the step is still ours: the sweep may have taken it back while this process was stalled.
    ImportJob.objects.filter(pk=job.pk, status=claim_to).update(
        status=status,
        report={**report_dict, **previous, "step": done},
        rows_done=rows,
        rows_total=rows,
        finished_at=finished,
        lease_until=None,
        attempts=0,
    )
    job.refresh_from_db()
    return job


def import_job_fail(job: ImportJob, status: str, reason: str) -> ImportJob:
    """End a job that cannot go on (it was `status`): FAILED, with `reason` shown on its page as a crash is."""
    report = {key: job.report[key] for key in ("language", "confirmed_at") if key in job.report}
    ImportJob.objects.filter(pk=job.pk, status=status).update(
        status=ImportJob.Status.FAILED,
        report={**report, "kind": job.kind, "crash": reason},
        finished_at=timezone.now(),
        lease_until=None,
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
        skip_invalid=skip_invalid, report={**job.report, "confirmed_at": timezone.now().isoformat()},
        queued_at=timezone.now(),
    )  # fmt: skip
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


def import_job_can_retry(job: ImportJob) -> bool:
    return job.status == ImportJob.Status.FAILED and bool(job.file)


def import_job_retry(*, job: ImportJob) -> bool:
    """Start a failed job again from the check, with its file (while it is kept); False if it cannot be."""
    if not import_job_can_retry(job):
        return False
    language = {"language": job.report["language"]} if "language" in job.report else {}
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
        status=ImportJob.Status.PENDING, report=language, rows_done=0, rows_total=None, finished_at=None,
        lease_until=None, attempts=0, queued_at=timezone.now(),
    )  # fmt: skip
    job.refresh_from_db()
    return bool(updated)
