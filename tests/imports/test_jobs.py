"""Import jobs belong to their owner, are swept when stuck, can be retried, and lose their file after the
job ended (issue 11, item 5); the browser upload has a size limit (item 2). The stuck-job sweep against a
killed process is in test_job_processes.py."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from imports.models import ImportJob
from imports.tasks import import_jobs_sweep_task
from members.models import Member
from tests.conftest import PASSWORD, make_user
from tests.members.test_import_views import GOOD, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_only_the_owner_or_an_admin_may_open_confirm_or_retry_a_job(client, operator, admin_user):
    upload(login(client, operator), GOOD)
    job = ImportJob.objects.get()
    other = make_user("erin", Role.OPERATOR)
    login(client, other)
    for name in ("import-detail", "import-status", "import-errors"):
        assert client.get(reverse(f"imports:{name}", args=[job.pk])).status_code == 404
    for name in ("import-confirm", "import-retry"):
        assert client.post(reverse(f"imports:{name}", args=[job.pk])).status_code == 404
    assert job.original_name not in client.get(reverse("imports:import-list")).content.decode()
    job.refresh_from_db()
    assert (job.status, "confirmed_at" in job.report) == ("validated", False)
    assert not Member.objects.exists()

    login(client, admin_user)
    assert client.get(reverse("imports:import-detail", args=[job.pk])).status_code == 200
    assert job.original_name in client.get(reverse("imports:import-list")).content.decode()
    login(client, operator)
    page = client.get(reverse("imports:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-encoding"' in page
    assert ">UTF-8</span>" in page  # the detected encoding, on the job's page
    client.post(reverse("imports:import-confirm", args=[job.pk]))
    assert Member.objects.count() == 2


def test_a_browser_upload_past_the_size_limit_is_refused_naming_it(client, operator, settings):
    settings.IMPORT_MAX_FILE_BYTES = 1000
    response = upload(login(client, operator), "external_id,name\n" + "KH1,张三\n" * 500)
    assert response.status_code == 200
    assert (
        "The file is larger than 1000\xa0bytes, the largest accepted (IMPORT_MAX_FILE_BYTES)."
        in (response.context["form"].errors["file"][0])
    )
    assert not ImportJob.objects.exists()


def _job(operator, status, **fields) -> ImportJob:
    job = ImportJob(kind="members", original_name="members.csv", status=status, created_by=operator, **fields)
    job.file.save("members.csv", SimpleUploadedFile("members.csv", GOOD.encode()), save=False)
    job.save()
    return job


def test_the_sweep_sends_again_a_job_nobody_picked_up_and_a_stuck_one(
    operator, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_JOB_RETRY_SECONDS = 300
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    lost = _job(operator, "pending", queued_at=long_ago)
    recent = _job(operator, "pending", queued_at=timezone.now())
    stuck = _job(operator, "validating", lease_until=long_ago, attempts=1)
    confirmed = _job(operator, "validated", queued_at=long_ago, report={"rows": 2, "confirmed_at": "x"})
    with django_capture_on_commit_callbacks(execute=True):
        done = import_jobs_sweep_task()  # tasks run eagerly in the tests: what a worker would do
    assert (done["requeued"], done["resent"]) == (1, 2)
    for job in (lost, recent, stuck, confirmed):
        job.refresh_from_db()
    assert (lost.status, stuck.status, confirmed.status) == ("validated", "validated", "done")
    assert recent.status == "pending"  # its task may still be on its way
    assert stuck.attempts == 0  # the step finished
    assert Member.objects.count() == 2


def test_a_step_stuck_too_often_fails_and_its_owner_retries_it(client, operator, settings):
    settings.IMPORT_INLINE_MAX_BYTES = 10**6  # the retry checks the file in the request
    settings.IMPORT_JOB_MAX_ATTEMPTS = 3
    job = _job(operator, "importing", lease_until=timezone.now() - dt.timedelta(seconds=1), attempts=3)
    assert import_jobs_sweep_task()["failed"] == 1
    job.refresh_from_db()
    assert job.status == "failed"
    assert "the worker stopped 3 times while running this step (IMPORT_JOB_MAX_ATTEMPTS)" in job.report["crash"]
    page = login(client, operator).get(reverse("imports:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-retry-form"' in page
    client.post(reverse("imports:import-retry", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.report["rows"], job.attempts) == ("validated", 2, 0)


def test_files_are_deleted_after_the_job_ended_and_unconfirmed_checks_expire(operator, settings):
    settings.IMPORT_FILE_KEEP_DAYS = 3
    old = timezone.now() - dt.timedelta(days=4)
    ended = _job(operator, "done", finished_at=old)
    fresh = _job(operator, "failed", finished_at=timezone.now())
    waiting = _job(operator, "validated", report={"rows": 2})
    ImportJob.objects.filter(pk=waiting.pk).update(created_at=old)
    paths = {job.pk: Path(job.file.path) for job in (ended, fresh, waiting)}
    assert all(path.exists() for path in paths.values())

    done = import_jobs_sweep_task()
    assert (done["files_deleted"], done["expired"]) == (2, 1)
    for job in (ended, fresh, waiting):
        job.refresh_from_db()
    assert (ended.file.name, paths[ended.pk].exists()) == ("", False)
    assert (fresh.file.name != "", paths[fresh.pk].exists()) == (True, True)
    assert (waiting.status, waiting.file.name, paths[waiting.pk].exists()) == ("failed", "", False)
    assert "not confirmed within 3 days" in waiting.report["crash"]
    # Without its file a job cannot be retried.
    assert ImportJob.objects.filter(file="").count() == 2
