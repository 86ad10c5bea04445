"""The recap's files read back by the programs a manager opens them with, all on one loaded demo (one load for
the module): the PDF through poppler — page 1 rendered to PNG (`pdftoppm`) is not blank and carries the
target-vs-actual chart in its colours; the text (`pdftotext`) has the Chinese headings and the document's
numbers beside their tables; the CJK font is embedded (`pdffonts`); an empty week reads "—" — and the XLSX
through LibreOffice (`soffice --headless --convert-to csv`, every sheet, each cell as LibreOffice shows it): the
expected sheets, money as ¥, ratios as %, dates as dates, "—" where a denominator is empty (openpyxl reads the
same workbook in test_recap_page.py)."""

import csv
import io
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from analytics.models import Recap, RecapNote
from analytics.recap import pdf, present
from analytics.recap.data import build_recap
from analytics.recap.periods import parse_period
from core.money import yuan
from core.roles import Role
from tests.analytics.recap_demo import NOW
from tests.conftest import make_user

# soffice and poppler come from bin/system-packages: without them these tests fail; they never skip.
pytestmark = pytest.mark.django_db

BLUE = (0x20, 0x6B, 0xC4)  # the GMV bars (analytics/recap/charts.py ACTUAL)
GREY = (0xA3, 0xB1, 0xC6)  # the target bars (TARGET)


