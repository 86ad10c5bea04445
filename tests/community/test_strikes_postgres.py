"""Violations recorded at once on PostgreSQL, by real processes: the strikes are numbered 1, 2, 3… (never two of
the same number), and the removal reminder is made exactly once, however many cross the limit together."""

import time

import pytest

from tests.campaigns.realparts import ROOT, fetch, manage, spawn

pytestmark = [pytest.mark.postgres]

RECORDERS = 6

SEED = """
from django.contrib.auth.models import Group as Role, User
from community.services import rules_apply_templates
from members.models import Group, Member, Membership
from django.utils import timezone

owner = User.objects.create_user("owner")
owner.groups.add(Role.objects.get(name="operator"))
group = Group.objects.create(code="VIP-CD1", name="成都VIP①", tier="precise", owner=owner)
rules_apply_templates(groups=[group])
member = Member.objects.create(external_id="M1", name="张建国", region="成都", store_name="好药房")
Membership.objects.create(member=member, group=group, joined_at=timezone.now() - timezone.timedelta(days=9))
"""

RECORD = """
import os, pathlib, time
from django.contrib.auth.models import User
from community.models import Rule
from community.services import violation_record
from members.models import Membership

go = pathlib.Path(os.environ["GO"])
pathlib.Path(os.environ["READY"]).touch()
while not go.exists():
    time.sleep(0.005)
violation_record(
    membership=Membership.objects.get(member__external_id="M1"),
    rule=Rule.objects.get(template_key="short_video"),
    by=User.objects.get(username="owner"),
    note=os.environ["READY"],
)
"""


def test_violations_recorded_at_once_are_numbered_and_make_one_removal(migrated_postgres_url, tmp_path):
    manage(migrated_postgres_url, "shell", "-c", SEED)
    go = tmp_path / "go"
    workers = [
        spawn(
            migrated_postgres_url,
            str(ROOT / "manage.py"),
            "shell",
            "-c",
            RECORD,
            log=tmp_path / f"worker{n}.log",
            GO=str(go),
            READY=str(tmp_path / f"ready{n}"),
        )  # fmt: skip
        for n in range(RECORDERS)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready*"))) < RECORDERS:
        assert time.monotonic() < deadline, [w.poll() for w in workers]
        time.sleep(0.05)
    go.touch()
    codes = [worker.wait(timeout=120) for worker in workers]
    assert codes == [0] * RECORDERS, [(tmp_path / f"worker{n}.log").read_text() for n in range(RECORDERS)]

    numbers = fetch(migrated_postgres_url, "SELECT number FROM community_violation ORDER BY number")
    assert [n for (n,) in numbers] == list(range(1, RECORDERS + 1))
    assert fetch(migrated_postgres_url, "SELECT strikes FROM members_membership") == [(RECORDERS,)]
    reminders = fetch(
        migrated_postgres_url,
        "SELECT r.title, u.username FROM campaigns_reminder r JOIN auth_user u ON u.id = r.assignee_id"
        " WHERE r.key LIKE 'community:removal:%%'",
    )
    assert reminders == [("移出群成员：张建国（2 次违规：发短视频）", "owner")]
    assert fetch(migrated_postgres_url, "SELECT count(*) FROM community_removal") == [(1,)]
