"""The error table for people: an Excel download with Chinese headers (行, 列, 原因), linked from the import
page beside the machine-readable errors.csv, whose header stays `line,column,reason`."""

import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

BAD = "external_id,name,phone\nKH1,张三,13800138000\nKH2,李四,12345\n"


@pytest.fixture
def job(client, operator):
    client.login(username=operator.username, password=PASSWORD)
    upload = SimpleUploadedFile("members.csv", BAD.encode("utf-8"), content_type="text/csv")
    client.post(reverse("imports:import-list"), {"kind": "members", "file": upload})
    job = ImportJob.objects.get()
    job.report["errors"] = [*job.report["errors"], [4, "=phone", "=HYPERLINK(1)"]]  # text stays text
    job.save()
    return job


def test_errors_xlsx_has_chinese_headers_and_every_error(client, job):
    response = client.get(reverse("imports:import-errors-xlsx", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"导入{job.pk}-错误明细.xlsx" in unquote(response["Content-Disposition"])
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    assert rows[0] == ("行", "列", "原因")
    assert rows[1][:2] == (3, "phone")
    assert "12345" in rows[1][2]
    assert rows[2] == (4, "'=phone", "'=HYPERLINK(1)")
    assert sheet["B3"].data_type == "s"  # a string, not a formula


def test_import_page_links_both_downloads_and_the_csv_keeps_its_header(client, job):
    page = client.get(reverse("imports:import-detail", args=[job.pk])).content.decode()
    assert reverse("imports:import-errors-xlsx", args=[job.pk]) in page
    assert "下载错误明细（Excel）" in page
    assert reverse("imports:import-errors", args=[job.pk]) in page
    body = client.get(reverse("imports:import-errors", args=[job.pk])).content.decode("utf-8-sig")
    assert body.splitlines()[0] == "line,column,reason"


def test_errors_xlsx_is_only_for_the_jobs_owner(client, job, manager):
    client.login(username=manager.username, password=PASSWORD)
    assert client.get(reverse("imports:import-errors-xlsx", args=[job.pk])).status_code == 403
