"""Agents claiming at once on PostgreSQL, as real processes: nobody ever gets a task someone else has."""

import json
import time

import pytest

from tests.campaigns.realparts import ROOT, fetch, manage, spawn

pytestmark = [pytest.mark.postgres]

AGENTS = 4
MEMBERS = 300

SEED = f"""
from django.contrib.auth.models import Group as Role, User
from members.models import Group, Member, SavedSelection
from outreach.models import CallList
from outreach.services import CallListSpec, call_list_build
from outreach.split import Share

agents = []
for n in range({AGENTS}):
    user = User.objects.create_user(f"agent{{n}}")
    user.groups.add(Role.objects.get(name="agent"))
    agents.append(user)
operator = User.objects.create_user("operator")
Member.objects.bulk_create(
    Member(external_id=f"M{{n}}", name=f"客户{{n}}", region="四川/成都", phone=f"+86139{{n:08d}}")
    for n in range({MEMBERS})
)
selection = SavedSelection.objects.create(name="成都", query="region=四川/成都")
group = Group.objects.create(code="G1", name="成都VIP1群", tier="vip", capacity=1000)
for split in ("shared", "round_robin"):
    shares = [Share(a.pk) for a in agents]
    spec = CallListSpec(name=split, selection=selection, groups=[group], shares=shares, split=split)
    call_list_build(spec, by=operator)
"""


@pytest.mark.parametrize("split", ["shared", "round_robin"])
def test_agents_claiming_at_once_never_share_a_task(postgres_url, tmp_path, split):
    manage(postgres_url, "migrate", "--no-input")
    manage(postgres_url, "shell", "-c", SEED)
    go = tmp_path / "go"
    reports = [tmp_path / f"agent{n}.json" for n in range(AGENTS)]
    workers = [
        spawn(
            postgres_url,
            str(ROOT / "bench" / "outreach.py"),
            "--claim-worker",
            f"agent{n}",
            "--claims",
            "1000",
            "--go",
            str(go),
            "--report",
            str(report),
            BENCH_LIST=split,
        )  # fmt: skip
        for n, report in enumerate(reports)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.*.ready"))) < AGENTS:
        assert time.monotonic() < deadline, [w.poll() for w in workers]
        time.sleep(0.05)
    go.touch()
    assert [worker.wait(timeout=180) for worker in workers] == [0] * AGENTS

    claimed = [json.loads(report.read_text())["ids"] for report in reports]
    every = [task for ids in claimed for task in ids]
    assert len(every) == len(set(every)) == MEMBERS, "a task was handed to two agents, or one was never handed out"
    if split == "shared":
        assert all(claimed), "every agent took part in the race"
    per_task = fetch(
        postgres_url,
        "SELECT count(*), count(DISTINCT a.task_id), count(DISTINCT (a.task_id, a.agent_id))"
        " FROM outreach_callattempt a JOIN outreach_calltask t ON t.id = a.task_id"
        " JOIN outreach_calllist l ON l.id = t.call_list_id"
        f" WHERE l.name = '{split}'",
    )
    assert per_task == [(MEMBERS, MEMBERS, MEMBERS)]
    mismatched = fetch(
        postgres_url,
        "SELECT count(*) FROM outreach_callattempt a JOIN outreach_calltask t ON t.id = a.task_id"
        " WHERE a.agent_id <> t.agent_id",
    )
    assert mismatched == [(0,)]
