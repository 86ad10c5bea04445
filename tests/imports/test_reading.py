"""Reading import files as bounded streams: XLSX without python-calamine's whole-sheet grid, decompression
bombs and files past the limits refused by name, with `line N, column C` where one applies (issue 11, item 2)."""

import datetime as dt
import io
import time
import tracemalloc
import zipfile

import pytest
import xlsxwriter
from django.utils import translation
from python_calamine import CalamineWorkbook

from imports.limits import Limits
from imports.reading import open_table
from imports.report import ImportFileError
from imports.table import cell_text
from tests.members.test_import_members import run, write

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def rows_of(table, chunk_rows=2):
    return [
        (int(line), row)
        for frame in table.chunks(chunk_rows)
        for line, row in zip(frame.index, frame.values.tolist(), strict=True)
    ]


def refusal(source, **options) -> str:
    def read():
        return rows_of(open_table(source, **options), 1000)

    with pytest.raises(ImportFileError) as caught:
        read()
    return str(caught.value)


def test_xlsx_stream_gives_the_text_python_calamine_gave(tmp_path):
    path = tmp_path / "cells.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    clock = book.add_format({"num_format": "hh:mm:ss"})
    chinese = book.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, ["a", "b", "c", "d", "e", "f"])
    sheet.write_row(1, 0, [1001, "张三", 0.1 + 0.2, None, True])
    sheet.write_datetime(1, 3, dt.datetime(2026, 3, 5), day)  # noqa: DTZ001 - spreadsheet cells are naive
    sheet.write_formula(1, 5, "=1+2", None, 3)
    sheet.write_row(2, 0, [13800138000, "a&b<c>", 1234.5, None, False, "x"])
    sheet.write_datetime(2, 3, dt.datetime(2026, 3, 5, 14, 30, 15, 250000), clock)  # noqa: DTZ001
    sheet.write_row(4, 0, [-3.25, "中文", 1e20])
    sheet.write_rich_string(6, 1, "plain ", bold, "bold", " end")
    sheet.write_datetime(6, 3, dt.datetime(2026, 1, 2), chinese)  # noqa: DTZ001
    sheet.write_string(8, 5, "far")
    book.close()

    mine = rows_of(open_table(path))
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    theirs = [(line, [cell_text(v) for v in row]) for line, row in enumerate(grid, start=1) if line > 1 and any(row)]
    assert mine == theirs
    assert [line for line, _row in mine] == [2, 3, 5, 7, 9]  # the sheet's own row numbers
    assert mine[0][1] == ["1001", "张三", "0.3", "2026-03-05", "true", "3"]


