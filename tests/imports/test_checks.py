"""What every importer checks, whatever its columns: repeated keys across whole chunks (issue 11, item 3)
and NUL characters, refused by line and column."""

import pytest

from campaigns.models import Order
from members.models import Group, Member
from tests.members.test_import_members import run, write

pytestmark = pytest.mark.django_db


def test_a_whole_chunk_of_repeated_keys_is_reported_as_duplicates_not_a_crash(tmp_path):
    # A chunk of members, the same chunk again (it adds no new key), then new ones: that crashed with
    # "IndexError: index -1 is out of bounds" in the seen-keys check.
    first = "".join(f"KH{i},客户{i}\n" for i in range(3))
    path = write(tmp_path, "external_id,name\n" + first + first + "KH7,新客户\nKH8,新客户\nKH0,又一次\n")
    status, _out, err = run("import_members", path, "--chunk-rows", "3")
    assert status == 1, err
    lines = [line for line in err.splitlines() if line.startswith("line ")]
    assert lines == [
        "line 5, column external_id: duplicate external_id: first on line 2",
        "line 6, column external_id: duplicate external_id: first on line 3",
        "line 7, column external_id: duplicate external_id: first on line 4",
        "line 10, column external_id: duplicate external_id: first on line 2",
    ]
    status, out, err = run("import_members", path, "--chunk-rows", "3", "--skip-invalid")
    assert (status, out.strip()) == (0, "created 5, updated 0, unchanged 0, invalid 4"), err


def test_groups_and_orders_share_the_seen_keys_check(tmp_path):
    first = "".join(f"G{i},群{i}\n" for i in range(2))
    status, _out, err = run(
        "import_groups", write(tmp_path, "code,name\n" + first + first + "G9,新群\n"), "--chunk-rows", "2"
    )
    assert status == 1
    assert "line 4, column code: duplicate code: first on line 2" in err
    assert not Group.objects.exists()
    Member.objects.create(external_id="KH1", name="张三")
    orders = "".join(f"O{i},KH1,2026-03-0{i + 1} 10:00,10.00\n" for i in range(2))
    text = "order_id,member_external_id,placed_at,amount\n" + orders + orders + "O9,KH1,2026-03-05 10:00,1.00\n"
    status, _out, err = run("import_orders", write(tmp_path, text, name="orders.csv"), "--chunk-rows", "2")
    assert status == 1, err
    assert "line 5, column order_id: duplicate order_id: first on line 3" in err
    assert not Order.objects.exists()


def test_nul_characters_are_refused_naming_line_and_column(tmp_path):
    path = write(tmp_path, "external_id,name,store_name\nKH1,张三,好药房\nKH2,李\x00四,药房\x00\n")
    status, _out, err = run("import_members", path)
    assert status == 1
    assert "line 3, column name: the value holds a NUL character" in err
    assert "line 3, column store_name: the value holds a NUL character" in err
    assert not Member.objects.exists()
