"""An encoding is known for certain or the file is refused, naming the line and byte offset of the first
invalid sequence; nothing is guessed (issue 11, item 4)."""

import pytest
from django.utils import translation

from imports.reading import open_table
from imports.report import ImportFileError
from members.models import Member
from tests.members.test_import_members import run

pytestmark = pytest.mark.django_db


def test_gb18030_with_one_invalid_sequence_is_refused_not_stored_as_mojibake(tmp_path):
    good = "external_id,name\nKH1,张三\nKH2,李四\n".encode("gb18030")
    bad = "KH3,王".encode("gb18030") + b"\x81\x20" + "五\n".encode("gb18030")
    path = tmp_path / "members.csv"
    path.write_bytes(good + bad)
    status, _out, err = run("import_members", path)
    assert status == 1
    offset = len(good) + len("KH3,王".encode("gb18030"))
    assert (
        f"line 4: the file is not valid GB18030 text: the bytes 0x81 at byte offset {offset} are not a "
        "character (save it again as CSV UTF-8)"
    ) in err
    assert not Member.objects.exists()  # before: 张三 stored as mojibake, "0 invalid"


def test_utf8_with_one_bad_byte_is_refused_as_utf8_not_read_as_gb18030(tmp_path):
    path = tmp_path / "members.csv"
    # Valid GB18030 as a whole (any byte pairs are), but plainly UTF-8 with one damaged byte.
    before = "external_id,name\nKH1,张三\nKH2,李四\nKH3,王".encode()
    path.write_bytes(before + b"\xe4" + "五\n".encode())
    with translation.override("en"), pytest.raises(ImportFileError) as caught:
        open_table(path)
    assert str(caught.value).startswith(
        f"line 4: the file is not valid UTF-8 text: the bytes 0xE4 at byte offset {len(before)} "
    )


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 (BOM)"), ("gb18030", "GB18030"), ("utf-16", "UTF-16")],
)
def test_the_detected_encoding_is_reported(tmp_path, encoding, label):
    path = tmp_path / "members.csv"
    path.write_bytes("external_id,name\nKH1,张三\n".encode(encoding))
    table = open_table(path)
    assert table.encoding == label
    assert [frame.values.tolist() for frame in table.chunks(10)] == [[["KH1", "张三"]]]
