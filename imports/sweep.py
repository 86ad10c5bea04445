"""The import jobs' sweep (the `imports.sweep` task, every IMPORT_SWEEP_SECONDS): what no worker will do.

- A step whose lease ran out (its worker or web process died under it: `validating` or `importing` with
  `lease_until` past) goes back one step and its task is sent again; after IMPORT_JOB_MAX_ATTEMPTS claims of
  the same step the job fails, saying so. Running a step again is safe (see `jobs`).
- A step whose task nobody picked up (`pending`, or `validated` and confirmed, with the task sent more than
  IMPORT_JOB_RETRY_SECONDS ago: a lost message, a broker restarted) has its task sent again.
- A check never confirmed within IMPORT_FILE_KEEP_DAYS expires (fails); the file of a job that ended more
  than IMPORT_FILE_KEEP_DAYS ago is deleted: the files hold full phone numbers.

Each change is a conditional update on the job's status (and lease), so a worker finishing at the same moment,
or two sweeps, cannot both act on a job.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .jobs import import_job_fail, import_job_queue
from .models import ImportJob

logger = logging.getLogger(__name__)
Status = ImportJob.Status
# The step a stuck job goes back to, so that its task claims it again.
_BACK = {Status.VALIDATING: Status.PENDING, Status.IMPORTING: Status.VALIDATED}


def import_jobs_sweep(*, validate_task, run_task, now: dt.datetime | None = None) -> dict[str, int]:
    """One sweep, sending `validate_task` or `run_task` (the `tasks` module's, which calls this) by job id;
    the counts of what it did (for the log and the tests)."""
    tasks = {Status.PENDING: validate_task, Status.VALIDATED: run_task}
    now = now or timezone.now()
    done = {"requeued": 0, "failed": 0, "resent": 0, "expired": 0, "files_deleted": 0}

    for job in ImportJob.objects.filter(status__in=list(_BACK), lease_until__lt=now):
        if job.attempts >= settings.IMPORT_JOB_MAX_ATTEMPTS:
            import_job_fail(
                job,
                job.status,
                _("the worker stopped %(count)d times while running this step (IMPORT_JOB_MAX_ATTEMPTS)")
                % {"count": job.attempts},
            )
            done["failed"] += 1
            continue
        back = _BACK[job.status]
        if ImportJob.objects.filter(pk=job.pk, status=job.status, lease_until__lt=now).update(
            status=back, lease_until=None, rows_done=0
        ):
            logger.warning("import job %s: lease ran out while %s; sent again", job.pk, job.status)
            import_job_queue(job, tasks[back])
            done["requeued"] += 1

    retry_before = now - dt.timedelta(seconds=settings.IMPORT_JOB_RETRY_SECONDS)
    waiting = ImportJob.objects.filter(
        Q(status=Status.PENDING) | Q(status=Status.VALIDATED, report__has_key="confirmed_at"),
        Q(queued_at__lt=retry_before) | Q(queued_at__isnull=True),
    )
    for job in waiting:
        import_job_queue(job, tasks[job.status])
        done["resent"] += 1

    keep = dt.timedelta(days=settings.IMPORT_FILE_KEEP_DAYS)
    unconfirmed = ImportJob.objects.filter(status=Status.VALIDATED, created_at__lt=now - keep).exclude(
        report__has_key="confirmed_at"
    )
    for job in unconfirmed:
        import_job_fail(job, Status.VALIDATED, _("not confirmed within %(days)s days") % {"days": _days(keep)})
        done["expired"] += 1
        done["files_deleted"] += _delete_file(job)  # it has waited long enough already

    ended = ImportJob.objects.filter(status__in=[Status.DONE, Status.FAILED]).exclude(file="")
    for job in ended.filter(finished_at__lt=now - keep):
        done["files_deleted"] += _delete_file(job)
    return done


def _delete_file(job: ImportJob) -> int:
    if not job.file:
        return 0
    job.file.delete(save=False)  # the storage's file (gone already is fine); then the row forgets it
    ImportJob.objects.filter(pk=job.pk).update(file="")
    return 1


def _days(keep: dt.timedelta) -> str:
    days = keep.total_seconds() / 86_400
    return f"{days:g}"
