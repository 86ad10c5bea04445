"""import_orders: times, money, checks, attribution, re-imports and the bulk path."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

import imports.writing as writing
from campaigns.models import Campaign, Order
from members.models import Membership
from tests.members.factories import GroupFactory, MemberFactory

pytestmark = pytest.mark.django_db
HEADER = "order_id,member_external_id,placed_at,amount,status,group,campaign\n"


def run(path, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        try:
            call_command("import_orders", str(path), *args, stdout=out, stderr=err)
        except CommandError as exc:
            err.write(str(exc))
            return 1, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path, text: str, name: str = "orders.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def member(db):
    return MemberFactory(external_id="KH1")


def test_import_orders_local_times_are_asia_shanghai(tmp_path, member):
    text = HEADER + (
        "O1,KH1,2026-03-05 23:59:59,10.00,,,\n"  # no offset: Shanghai local time
        "O2,KH1,2026-03-05,10.00,,,\n"  # a date alone: 00:00 local
        "O3,KH1,2026-03-05T23:59:59Z,10.00,,,\n"
        "O4,KH1,2026-03-05T23:59:59+01:00,10.00,,,\n"
        "O5,KH1,2026-03-05T08:00:00.250000,10.00,,,\n"
        "O6,KH1,2026/3/5 8:05,10.00,,,\n"  # how Excel shows a date-time in a CSV on Chinese Windows
    )
    status, out, err = run(write(tmp_path, text))
    assert status == 0, err
    placed = dict(Order.objects.values_list("order_id", "placed_at"))
    assert placed == {
        "O1": utc(2026, 3, 5, 15, 59, 59),
        "O2": utc(2026, 3, 4, 16, 0, 0),
        "O3": utc(2026, 3, 5, 23, 59, 59),
        "O4": utc(2026, 3, 5, 22, 59, 59),
        "O5": utc(2026, 3, 5, 0, 0, 0, 250000),
        "O6": utc(2026, 3, 5, 0, 5, 0),
    }
    # Stored the way Django stores them, so ORM filters on these columns work.
    assert Order.objects.filter(placed_at__gte=utc(2026, 3, 5, 15, 59, 59)).count() == 3
    assert set(Order.objects.filter(placed_at__date="2026-03-05").values_list("order_id", flat=True)) >= {"O1", "O6"}


def test_import_orders_amounts_are_exact(tmp_path, member):
    text = HEADER + "O1,KH1,2026-03-05,0.10,,,\nO2,KH1,2026-03-05,9999999999.99,,,\nO3,KH1,2026-03-05,0012.5,,,\n"
    assert run(write(tmp_path, text))[0] == 0
    assert dict(Order.objects.values_list("order_id", "amount")) == {
        "O1": Decimal("0.10"),
        "O2": Decimal("9999999999.99"),
        "O3": Decimal("12.50"),
    }


def test_import_orders_bad_file_names_every_bad_line_and_writes_nothing(tmp_path, member):
    GroupFactory(code="G1")
    text = HEADER + (
        "O1,KH1,2026-03-05 10:00,10.00,paid,G1,\n"
        "O2,NOBODY,2026-03-05 10:00,10.00,,,\n"
        "O3,KH1,not a time,10.00,,,\n"
        "O4,KH1,2026-03-05,12.345,,,\n"
        "O5,KH1,2026-03-05,-1,,,\n"
        "O6,KH1,2026-03-05,１２,,,\n"
        "O7,KH1,2026-03-05,1e3,,,\n"
        "O8,KH1,2026-03-05,10,cancelled,,\n"
        "O9,KH1,2026-03-05,10,,G404,\n"
        "O10,KH1,2026-03-05,10,,,C404\n"
        "O1,KH1,2026-03-05,10,,,\n"
        ",KH1,,,,,\n"
    )
    # Chunks of 3 rows: the duplicate O1 is found across chunks.
    status, _out, err = run(write(tmp_path, text), "--chunk-rows", "3")
    assert status == 1
    expected = [
        "line 3, column member_external_id: no member has external_id “NOBODY”",
        "line 4, column placed_at: “not a time” is not a date or time",
        "line 5, column amount: “12.345” is not an amount",
        "line 6, column amount: “-1” is not an amount",
        "line 7, column amount: “１２” is not an amount",
        "line 8, column amount: “1e3” is not an amount",
        "line 9, column status: “cancelled” is not a status: paid or refunded",
        "line 10, column group: no group has code “G404”",
        "line 11, column campaign: no campaign has code “C404”",
        "line 12, column order_id: duplicate order_id: first on line 2",
        "line 13, column order_id: a value is required",
        "line 13, column placed_at: a value is required",
        "line 13, column amount: a value is required",
    ]
    errors = [line for line in err.splitlines() if line.startswith("line ")]
    assert len(errors) == len(expected), errors
    for got, want in zip(errors, expected, strict=True):
        assert got.startswith(want), (got, want)
    assert "11 invalid rows: nothing was written" in err
    assert not Order.objects.exists()


def test_import_orders_unknown_column_is_an_error(tmp_path, member):
    status, _out, err = run(
        write(tmp_path, "order_id,member_external_id,placed_at,amount,voucher\nO1,KH1,2026-03-05,1,X\n")
    )
    assert status == 1
    assert "line 1, column voucher: unknown column" in err
    assert not Order.objects.exists()


def test_import_orders_skip_invalid_and_dry_run(tmp_path, member):
    path = write(
        tmp_path, HEADER + "O1,KH1,2026-03-05,10,,,\nO2,KH1,2026-03-05,abc,,,\nO3,KH1,2026-03-06,20,refunded,,\n"
    )
    status, out, err = run(path, "--dry-run", "--skip-invalid")
    assert (status, out.strip()) == (0, "created 2, updated 0, unchanged 0, invalid 1 (dry run: nothing written)")
    assert "line 3, column amount: “abc” is not an amount" in err
    assert not Order.objects.exists()
    status, out, _err = run(path, "--skip-invalid")
    assert (status, out.strip()) == (0, "created 2, updated 0, unchanged 0, invalid 1")
    assert dict(Order.objects.values_list("order_id", "status")) == {"O1": "paid", "O3": "refunded"}


def test_import_orders_gb18030_and_xlsx(tmp_path):
    import xlsxwriter

    MemberFactory(external_id="客户1")
    status, _out, err = run(write(tmp_path, HEADER + "订单1,客户1,2026-03-05,1.5,,,\r\n", encoding="gb18030"))
    assert status == 0, err
    path = tmp_path / "orders.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER.strip().split(","))
    sheet.write_number(1, 0, 20260305001)  # a numeric order id
    sheet.write_string(1, 1, "客户1")
    sheet.write_datetime(1, 2, datetime(2026, 3, 5, 10, 30), book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))  # noqa: DTZ001
    sheet.write_number(1, 3, 99.9)
    book.close()
    status, _out, err = run(path)
    assert status == 0, err
    assert dict(Order.objects.values_list("order_id", "amount")) == {
        "订单1": Decimal("1.50"),
        "20260305001": Decimal("99.90"),
    }
    assert Order.objects.get(order_id="20260305001").placed_at == utc(2026, 3, 5, 2, 30)


def test_import_orders_attribution_by_membership_and_campaign_window(tmp_path):
    chengdu, mianyang, flash = GroupFactory(code="CD"), GroupFactory(code="MY"), GroupFactory(code="FL")
    a, b, _c = MemberFactory(external_id="A"), MemberFactory(external_id="B"), MemberFactory(external_id="C")
    # A: in Chengdu from March 1st, left on March 10th; in Mianyang from March 8th (two open groups for a while).
    Membership.objects.create(
        member=a, group=chengdu, status="left", joined_at=utc(2026, 3, 1), left_at=utc(2026, 3, 10)
    )
    Membership.objects.create(member=a, group=mianyang, status="active", joined_at=utc(2026, 3, 8))
    Membership.objects.create(member=b, group=flash, status="active", joined_at=utc(2026, 3, 1))
    thursday = Campaign.objects.create(
        code="THU", name="周四", starts_at=utc(2026, 3, 5, 2), ends_at=utc(2026, 3, 5, 14)
    )
    thursday.groups.add(chengdu)
    Campaign.objects.create(code="OTHER", name="别的", starts_at=utc(2026, 1, 1), ends_at=utc(2026, 1, 2))
    text = HEADER + (
        "O1,A,2026-02-28T23:00:00Z,1,,,\n"  # before A joined anything: no group
        "O2,A,2026-03-05T03:00:00Z,1,,,\n"  # Chengdu, during the Thursday campaign
        "O3,A,2026-03-05T14:00:00Z,1,,,\n"  # Chengdu, the campaign has just ended (the end is exclusive)
        "O4,A,2026-03-09T00:00:00Z,1,,,\n"  # in both: the most recently joined (Mianyang)
        "O5,A,2026-03-10T00:00:00Z,1,,,\n"  # left Chengdu at that instant: Mianyang
        "O6,A,2026-03-05T03:00:00Z,1,,MY,\n"  # an explicit group; no campaign of Mianyang holds the time
        "O7,B,2026-03-05T03:00:00Z,1,,,OTHER\n"  # an explicit campaign is kept as it is
        "O8,C,2026-03-05T03:00:00Z,1,,,\n"  # C is in no group
    )
    status, _out, err = run(write(tmp_path, text))
    assert status == 0, err
    got = {
        o.order_id: (
            o.group and o.group.code,
            o.group_is_explicit,
            o.campaign and o.campaign.code,
            o.campaign_is_explicit,
        )
        for o in Order.objects.select_related("group", "campaign")
    }
    assert got == {
        "O1": (None, False, None, False),
        "O2": ("CD", False, "THU", False),
        "O3": ("CD", False, None, False),
        "O4": ("MY", False, None, False),
        "O5": ("MY", False, None, False),
        "O6": ("MY", True, None, False),
        "O7": ("FL", False, "OTHER", True),
        "O8": (None, False, None, False),
    }


def test_import_orders_reimport_changes_nothing_then_updates_and_reattributes(tmp_path):
    group = GroupFactory(code="G1")
    member = MemberFactory(external_id="A")
    text = HEADER + "O1,A,2026-03-05 10:00,10.00,paid,,\nO2,A,2026-03-06 10:00,20.00,paid,,\n"
    path = write(tmp_path, text)
    assert run(path)[0] == 0
    stamps = dict(Order.objects.values_list("order_id", "updated_at"))
    assert not Order.objects.filter(group__isnull=False).exists()

    status, out, _err = run(path)
    assert (status, out.strip()) == (0, "created 0, updated 0, unchanged 2, invalid 0")
    assert dict(Order.objects.values_list("order_id", "updated_at")) == stamps

    # The member joined the group before these orders (learned later): a re-import attributes them.
    Membership.objects.create(member=member, group=group, joined_at=utc(2026, 3, 1))
    status, out, _err = run(path)
    assert (status, out.strip()) == (0, "created 0, updated 2, unchanged 0, invalid 0")
    assert set(Order.objects.values_list("group__code", flat=True)) == {"G1"}

    # A refund and a new order; the untouched order keeps its updated_at.
    before = Order.objects.get(order_id="O2").updated_at
    text = HEADER + "O1,A,2026-03-05 10:00,10.00,refunded,,\nO2,A,2026-03-06 10:00,20,paid,,\nO3,A,2026-03-07,5,,,\n"
    status, out, _err = run(write(tmp_path, text))
    assert (status, out.strip()) == (0, "created 1, updated 1, unchanged 1, invalid 0")
    assert Order.objects.get(order_id="O1").status == "refunded"
    assert Order.objects.get(order_id="O2").updated_at == before


def test_import_orders_bulk_path_rebuilds_the_indexes(tmp_path, monkeypatch):
    """The SQLite bulk load drops and rebuilds the table's indexes; they must all be back, and the data right."""
    monkeypatch.setattr(writing, "BULK_LOAD_MIN_ROWS", 1)
    MemberFactory(external_id="A")

    def indexes():
        if connection.vendor != "sqlite":
            return set()
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'campaigns_order'")
            return set(cursor.fetchall())

    before = indexes()
    rows = "".join(f"O{i},A,2026-03-05 10:{i % 60:02d},{i}.{i % 100:02d},,,\n" for i in range(500))
    status, out, _err = run(write(tmp_path, HEADER + rows), "--chunk-rows", "120")
    assert (status, out.strip()) == (0, "created 500, updated 0, unchanged 0, invalid 0")
    assert indexes() == before
    assert Order.objects.count() == 500
    assert Order.objects.get(order_id="O123").amount == Decimal("123.23")
    assert Order.objects.get(order_id="O7").placed_at == utc(2026, 3, 5, 2, 7)


def test_import_orders_placed_at_far_apart_and_many_memberships(tmp_path):
    """The as-of lookup walks back through earlier memberships when the latest one had ended."""
    groups = [GroupFactory(code=f"G{i}") for i in range(4)]
    member = MemberFactory(external_id="A")
    start = utc(2025, 1, 1)
    # G0 open for the whole year; G1..G3 joined and left one after the other.
    Membership.objects.create(member=member, group=groups[0], joined_at=start)
    for i, group in enumerate(groups[1:], start=1):
        joined = start + timedelta(days=30 * i)
        Membership.objects.create(
            member=member, group=group, status="left", joined_at=joined, left_at=joined + timedelta(days=10)
        )
    text = HEADER + "O1,A,2025-04-05T00:00:00Z,1,,,\nO2,A,2025-04-20T00:00:00Z,1,,,\n"
    assert run(write(tmp_path, text))[0] == 0
    assert dict(Order.objects.values_list("order_id", "group__code")) == {"O1": "G3", "O2": "G0"}