def _bomb(path, unpacked_bytes: int):
    cell = b'<c r="A2" t="inlineStr"><is><t>x</t></is></c>'
    rows = b"<row>" + cell * 1000 + b"</row>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets>'
            '<sheet name="S" sheetId="1"/></sheets></workbook>',
        )
        with bomb.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>')
            for _ in range(unpacked_bytes // len(rows)):
                sheet.write(rows)
            sheet.write(b"</sheetData></worksheet>")


def test_xlsx_decompression_bomb_is_refused_from_the_zip_directory(tmp_path):
    path = tmp_path / "bomb.xlsx"
    _bomb(path, 64 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    started = time.monotonic()
    message = refusal(path)
    assert time.monotonic() - started < 2
    assert message.startswith("line 1: the workbook's xl/worksheets/sheet1.xml unpacks to")
    assert "IMPORT_XLSX_MAX_RATIO" in message
    # Within the ratio but past the total it may unpack to: refused too.
    limits = Limits.from_settings()
    small = Limits(**{**limits.__dict__, "xlsx_max_ratio": 10**6, "xlsx_max_unpacked_bytes": 1024 * 1024})
    assert "IMPORT_XLSX_MAX_UNPACKED_BYTES" in refusal(path, limits=small)


def test_a_ten_megabyte_header_is_refused_by_name_not_a_csv_traceback(tmp_path):
    path = write(tmp_path, "external_id,name," + "x" * (10 * 1024 * 1024) + "\nKH1,张三,\n")
    status, _out, err = run("import_members", path)
    assert status == 1
    assert "line 1: the header is longer than 1,048,576 characters (IMPORT_MAX_HEADER_CHARS)" in err
    assert "Traceback" not in err
    assert "field larger than field limit" not in err


def test_limits_name_the_line_and_column(tmp_path, settings):
    settings.IMPORT_MAX_CELL_CHARS = 10
    settings.IMPORT_MAX_ROWS = 3
    path = write(tmp_path, "external_id,name\nKH1,张三\nKH2,abcdefghijk\n")
    assert refusal(path) == "line 3, column name: the value is longer than 10 characters (IMPORT_MAX_CELL_CHARS)"
    path = write(tmp_path, "external_id,name\n" + "".join(f"KH{i},张三\n" for i in range(4)))
    assert refusal(path) == "line 5: the file has more than 3 rows (IMPORT_MAX_ROWS)"
    settings.IMPORT_MAX_COLUMNS = 2
    path = write(tmp_path, "external_id,name,phone\nKH1,张三,\n")
    assert "line 1: the header has 3 columns; at most 2 are accepted (IMPORT_MAX_COLUMNS)" == refusal(path)
    settings.IMPORT_MAX_FILE_BYTES = 10
    assert "(IMPORT_MAX_FILE_BYTES)" in refusal(path)
    # An unclosed quote cannot make the reader hold the rest of the file as one row.
    settings.IMPORT_MAX_FILE_BYTES = 10**9
    settings.IMPORT_MAX_COLUMNS = 10
    path = write(tmp_path, 'external_id,name\nKH1,"张三\n' + "KH2,李四\n" * 1000)
    assert "(IMPORT_MAX_CELL_CHARS; a quote that is never closed?)" in refusal(path)


def test_xlsx_limits_name_the_cell(tmp_path, settings):
    settings.IMPORT_MAX_CELL_CHARS = 5
    path = tmp_path / "long.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["external_id", "name"])
    sheet.write_row(1, 0, ["KH1", "张三"])
    sheet.write_row(2, 0, ["KH2", "abcdefg"])
    book.close()
    assert refusal(path) == "line 3, column B: the value is longer than 5 characters (IMPORT_MAX_CELL_CHARS)"


def test_csv_is_read_in_bounded_pieces_that_keep_quoted_newlines(tmp_path):
    # Rows with quoted newlines and quotes across the pieces' cuts (chunk_rows 7, pieces of 64 KB+).
    rows = [f'KH{i},"名字 {i}\n第二行 ""{i}""",{i}' for i in range(20_000)]
    path = write(tmp_path, "external_id,name,n\n" + "\n".join(rows) + "\n")
    read = rows_of(open_table(path), chunk_rows=7)
    assert len(read) == 20_000
    assert read[12_345] == (2 + 12_345, ["KH12345", '名字 12345\n第二行 "12345"', "12345"])
    assert [line for line, _row in read[:3]] == [2, 3, 4]


def test_a_file_object_is_read_as_a_stream_too(tmp_path):
    table = open_table(io.BytesIO("external_id,name\nKH1,张三\n".encode("gb18030")))
    assert (table.encoding, rows_of(table)) == ("GB18030", [(2, ["KH1", "张三"])])


def test_two_cells_far_apart_cost_nothing(tmp_path):
    # python-calamine made a grid of every cell between A1 and XFD1048576 (17 billion) of this 6 KB file.
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["external_id", "name"])
    sheet.write_row(1, 0, ["KH1", "张三"])
    sheet.write_number(1_048_575, 16_383, 1)
    book.close()
    started = time.monotonic()
    assert refusal(path) == "line 1048576, column XFD: the row has values beyond the last header column"
    assert time.monotonic() - started < 2


def test_an_unclosed_quote_is_refused_without_holding_the_rest_of_the_file(tmp_path):
    path = tmp_path / "open-quote.csv"
    path.write_bytes(b'external_id,name\nKH1,"unclosed\n' + "KH2,张三\n".encode() * 3_000_000)  # 33 MB
    table = open_table(path)
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError) as caught:
            rows_of(table, 50_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value).startswith("line 2: the row is longer than any row of 2 cells")
    assert peak < 12 * 1024 * 1024  # pieces stay within the first piece and the longest valid row (was 4×33 MB)
