"""import_groups: the command as a team uses it (docs/imports.md)."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from members.models import Group
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def run(command: str, path, *args) -> tuple[int, str, str]:
    """Run a management command in English; (exit status, stdout, stderr) as the shell would see them."""
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        try:
            call_command(command, str(path), *args, stdout=out, stderr=err)
        except CommandError as exc:
            err.write(str(exc))
            return 1, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(tmp_path, text: str, name: str = "groups.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_import_groups_creates_groups_with_defaults_and_owner(tmp_path):
    make_user("alice")
    path = write(
        tmp_path,
        "code,name,tier,platform,region,capacity,owner,created_at\n"
        "G1,成都日常群1,,,四川省成都市,,alice,2025-01-02\n"
        "G2,绵阳快闪群,FLASH,wecom,四川省绵阳市,200,,2025-01-02T10:00:00+00:00\n",
    )
    status, out, err = run("import_groups", path)
    assert status == 0, err
    assert out.strip() == "created 2, updated 0, unchanged 0, invalid 0"
    g1, g2 = Group.objects.order_by("code")
    assert (g1.name, g1.tier, g1.platform, g1.capacity, g1.owner.username) == (
        "成都日常群1",
        "daily",
        "wechat",
        500,
        "alice",
    )
    assert g1.created_at == datetime(2025, 1, 1, 16, 0, tzinfo=UTC)  # 00:00 in Asia/Shanghai
    assert (g2.tier, g2.platform, g2.capacity, g2.owner) == ("flash", "wecom", 200, None)
    assert g2.created_at == datetime(2025, 1, 2, 10, 0, tzinfo=UTC)


def test_import_groups_reimport_changes_nothing_and_updates_only_what_differs(tmp_path):
    text = "code,name,tier\nG1,一群,daily\nG2,二群,legacy\n"
    assert run("import_groups", write(tmp_path, text))[0] == 0
    stamps = dict(Group.objects.values_list("code", "updated_at"))

    status, out, _err = run("import_groups", write(tmp_path, text))
    assert (status, out.strip()) == (0, "created 0, updated 0, unchanged 2, invalid 0")
    assert dict(Group.objects.values_list("code", "updated_at")) == stamps

    # A file with fewer columns leaves the others alone: the tier of G2 stays legacy.
    status, out, _err = run("import_groups", write(tmp_path, "name,code\n一群改名,G1\n二群,G2\n"))
    assert (status, out.strip()) == (0, "created 0, updated 1, unchanged 1, invalid 0")
    assert Group.objects.get(code="G1").name == "一群改名"
    assert Group.objects.get(code="G2").tier == "legacy"
    assert Group.objects.get(code="G2").updated_at == stamps["G2"]
    assert Group.objects.get(code="G1").updated_at > stamps["G1"]


def test_import_groups_bad_rows_are_all_reported_and_nothing_is_written(tmp_path):
    path = write(
        tmp_path,
        "code,name,tier,platform,capacity,owner,created_at\n"
        "G1,好群,daily,wechat,500,,\n"
        "G2,,vip,wechat,0,nobody,yesterday\n"
        "G1,重复,daily,line,abc,,\n",
    )
    status, _out, err = run("import_groups", path)
    assert status == 1
    assert "line 3, column name: a value is required" in err
    assert "line 3, column tier: “vip” is not a tier" in err
    assert "line 3, column capacity: “0” is not a capacity" in err
    assert "line 3, column owner: no user has the username “nobody”" in err
    assert "line 3, column created_at: “yesterday” is not a date or time" in err
    assert "line 4, column code: duplicate code: first on line 2" in err
    assert "line 4, column platform: “line” is not a platform" in err
    assert "line 4, column capacity: “abc” is not a capacity" in err
    assert "2 invalid rows: nothing was written" in err
    assert not Group.objects.exists()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("code,name,colour", "line 1, column colour: unknown column"),
        ("code,tier", "line 1, column name: required column is missing"),
        ("code,name,code", "line 1, column code: the column appears twice"),
    ],
)
def test_import_groups_wrong_header_fails_before_reading_rows(tmp_path, header, expected):
    status, _out, err = run("import_groups", write(tmp_path, header + "\nG1,x,y\n"))
    assert status == 1
    assert expected in err
    assert not Group.objects.exists()


def test_import_groups_skip_invalid_and_dry_run(tmp_path):
    path = write(tmp_path, "code,name\nG1,一群\nG2,\nG3,三群\n")
    status, out, err = run("import_groups", path, "--dry-run", "--skip-invalid")
    assert status == 0
    assert out.strip() == "created 2, updated 0, unchanged 0, invalid 1 (dry run: nothing written)"
    assert "line 3, column name: a value is required" in err
    assert not Group.objects.exists()

    status, out, _err = run("import_groups", path, "--skip-invalid")
    assert (status, out.strip()) == (0, "created 2, updated 0, unchanged 0, invalid 1")
    assert sorted(Group.objects.values_list("code", flat=True)) == ["G1", "G3"]
