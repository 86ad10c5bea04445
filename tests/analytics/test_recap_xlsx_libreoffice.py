"""The recap's XLSX opened by LibreOffice (`soffice --headless --convert-to csv`, every sheet, each cell as
LibreOffice shows it): the expected sheets, money as ¥, ratios as %, dates as dates, "—" where a denominator is
empty. openpyxl reads the same file in test_recap_page.py; this is the other reader a manager may use."""

import csv
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from analytics.models import Recap, RecapNote
from analytics.recap import present
from core.money import yuan

# soffice and poppler come from bin/system-packages: without them these tests fail; they never skip.
pytestmark = pytest.mark.django_db

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
    assert targets[0][0].startswith("目标与实际 · 2026-11")
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
