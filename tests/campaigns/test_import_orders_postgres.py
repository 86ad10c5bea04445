"""The real import commands, in their own processes, against a real PostgreSQL (COPY path, exit codes)."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from bench.generate import generate_dataset, write_dataset

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres


def manage(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "postgres-import-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "localhost",
        "LANGUAGE_CODE": "en",
        "COMMUNITYOPS_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "memory://",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def query(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_import_commands_on_postgresql(migrated_postgres_url, tmp_path):
    postgres_url = migrated_postgres_url
    data = generate_dataset(members=300, orders=3000, groups=6, weeks=4, seed=3)
    data.members["tags"] = ""  # no codebook in this database
    paths = write_dataset(data, tmp_path / "data")

    for command, path, rows in (
        ("import_groups", paths["groups"], 6),
        ("import_members", paths["members"], 300),
        ("import_orders", paths["orders"], 3000),
    ):
        done = manage(postgres_url, tmp_path, command, str(path))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"created {rows}, updated 0, unchanged 0, invalid 0"

    assert query(postgres_url, "SELECT count(*) FROM campaigns_order")[0][0] == 3000
    assert query(postgres_url, "SELECT count(*) FROM members_membership")[0][0] == (data.members["group"] != "").sum()
    # Orders are attributed to the member's group when the file names none.
    explicit = (data.orders["group"] != "").sum()
    counts = query(
        postgres_url, "SELECT count(*) FILTER (WHERE group_is_explicit), count(group_id) FROM campaigns_order"
    )
    assert counts[0][0] == explicit
    assert counts[0][1] > explicit

    # One order checked value by value: local time -> UTC, exact amount, member.
    first = data.orders.iloc[0]
    row = query(
        postgres_url,
        "SELECT o.placed_at, o.amount, m.external_id FROM campaigns_order o "
        "JOIN members_member m ON m.id = o.member_id WHERE o.order_id = %s",
        first["order_id"],
    )[0]
    assert row[0].astimezone(UTC) == datetime.fromisoformat(first["placed_at"] + "+08:00").astimezone(UTC)
    assert row[1] == Decimal(first["amount"])
    assert row[2] == first["member_external_id"]

    # Re-import: nothing changes, not even updated_at.
    stamps = query(postgres_url, "SELECT max(updated_at), count(*) FROM campaigns_order")
    again = manage(postgres_url, tmp_path, "import_orders", str(paths["orders"]))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "created 0, updated 0, unchanged 3000, invalid 0"
    assert query(postgres_url, "SELECT max(updated_at), count(*) FROM campaigns_order") == stamps

    # A changed amount and a new order; then a bad file: exit status 1, every line named, nothing written.
    header = "order_id,member_external_id,placed_at,amount,status,group,campaign\n"
    member = first["member_external_id"]
    change = tmp_path / "change.csv"
    change.write_text(header + f"{first['order_id']},{member},{first['placed_at']},1.23,refunded,,\n"
                      f"NEW-1,{member},2026-03-05 23:59:59,10,,,\n", encoding="utf-8")  # fmt: skip
    done = manage(postgres_url, tmp_path, "import_orders", str(change))
    assert done.stdout.strip() == "created 1, updated 1, unchanged 0, invalid 0", done.stderr
    assert query(postgres_url, "SELECT amount, status FROM campaigns_order WHERE order_id = %s", first["order_id"]) == [
        (Decimal("1.23"), "refunded")
    ]
    assert query(postgres_url, "SELECT placed_at FROM campaigns_order WHERE order_id = 'NEW-1'")[0][0] == datetime(
        2026, 3, 5, 15, 59, 59, tzinfo=UTC
    )

    bad = tmp_path / "bad.csv"
    bad.write_text(header + f"NEW-2,{member},2026-03-05,10,,,\nNEW-3,NOBODY,2026-03-05,1.234,,,\n", encoding="utf-8")
    done = manage(postgres_url, tmp_path, "import_orders", str(bad))
    assert done.returncode == 1
    assert "line 3, column member_external_id: no member has external_id “NOBODY”" in done.stderr
    assert "line 3, column amount: “1.234” is not an amount" in done.stderr
    assert query(postgres_url, "SELECT count(*) FROM campaigns_order")[0][0] == 3001
