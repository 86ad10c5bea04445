"""The expected value on a real PostgreSQL, in its own processes: the local day, the cents and the refunds
are computed by the database there (AT TIME ZONE, numeric), not by SQLite's functions."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres

SUMMARY = """
import json
from datetime import date
from outreach.summary import member_summary
s = member_summary(date(2026, 6, 30))
print(json.dumps({"frequency": s.frequency.tolist(), "recency": s.recency.tolist(), "T": s.T.tolist(),
                  "spend": s.spend_cents.tolist(), "recent_orders": s.recent_orders.tolist(),
                  "recent_cents": s.recent_cents.tolist()}))
"""


def manage(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "postgres-outreach-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "localhost",
        "LANGUAGE_CODE": "en",
        "COMMUNITYOPS_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": "memory://",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_summary_and_command_on_postgresql(migrated_postgres_url, tmp_path):
    # Local times (+08:00); the second order of a's March 1st is 15:30 UTC, the third 16:30 UTC on March 1st
    # but March 2nd in Shanghai.
    orders = [
        ("a", "2026-03-01 10:00+08", "100.00", "paid"),
        ("a", "2026-03-01 23:30+08", "50.10", "paid"),
        ("a", "2026-03-02 00:30+08", "200.00", "paid"),
        ("a", "2026-04-20 09:00+08", "999.00", "refunded"),
        ("a", "2026-05-11 09:00+08", "300.00", "paid"),
        ("a", "2026-06-30 23:59+08", "40.00", "paid"),
        ("a", "2026-07-01 00:00+08", "500.00", "paid"),
        ("b", "2026-06-20 12:00+08", "80.00", "paid"),
        ("c", "2026-05-01 12:00+08", "20.00", "paid"),
        ("c", "2026-06-01 12:00+08", "30.00", "paid"),
    ]
    with psycopg.connect(migrated_postgres_url) as conn:
        ids = {}
        for name in ("a", "b", "c"):
            ids[name] = conn.execute(
                "INSERT INTO members_member (external_id, name, phone, region, store_name, wechat_nickname,"
                " cumulative_purchase, created_at, updated_at) VALUES (%s, '', '', '', '', '', 0, now(), now())"
                " RETURNING id",
                [f"M-{name}"],
            ).fetchone()[0]
        for n, (who, placed, amount, status) in enumerate(orders):
            conn.execute(
                "INSERT INTO campaigns_order (order_id, member_id, placed_at, amount, status, group_is_explicit,"
                " campaign_is_explicit, updated_at) VALUES (%s, %s, %s, %s, %s, false, false, now())",
                [f"O{n}", ids[who], placed, amount, status],
            )
    done = manage(migrated_postgres_url, tmp_path, "shell", "-c", SUMMARY)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])  # the shell may say what it imported first
    assert summary == {
        "frequency": [3, 0, 1],
        "recency": [121, 0, 31],
        "T": [121, 10, 60],
        "spend": [15010 + 20000 + 30000 + 4000, 8000, 5000],
        "recent_orders": [2, 1, 2],
        "recent_cents": [34000, 8000, 5000],
    }
    done = manage(migrated_postgres_url, tmp_path, "expected_value", "--calibration-end", "2026-06-30",
                  "--format", "json", "--store")  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert sorted(m["external_id"] for m in doc["members"]) == ["M-a", "M-b", "M-c"]
    assert all(doc[k] > 0 for k in ("r", "alpha", "a", "b"))
    stored = dict(
        psycopg.connect(migrated_postgres_url)
        .execute(
            "SELECT m.external_id, v.expected_value::text FROM outreach_membervalue v"
            " JOIN members_member m ON m.id = v.member_id"
        )
        .fetchall()
    )
    assert stored == {m["external_id"]: m["expected_value"] for m in doc["members"]}
    bad = manage(
        migrated_postgres_url, tmp_path, "expected_value", "--calibration-end", "2020-01-01", "--format", "json"
    )
    assert bad.returncode == 1
    assert "no counting orders" in bad.stderr
