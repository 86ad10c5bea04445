"""import_members: encodings, Excel cells, tags, groups, referrals, and the all-or-nothing rule."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django.utils import translation

from imports.jobs import import_file
from members.models import Member, Membership
from tests.members.factories import GroupFactory, MemberFactory, TagFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def run(command: str, path, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        try:
            call_command(command, str(path), *args, stdout=out, stderr=err)
        except CommandError as exc:
            err.write(str(exc))
            return 1, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path, text: str, name: str = "members.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def codebook(db):
    return {code: TagFactory(code=code) for code in ("3", "D", "V1")}


def test_import_members_gb18030_csv_from_excel_keeps_chinese_names():
    # As Excel on a Chinese Windows saves "CSV (逗号分隔)": GBK bytes, CRLF, no BOM.
    path = FIXTURES / "members_excel_gb18030.csv"
    assert "张三".encode("gb18030") in path.read_bytes()
    status, out, err = run("import_members", path)
    assert status == 0, err
    assert out.strip() == "created 3, updated 0, unchanged 0, invalid 0"
    assert dict(Member.objects.values_list("external_id", "name")) == {
        "KH001": "张三",
        "KH002": "李秀英",
        "KH003": "欧阳娜娜",
    }
    member = Member.objects.get(external_id="KH001")
    assert (member.store_name, member.region, member.phone) == ("成都高新康泰大药房", "四川省成都市", "+8613800138000")
    assert Member.objects.get(external_id="KH003").phone == "+862885551234"  # a Chengdu landline


def test_import_members_utf8_with_bom_and_gb18030_rare_characters(tmp_path):
    text = "external_id,name,store_name\nKH1,王𠮷,𠮷野家药房\nKH2,冯喆,喆喆诊所\n"
    status, _out, err = run("import_members", write(tmp_path, text, encoding="utf-8-sig"))
    assert status == 0, err
    assert Member.objects.get(external_id="KH1").name == "王𠮷"  # outside the BMP; GBK cannot even encode it
    # The same names in GB18030 (which, unlike GBK, covers all of Unicode).
    text = text.replace("KH1", "KH3").replace("KH2", "KH4")
    status, _out, err = run("import_members", write(tmp_path, text, name="gb.csv", encoding="gb18030"))
    assert status == 0, err
    assert Member.objects.get(external_id="KH3").store_name == "𠮷野家药房"
    assert Member.objects.get(external_id="KH4").name == "冯喆"


def test_import_members_xlsx_with_phone_as_number_and_date_cells(tmp_path):
    group = GroupFactory(code="G1")
    path = tmp_path / "members.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(
        0, 0, ["external_id", "name", "phone", "cumulative_purchase", "joined_at", "last_active_at", "group"]
    )
    sheet.write_number(1, 0, 1001)  # an id typed as a number
    sheet.write_string(1, 1, "赵敏")
    sheet.write_number(1, 2, 13800138000)  # Excel keeps phones as numbers: 13800138000.0
    sheet.write_number(1, 3, 1234.5)
    sheet.write_datetime(1, 4, datetime(2026, 3, 5), day)  # noqa: DTZ001 - a spreadsheet date cell is naive
    sheet.write_datetime(1, 5, datetime(2026, 3, 5, 23, 59), moment)  # noqa: DTZ001 - naive local time
    sheet.write_string(1, 6, "G1")
    book.close()

    status, out, err = run("import_members", path)
    assert status == 0, err
    member = Member.objects.get()
    assert member.external_id == "1001"
    assert member.phone == "+8613800138000"
    assert member.cumulative_purchase == Decimal("1234.50")
    assert member.last_active_at == datetime(2026, 3, 5, 15, 59, tzinfo=UTC)
    membership = Membership.objects.get(member=member)
    assert (membership.group, membership.status) == (group, "active")
    assert membership.joined_at == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)  # the date alone is 00:00 local

    # The same data as CSV text is the same member: nothing changes.
    csv_text = (
        "external_id,name,phone,cumulative_purchase,joined_at,last_active_at,group\n"
        "1001,赵敏,138 0013 8000,1234.50,2026-03-05,2026-03-05 23:59,G1\n"
    )
    status, out, _err = run("import_members", write(tmp_path, csv_text))
    assert (status, out.strip()) == (0, "created 0, updated 0, unchanged 1, invalid 0")


def test_import_members_tags_group_and_referrals(tmp_path, codebook):
    group = GroupFactory(code="G1")
    text = (
        "external_id,name,tags,group,joined_at,referred_by\n"
        "KH1,甲,3;D,G1,2026-01-10 09:00,KH2\n"  # referred by a member further down the same file
        "KH2,乙,,,,\n"
        "KH3,丙, V1 ；3 ,G1,,KH1\n"  # full-width separator and spaces are fine
    )
    status, _out, err = run("import_members", write(tmp_path, text))
    assert status == 0, err
    kh1, kh2, kh3 = Member.objects.order_by("external_id")
    assert sorted(kh1.tags.values_list("code", flat=True)) == ["3", "D"]
    assert sorted(kh3.tags.values_list("code", flat=True)) == ["3", "V1"]
    assert (kh1.referred_by, kh3.referred_by, kh2.referred_by) == (kh2, kh1, None)
    assert Membership.objects.get(member=kh1, group=group).joined_at == datetime(2026, 1, 10, 1, 0, tzinfo=UTC)
    assert Membership.objects.get(member=kh3, group=group).joined_at is not None  # the import's time
    assert not Membership.objects.filter(member=kh2).exists()

    # Changing tags replaces them; an empty tags cell clears them; memberships are kept, not duplicated.
    text = "external_id,tags,group\nKH1,V1,G1\nKH3,,G1\n"
    status, out, _err = run("import_members", write(tmp_path, text))
    assert (status, out.strip()) == (0, "created 0, updated 2, unchanged 0, invalid 0")
    assert list(kh1.tags.values_list("code", flat=True)) == ["V1"]
    assert not kh3.tags.exists()
    assert Membership.objects.filter(group=group).count() == 2


def test_import_members_invited_membership_becomes_active(tmp_path):
    group = GroupFactory(code="G1")
    member = MemberFactory(external_id="KH1")
    invited = Membership.objects.create(member=member, group=group, status="invited")
    status, out, _err = run("import_members", write(tmp_path, "external_id,group,joined_at\nKH1,G1,2026-02-01\n"))
    assert (status, out.strip()) == (0, "created 0, updated 1, unchanged 0, invalid 0")
    invited.refresh_from_db()
    assert (invited.status, invited.joined_at) == ("active", datetime(2026, 1, 31, 16, 0, tzinfo=UTC))
    assert Membership.objects.count() == 1


def test_import_members_bad_file_names_every_bad_line_and_writes_nothing(tmp_path, codebook):
    GroupFactory(code="G1")
    MemberFactory(external_id="OLD", name="老客户")
    text = (
        "external_id,name,phone,cumulative_purchase,last_active_at,tags,group,joined_at,referred_by\n"
        "KH1,好人,13800138000,10.50,2026-03-01,3,G1,2026-03-01,OLD\n"
        "KH2,坏电话,12345,0,,,,,\n"
        "KH3,坏金额,,12.345,,,,,\n"
        "KH4,负数,,-5,,,,,\n"
        "KH5,坏日期,,,2026-13-01,,,,\n"
        "KH6,坏标签,,,,3;X;Y,,,\n"
        "KH7,坏群,,,,,G9,,\n"
        "KH8,无群入群,,,,,,2026-03-01,\n"
        "KH9,自荐,,,,,,,KH9\n"
        "KH10,无推荐人,,,,,,,NOBODY\n"
        "KH1,重复,,,,,,,\n"
        ",无编号,,,,,,,\n"
    )
    status, _out, err = run("import_members", write(tmp_path, text))
    assert status == 1
    expected = [
        "line 3, column phone: “12345” is not a phone number",
        "line 4, column cumulative_purchase: “12.345” is not an amount",
        "line 5, column cumulative_purchase: “-5” is not an amount",
        "line 6, column last_active_at: “2026-13-01” is not a date or time",
        "line 7, column tags: unknown tag code(s) “X, Y”",
        "line 8, column group: no group has code “G9”",
        "line 9, column joined_at: joined_at needs a group",
        "line 10, column referred_by: a member cannot refer themselves",
        "line 11, column referred_by: no member has external_id “NOBODY”",
        "line 12, column external_id: duplicate external_id: first on line 2",
        "line 13, column external_id: a value is required",
    ]
    for line in expected:
        assert line in err
    lines = [line for line in err.splitlines() if line.startswith("line ")]
    assert len(lines) == len(expected)
    assert [int(line.split(",")[0].split()[1]) for line in lines] == sorted(range(3, 14))
    assert "11 invalid rows: nothing was written" in err
    assert list(Member.objects.values_list("external_id", flat=True)) == ["OLD"]
    assert not Membership.objects.exists()


def test_import_members_skip_invalid_writes_valid_rows_and_cascades_referrers(tmp_path):
    text = (
        "external_id,name,phone,referred_by\n"
        "KH1,甲,13800138000,\n"
        "KH2,乙,not-a-phone,\n"  # invalid: skipped
        "KH3,丙,,KH2\n"  # its referrer is skipped, so it cannot be written either
        "KH4,丁,,KH1\n"
    )
    path = write(tmp_path, text)
    status, _out, err = run("import_members", path)
    assert status == 1
    assert "line 4" not in err  # without skipping, KH2 is only asked to be fixed
    assert not Member.objects.exists()

    status, out, err = run("import_members", path, "--skip-invalid")
    assert status == 0
    assert out.strip() == "created 2, updated 0, unchanged 0, invalid 2"
    assert "line 3, column phone: “not-a-phone” is not a phone number" in err
    assert "line 4, column referred_by: the referrer “KH2” is on line 3, which is invalid" in err
    assert sorted(Member.objects.values_list("external_id", flat=True)) == ["KH1", "KH4"]
    assert Member.objects.get(external_id="KH4").referred_by.external_id == "KH1"


def test_import_members_dry_run_counts_without_writing(tmp_path):
    MemberFactory(external_id="KH1", name="甲", phone="")
    path = write(tmp_path, "external_id,name\nKH1,甲\nKH2,乙\nKH3,丙\n")
    status, out, _err = run("import_members", path, "--dry-run")
    assert (status, out.strip()) == (0, "created 2, updated 0, unchanged 1, invalid 0 (dry run: nothing written)")
    assert Member.objects.count() == 1


def test_import_members_reimport_changes_nothing_and_keeps_updated_at(tmp_path, codebook):
    GroupFactory(code="G1")
    text = (
        "external_id,name,phone,region,store_name,wechat_nickname,cumulative_purchase,last_active_at,tags,group,"
        "joined_at,referred_by\n"
        "KH1,甲,+86 138-0013-8000,四川省成都市,甲药房,阿甲,100,2026-03-01 08:00:00,3;D,G1,2026-02-01,\n"
        "KH2,乙,02885551234,四川省德阳市,乙诊所,,0.5,2026-03-02T08:00:00+08:00,,G1,,KH1\n"
    )
    assert run("import_members", write(tmp_path, text))[0] == 0
    stamps = dict(Member.objects.values_list("external_id", "updated_at"))
    memberships = list(Membership.objects.values_list("id", "joined_at").order_by("id"))

    status, out, _err = run("import_members", write(tmp_path, text))
    assert (status, out.strip()) == (0, "created 0, updated 0, unchanged 2, invalid 0")
    assert dict(Member.objects.values_list("external_id", "updated_at")) == stamps
    assert list(Membership.objects.values_list("id", "joined_at").order_by("id")) == memberships

    # A file with only some columns updates those and leaves the rest.
    status, out, _err = run("import_members", write(tmp_path, "external_id,phone\nKH1,13900139000\nKH2,02885551234\n"))
    assert (status, out.strip()) == (0, "created 0, updated 1, unchanged 1, invalid 0")
    kh1 = Member.objects.get(external_id="KH1")
    assert (kh1.phone, kh1.name, kh1.store_name) == ("+8613900139000", "甲", "甲药房")
    assert sorted(kh1.tags.values_list("code", flat=True)) == ["3", "D"]
    assert Member.objects.get(external_id="KH2").updated_at == stamps["KH2"]


def test_import_file_accepts_a_dataframe_for_programs(db):
    import pandas as pd

    frame = pd.DataFrame(
        {"external_id": ["KH1", "KH2"], "name": ["甲", "乙"], "last_active_at": [date(2026, 3, 5), None]}
    )
    report = import_file(kind="members", source=frame)
    assert (report.created, report.invalid, report.written) == (2, 0, True)
    assert Member.objects.get(external_id="KH1").last_active_at == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    assert Member.objects.get(external_id="KH2").last_active_at is None


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("groups", "code,name"),
        ("members", "external_id,name"),
        ("orders", "order_id,member_external_id,placed_at,amount"),
    ],
)
def test_import_file_with_only_a_header_imports_nothing(db, kind, header):
    # A binary file object (an upload) rather than a path; blank lines are not rows.
    report = import_file(kind=kind, source=io.BytesIO((header + "\r\n\r\n\r\n").encode("utf-8-sig")))
    assert (report.rows, report.created, report.invalid, report.errors) == (0, 0, 0, [])


def test_import_members_errors_are_english_lines_whatever_the_organisation_language(tmp_path, settings):
    # Scripts parse `line N, column C: reason`; the Chinese UI default must not translate it.
    settings.LANGUAGE_CODE = "zh-hans"
    path = write(tmp_path, "external_id,name,phone\nC1,测试,12345\n")
    err = io.StringIO()
    with translation.override("zh-hans"), pytest.raises(CommandError):
        call_command("import_members", str(path), stderr=err)
    assert "line 2, column phone:" in err.getvalue()
    assert not Member.objects.exists()


def test_import_members_in_batches_finds_referrers_in_later_batches_and_in_the_database(tmp_path, codebook):
    # Checked rows are planned and written a chunk at a time (memory stays flat): a referrer may be in a
    # later chunk, or already stored; tags, groups and a re-import work across chunks too.
    GroupFactory(code="G1")
    MemberFactory(external_id="OLD", name="老客户")
    text = (
        "external_id,name,tags,group,referred_by\n"
        "KH1,一,3,G1,KH5\nKH2,二,,,OLD\nKH3,三,D;V1,G1,\nKH4,四,,,KH1\nKH5,五,,G1,KH2\n"
    )
    path = write(tmp_path, text)
    status, out, err = run("import_members", path, "--chunk-rows", "2")
    assert (status, out.strip()) == (0, "created 5, updated 0, unchanged 0, invalid 0"), err
    referrers = dict(Member.objects.values_list("external_id", "referred_by__external_id"))
    assert referrers == {"OLD": None, "KH1": "KH5", "KH2": "OLD", "KH3": None, "KH4": "KH1", "KH5": "KH2"}
    assert sorted(Member.objects.get(external_id="KH3").tags.values_list("code", flat=True)) == ["D", "V1"]
    assert Membership.objects.filter(group__code="G1").count() == 3
    status, out, _err = run("import_members", path, "--chunk-rows", "2")
    assert (status, out.strip()) == (0, "created 0, updated 0, unchanged 5, invalid 0")
    status, out, _err = run(
        "import_members", write(tmp_path, text.replace("KH4,四,,,KH1", "KH4,四,,,")), "--chunk-rows", "2"
    )
    assert (status, out.strip()) == (0, "created 0, updated 1, unchanged 4, invalid 0")
    assert Member.objects.get(external_id="KH4").referred_by is None
