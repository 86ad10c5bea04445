"""`metrics` and `rates`: exactly docs/commands.md's JSON, key by key and type by type."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .story import WEEK_METRICS, WEEK_RATES, build_story

ROW_KEYS = ["group", "gmv", "orders", "buyers", "core_members", "repurchases", "aov", "core_gmv", "other_gmv"]
RATE_ROW_KEYS = [
    "group",
    "start",
    "end",
    "transitions",
    "new_add_rate",
    "conversion_rate",
    "churn_rate",
    "reactivation_rate",
]
SEGMENTS = ["potential", "new", "core", "dormant"]


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def assert_metrics_shape(doc):
    assert list(doc) == ["start", "end", "groups", "platform"]
    for row in [*doc["groups"], doc["platform"]]:
        assert list(row) == ROW_KEYS
        for key in ("gmv", "core_gmv", "other_gmv"):
            assert isinstance(row[key], str)
            assert row[key].count(".") == 1
            assert len(row[key].split(".")[1]) == 2
        for key in ("orders", "buyers", "core_members"):
            assert type(row[key]) is int
        for key in ("repurchases", "aov"):
            assert row[key] is None or type(row[key]) is float
    assert doc["platform"]["group"] is None


def assert_rates_shape(doc):
    assert list(doc) == ["week", "start", "end", "groups"]
    for row in doc["groups"]:
        assert list(row) == RATE_ROW_KEYS
        assert list(row["start"]) == SEGMENTS
        assert list(row["end"]) == SEGMENTS
        assert list(row["transitions"]) == SEGMENTS
        for targets in row["transitions"].values():
            assert list(targets) == [*SEGMENTS, "left"]
            assert all(type(n) is int for n in targets.values())
        for key in RATE_ROW_KEYS[4:]:
            assert row[key] is None or type(row[key]) is float


@pytest.mark.django_db
def test_metrics_json_for_every_group():
    build_story()
    out, _ = run("metrics", "--start", "2026-01-05", "--end", "2026-01-12", "--format", "json")
    doc = json.loads(out)
    assert_metrics_shape(doc)
    assert doc == WEEK_METRICS


@pytest.mark.django_db
def test_metrics_json_for_one_group_keeps_the_platform_row():
    build_story()
    out, _ = run("metrics", "--start", "2026-01-05", "--end", "2026-01-12", "--group", "CD-VIP", "--format", "json")
    doc = json.loads(out)
    assert_metrics_shape(doc)
    assert doc["groups"] == [WEEK_METRICS["groups"][1]]
    assert doc["platform"] == WEEK_METRICS["platform"]


@pytest.mark.django_db
def test_metrics_json_is_byte_for_byte_stable():
    build_story()
    out, _ = run("metrics", "--start", "2026-01-05", "--end", "2026-01-12", "--group", "EMPTY", "--format", "json")
    assert out.startswith('{\n  "start": "2026-01-05",\n  "end": "2026-01-12",\n  "groups": [\n    {\n')
    assert '"repurchases": null,\n      "aov": null,' in out
    assert '"gmv": "775.50",' in out
    assert out.endswith("}\n")


@pytest.mark.django_db
def test_rates_json_for_every_group():
    build_story()
    out, _ = run("rates", "--week", "2026-W02", "--format", "json")
    doc = json.loads(out)
    assert_rates_shape(doc)
    assert doc == WEEK_RATES


@pytest.mark.django_db
def test_rates_json_for_one_group():
    build_story()
    out, _ = run("rates", "--week", "2026-W02", "--group", "CD-DAILY", "--format", "json")
    doc = json.loads(out)
    assert_rates_shape(doc)
    assert doc["groups"] == [WEEK_RATES["groups"][0]]


@pytest.mark.django_db
def test_tables_show_a_dash_for_empty_denominators():
    build_story()
    out, _ = run("metrics", "--start", "2026-01-05", "--end", "2026-01-12")
    assert "EMPTY" in out
    assert "—" in out
    assert "775.50" in out
    out, _ = run("rates", "--week", "2026-W02")
    assert "33.3%" in out
    assert "—" in out


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ("metrics", "--start", "2026-01-12", "--end", "2026-01-05"),
        ("metrics", "--start", "2026-13-01", "--end", "2026-01-05"),
        ("metrics", "--start", "2026-01-05", "--end", "2026-01-12", "--group", "NOPE"),
        ("rates", "--week", "2026-02"),
        ("rates", "--week", "2026-W54"),
        ("rates", "--week", "2026-W02", "--group", "NOPE"),
    ],
)
def test_bad_input_is_a_command_error(args):
    build_story()
    with pytest.raises(CommandError):
        run(*args)
