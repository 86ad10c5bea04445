"""The recap page on the demo: who may open it, what it shows, the retrospective kept with the period, the
kept snapshot that late imports do not change until it is regenerated (and then says what changed), the
XLSX and HTML downloads and the `recap` command — all from the same document."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from analytics.models import Recap, RecapNote
from analytics.recap import snapshots
from analytics.recap.periods import parse_period
from campaigns.models import Campaign, Order
from core.money import yuan
from core.roles import Role
from tests.analytics.recap_demo import NOW
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

URL = reverse("analytics:recap")


@pytest.fixture
def users(recap_demo):
    return {role: make_user(f"recap-{role}", role) for role in (Role.MANAGER, Role.OPERATOR, Role.AGENT)}


def test_recap_page_for_a_manager_reads_the_month(client, users):
    client.force_login(users[Role.MANAGER])
    response = client.get(URL, {"period": "2026-11"})
    assert response.status_code == 200
    html = response.content.decode()
    doc = Recap.objects.get(period="2026-11").document
    total = doc["targets"]["total"]
    assert yuan(total["gmv"]) in html
    assert yuan(total["target"]) == "¥300,000.00"
    for key in ("recap-targets", "recap-why", "recap-movers", "recap-groups", "recap-rates", "recap-systems",
                "recap-problems", "recap-retrospective", "chart-targets", "chart-waterfall"):  # fmt: skip
        assert f'data-testid="{key}"' in html, key
    # Every campaign links to its live page; the not-yet-built sources say so.
    for campaign in Campaign.objects.filter(starts_at__month=11):
        assert reverse("campaigns:campaign-live", args=[campaign.pk]) in html
    assert "尚未统计" in html
    assert 'data-testid="recap-regenerate"' in html
    # The demo's month comes with the team's retrospective (demo/recap.py).
    assert "落地页不适配手机" in html


def test_recap_page_is_refused_to_an_agent_and_read_by_an_operator(client, users):
    client.force_login(users[Role.AGENT])
    assert client.get(URL).status_code == 403
    client.force_login(users[Role.OPERATOR])
    response = client.get(URL, {"period": "2026-W47"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="recap-note-save"' in html
    assert 'data-testid="recap-regenerate"' not in html
    assert client.post(reverse("analytics:recap-regenerate"), {"period": "2026-W47"}).status_code == 403


def test_recap_page_bad_period_is_said_beside_the_field(client, users):
    client.force_login(users[Role.MANAGER])
    response = client.get(URL, {"period": "2026-W99"})
    assert response.status_code == 200
    assert 'data-testid="field-error"' in response.content.decode()


def test_recap_retrospective_is_kept_with_the_period(client, users):
    client.force_login(users[Role.OPERATOR])
    response = client.post(reverse("analytics:recap-note"), {"period": "2026-W47", "text": "落地页不适配手机"})
    assert response.status_code == 302
    note = RecapNote.objects.get(period="2026-W47")
    assert note.text == "落地页不适配手机"
    assert note.updated_by == users[Role.OPERATOR]
    client.force_login(users[Role.MANAGER])
    assert "落地页不适配手机" in client.get(URL, {"period": "2026-W47"}).content.decode()
    assert "落地页不适配手机" not in client.get(URL, {"period": "2026-W46"}).content.decode()
    client.force_login(users[Role.AGENT])
    assert client.post(reverse("analytics:recap-note"), {"period": "2026-W47", "text": "x"}).status_code == 403


def test_recap_snapshot_holds_after_a_late_import_until_regenerated(client, users):
    client.force_login(users[Role.MANAGER])
    period = parse_period("2026-W47")
    before = snapshots.recap_get(period, now=NOW).document
    some = Order.objects.filter(placed_at__gte=period.bounds[0], placed_at__lt=period.bounds[1]).first()
    Order.objects.create(
        order_id="LATE-IMPORT-1", member=some.member, group=some.group,
        placed_at=period.bounds[0] + dt.timedelta(days=2), amount=Decimal("1234.00"), status=Order.Status.PAID,
    )  # fmt: skip
    assert snapshots.recap_get(period, now=NOW).document == before
    response = client.post(reverse("analytics:recap-regenerate"), {"period": "2026-W47"})
    assert response.status_code == 302
    html = client.get(URL, {"period": "2026-W47"}).content.decode()
    assert 'data-testid="recap-changes"' in html
    expected = Decimal(before["groups"]["platform"]["gmv"]) + Decimal("1234.00")
    assert yuan(expected) in html
    after = Recap.objects.get(period="2026-W47").document
    assert after["groups"]["platform"]["gmv"] == f"{expected:.2f}"


def test_recap_xlsx_has_a_sheet_per_table_with_number_formats(client, users):
    client.force_login(users[Role.MANAGER])
    RecapNote.objects.update_or_create(period="2026-11", defaults={"text": "首日技术问题"})
    response = client.get(URL, {"period": "2026-11", "export": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["目标与实际", "群", "四率", "转化矩阵", "六大系统", "问题", "复盘总结", "图表"]
    targets = book["目标与实际"]
    doc = Recap.objects.get(period="2026-11").document
    assert [targets.cell(row=r, column=2).value for r in range(4, 8)] == [
        c["name"] for c in doc["targets"]["campaigns"]
    ]
    assert targets.cell(row=4, column=5).number_format == '"¥"#,##0.00;"−¥"#,##0.00'  # as core.money.yuan
    assert targets.cell(row=4, column=9).number_format == "0.0%"
    assert targets.cell(row=4, column=3).number_format == "yyyy-mm-dd hh:mm"
    assert targets.cell(row=4, column=3).is_date
    total_row = 8
    assert Decimal(str(targets.cell(row=total_row, column=6).value)) == Decimal(doc["targets"]["total"]["gmv"])
    assert book["复盘总结"]["A3"].value == "首日技术问题"
    assert book["图表"]._charts, "the native chart"


def test_recap_command_writes_html_and_xlsx_from_the_kept_recap(tmp_path, recap_demo):
    out = io.StringIO()
    call_command("recap", "--month", "2026-11", "--out", str(tmp_path / "r.html"), stdout=out)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    doc = Recap.objects.get(period="2026-11").document
    assert yuan(doc["targets"]["total"]["gmv"]) in html
    assert "echarts" in html
    call_command("recap", "--week", "2026-W47", "--out", str(tmp_path / "r.xlsx"), stdout=out)
    assert "目标与实际" in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames
    assert "4 campaigns" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-11"], "not a week"),
        (["--month", "2026-W47"], "not a month"),
        (["--week", "2026-W60"], "neither an ISO week"),
    ],
)
def test_recap_command_says_what_is_wrong(tmp_path, db, args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("recap", *args, "--out", str(tmp_path / "r.html"))


def test_recap_command_refuses_an_unknown_format(tmp_path, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"\.html or \.pdf or \.xlsx"):
        call_command("recap", "--week", "2026-W47", "--out", str(tmp_path / "r.csv"))
