"""Many scans at once against the last free places, on PostgreSQL, as real processes with their own
connections: no group is ever shown to more people than it has room for, on the database path (Redis
absent) and on the Redis path; every scan is counted."""

import json
import time

import pytest

from tests.campaigns.realparts import fetch, manage, spawn

pytestmark = [pytest.mark.postgres]

WORKERS = 8
SCANS_EACH = 6
ROOM = {"A": 5, "B": 3, "FULL": 0}  # places left: 200 − members

SEED = """
import io, segno
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from livecodes import services
from livecodes.models import LiveCode
from members.models import Group, Member, Membership
owner = User.objects.create_user("owner")
code = services.live_code_save(LiveCode(slug="vip", name="VIP", owner=owner, margin=0))
for name, members in [("FULL", 200), ("A", 195), ("B", 197)]:
    group = Group.objects.create(code=name, name=name, capacity=500)
    people = Member.objects.bulk_create(Member(external_id=f"{name}{n}") for n in range(members))
    Membership.objects.bulk_create(Membership(member=m, group=group) for m in people)
    entry = services.pool_add(live_code=code, group=group)
    out = io.BytesIO(); segno.make(name).save(out, kind="png", scale=3)
    services.image_upload(entry=entry, upload=SimpleUploadedFile(name + ".png", out.getvalue()))
"""

WORKER = """
import json, pathlib, sys, time
from django.db import connection
from livecodes.choice import scan
go, report, count = pathlib.Path("{go}"), pathlib.Path("{report}"), {count}
connection.ensure_connection()
pathlib.Path("{go}.{name}.ready").touch()
while not go.exists():
    time.sleep(0.005)
shown = []
for _ in range(count):
    result = scan("vip")
    shown.append(result.candidate.group_name if result.candidate else None)
report.write_text(json.dumps(shown))
"""


def _race(postgres_url, tmp_path, **extra) -> list:
    manage(postgres_url, "shell", "-c", SEED, **extra)
    go = tmp_path / "go"
    reports = [tmp_path / f"w{n}.json" for n in range(WORKERS)]
    workers = [
        spawn(
            postgres_url,
            "manage.py",
            "shell",
            "-c",
            WORKER.format(go=go, report=report, count=SCANS_EACH, name=n),
            log=tmp_path / f"w{n}.log",
            **extra,
        )  # fmt: skip
        for n, report in enumerate(reports)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.*.ready"))) < WORKERS:
        assert time.monotonic() < deadline, [w.poll() for w in workers]
        time.sleep(0.05)
    go.touch()
    assert [w.wait(timeout=120) for w in workers] == [0] * WORKERS, [
        (tmp_path / f"w{n}.log").read_text()[-2000:] for n in range(WORKERS)
    ]
    return [name for report in reports for name in json.loads(report.read_text())]


def _check(shown: list) -> None:
    assert len(shown) == WORKERS * SCANS_EACH
    per_group = {name: shown.count(name) for name in ROOM}
    # More scans than places: every place is taken, and not one more.
    assert per_group == ROOM, per_group
    assert shown.count(None) == WORKERS * SCANS_EACH - sum(ROOM.values())


def test_scans_at_once_on_the_database_path_never_overfill(migrated_postgres_url, tmp_path):
    shown = _race(migrated_postgres_url, tmp_path, LIVECODE_REDIS_URL="")
    _check(shown)
    holds = dict(fetch(migrated_postgres_url, "SELECT g.code, count(*) FROM livecodes_scanhold h JOIN members_group g"
                                              " ON g.id = h.group_id GROUP BY g.code"))  # fmt: skip
    assert holds == {"A": 5, "B": 3}
    counted = fetch(migrated_postgres_url, "SELECT (SELECT sum(scans) FROM livecodes_qrimage),"
                                           " (SELECT sum(unavailable_scans) FROM livecodes_livecode)")[0]  # fmt: skip
    assert sum(counted) == WORKERS * SCANS_EACH


@pytest.mark.redis
def test_scans_at_once_on_the_redis_path_never_overfill_and_are_all_counted(
    migrated_postgres_url, tmp_path, redis_server
):
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    shown = _race(migrated_postgres_url, tmp_path, LIVECODE_REDIS_URL=redis_server.url)
    _check(shown)
    assert fetch(migrated_postgres_url, "SELECT count(*) FROM livecodes_scanhold")[0][0] == 0
    manage(migrated_postgres_url, "shell", "-c", "from livecodes.counting import scans_flush; scans_flush()",
           LIVECODE_REDIS_URL=redis_server.url)  # fmt: skip
    counted = fetch(migrated_postgres_url, "SELECT (SELECT sum(scans) FROM livecodes_qrimage),"
                                           " (SELECT sum(unavailable_scans) FROM livecodes_livecode)")[0]  # fmt: skip
    assert sum(counted) == WORKERS * SCANS_EACH
    redis.Redis.from_url(redis_server.url).flushdb()
