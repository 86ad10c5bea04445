"""Celery tasks of the import jobs: thin, by id, idempotent.

Each calls a service that claims its ImportJob with a conditional status update (pending -> validating,
validated -> importing), so a redelivered or duplicated task finds nothing to claim and does nothing.
"""

from celery import shared_task

from .jobs import import_job_run, import_job_validate
from .models import ImportJob
from .sweep import import_jobs_sweep


@shared_task(acks_late=True)
def import_job_validate_task(job_id: int) -> str | None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    job = import_job_validate(job=job)
    return job.status if job else None


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> str | None:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    job = import_job_run(job=job)
    return job.status if job else None


@shared_task(name="imports.sweep")
def import_jobs_sweep_task() -> dict[str, int]:
    """Take back import jobs whose worker died, resend lost tasks, delete old files (settings: beat)."""
    return import_jobs_sweep(validate_task=import_job_validate_task, run_task=import_job_run_task)