def poppler(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def first_page_png(path: Path, tmp_path: Path) -> np.ndarray:
    """Page 1 at 60 dpi as an (height, width, 3) array of RGB values."""
    poppler("pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", str(path), str(tmp_path / "page"))
    (png,) = tmp_path.glob("page*.png")
    return np.asarray(Image.open(png).convert("RGB"), dtype=np.int16)


def count_near(image: np.ndarray, colour, tolerance=24) -> int:
    return int((np.abs(image - np.array(colour)) <= tolerance).all(axis=2).sum())


def test_recap_pdf_page_one_has_the_title_headline_and_the_chart(tmp_path, recap_demo):
    RecapNote.objects.update_or_create(period="2026-11", defaults={"text": "落地页不适配手机，首日技术问题"})
    out = io.StringIO()
    call_command("recap", "--month", "2026-11", "--out", str(tmp_path / "recap.pdf"), stdout=out)
    path = tmp_path / "recap.pdf"
    if os.environ.get("BROWSER_ARTIFACTS"):
        shutil.copy(path, Path(os.environ["BROWSER_ARTIFACTS"]) / "recap-demo-month.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    assert "4 campaigns" in out.getvalue()

    image = first_page_png(path, tmp_path)
    height, width, _rgb = image.shape
    assert height > width, "A4 portrait"
    ink = int((image.sum(axis=2) < 600).sum())
    blue, grey = count_near(image, BLUE), count_near(image, GREY)
    assert ink > 0.02 * height * width, "page 1 is not blank"
    # Four campaigns' bars, target and GMV: thousands of pixels each at 60 dpi (a title rule is a few hundred).
    assert blue > 2000, blue
    assert grey > 2000, grey

    doc = Recap.objects.get(period="2026-11").document
    page_one = poppler("pdftotext", "-f", "1", "-l", "1", "-layout", str(path), "-")
    for heading in ("复盘 · 2026年11月", "2026-11-01 – 2026-11-30", "目标与实际", "活动营业额对比目标", "平台营业额"):
        assert heading in page_one, heading
    total = doc["targets"]["total"]
    assert yuan(total["gmv"]) in page_one
    assert yuan(total["target"]) == "¥300,000.00"
    assert "¥300,000.00" in page_one
    # A long name wraps in its table cell: compared without the line breaks and spaces the layout adds.
    flat = "".join(poppler("pdftotext", "-f", "1", "-l", "1", str(path), "-").split())
    for campaign in doc["targets"]["campaigns"]:
        assert "".join(campaign["name"].split()) in flat, campaign["name"]
    # The headline names the table each number comes from.
    assert "→ §1" in page_one

    text = poppler("pdftotext", "-layout", str(path), "-")
    for heading in ("群：营业额", "四个比率", "六大系统", "问题", "复盘总结"):
        assert heading in text, heading
    assert "落地页不适配手机，首日技术问题" in text
    for group in doc["groups"]["groups"][:3]:
        assert group["name"] in text
    fonts = poppler("pdffonts", str(path))
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), "the CJK font is embedded"


def test_recap_pdf_of_a_week_without_orders_reads_dashes(tmp_path, db):
    doc = build_recap(parse_period("2026-W40"), now=NOW)
    path = tmp_path / "empty.pdf"
    path.write_bytes(pdf.render_pdf(doc))
    text = poppler("pdftotext", "-layout", str(path), "-")
    assert "本期没有活动。" in text
    assert "—" in text
    # No campaign, no bars: what blue there is is the title's rule and the section numbers.
    image = first_page_png(path, tmp_path)
    assert count_near(image, BLUE) < 2000


def test_recap_pdf_download_from_the_page(client, recap_demo):
    client.force_login(make_user("recap-pdf-manager", Role.MANAGER))
    page = client.get(reverse("analytics:recap"), {"period": "2026-W47"}).content.decode()
    assert 'data-testid="recap-pdf"' in page
    response = client.get(reverse("analytics:recap"), {"period": "2026-W47", "export": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="recap-2026-W47.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")
    client.force_login(make_user("recap-pdf-agent", Role.AGENT))
    assert client.get(reverse("analytics:recap"), {"period": "2026-W47", "export": "pdf"}).status_code == 403


SHEETS = ["目标与实际", "群", "四率", "转化矩阵", "六大系统", "问题", "复盘总结", "图表"]
# CSV export options (LibreOffice's filter tokens): comma, double quotes, UTF-8, from line 1, US English
# number separators, cells as shown (token 9: the number formats applied), every sheet to its own file (-1).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,true,false,false,-1"


def libreoffice_sheets(xlsx: Path, tmp_path: Path) -> dict[str, list[list[str]]]:
    out = tmp_path / "csv"
    out.mkdir()
    profile = tmp_path / "lo-profile"  # its own profile: parallel runs never share LibreOffice's lock
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", CSV_FILTER,
         "--outdir", str(out), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    sheets = {}
    for path in out.glob(f"{xlsx.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem.removeprefix(f"{xlsx.stem}-")] = list(csv.reader(handle))
    return sheets


def percent(value: str | None) -> str:
    return present.show(value, "ratio")


def test_recap_xlsx_reads_in_libreoffice_with_its_sheets_and_formats(tmp_path, recap_demo):
    RecapNote.objects.update_or_create(period="2026-11", defaults={"text": "首日技术问题"})
    xlsx = tmp_path / "recap.xlsx"
    call_command("recap", "--month", "2026-11", "--out", str(xlsx))
    doc = Recap.objects.get(period="2026-11").document
    sheets = libreoffice_sheets(xlsx, tmp_path)
    assert sorted(sheets) == sorted(SHEETS)

    targets = sheets["目标与实际"]
    assert targets[0][0].startswith("目标与实际 · 2026年11月")
    assert targets[2][:5] == ["活动编号", "活动", "开始", "结束", "目标"]
    for row, campaign in zip(targets[3:7], doc["targets"]["campaigns"], strict=True):
        starts = datetime.fromisoformat(campaign["starts_at"])
        assert row[1] == campaign["name"]
        assert row[2] == f"{starts:%Y-%m-%d %H:%M}", "a date in the sheet's date format, in Shanghai time"
        assert row[4] == yuan(campaign["target"]) == "¥75,000.00"
        assert row[5] == yuan(campaign["gmv"])
        assert row[8] == percent(campaign["attainment"])
    total = targets[7]
    assert total[1] == "合计"
    assert (total[4], total[5]) == ("¥300,000.00", yuan(doc["targets"]["total"]["gmv"]))
    assert total[8] == percent(doc["targets"]["total"]["attainment"])

    groups = sheets["群"]
    platform = next(row for row in groups if row[1] == "平台")
    p = doc["groups"]["platform"]
    assert platform[2] == yuan(p["gmv"])
    assert platform[5] == str(p["core_members"])
    assert platform[6] == f"{float(p['repurchases']):.2f}"
    assert platform[11] == yuan(p["delta"])

    systems = {row[0]: row for row in sheets["六大系统"][3:]}
    for s in doc["systems"]:
        row = systems[str(present.SYSTEM_LABELS[s["key"]])]
        if not s["tracked"]:
            assert row[1] == "尚未统计"
        elif s["value"] is None:
            assert row[1] == "—", s["key"]  # an empty denominator, as on the page
        elif s["unit"] in ("ratio", "money"):
            assert row[1] == present.show(s["value"], s["unit"]), s["key"]

    rates = sheets["四率"]
    platform_rates = next(row for row in rates if row[1] == "平台")
    block = doc["rates"]["platform"]
    assert platform_rates[2:6] == [percent(block[k]) for k in present.RATE_LABELS]
    assert block["reactivation_rate"] is None, "no dormant member to reactivate in the demo's month"
    assert platform_rates[5] == "—"
    assert sheets["复盘总结"][2][0] == "首日技术问题"
