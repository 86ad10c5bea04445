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
def test_agents_claiming_at_once_never_share_a_task(migrated_postgres_url, tmp_path, split):
    manage(migrated_postgres_url, "shell", "-c", SEED)
    go = tmp_path / "go"
    reports = [tmp_path / f"agent{n}.json" for n in range(AGENTS)]
    workers = [
        spawn(
            migrated_postgres_url,
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
        migrated_postgres_url,
        "SELECT count(*), count(DISTINCT a.task_id), count(DISTINCT (a.task_id, a.agent_id))"
        " FROM outreach_callattempt a JOIN outreach_calltask t ON t.id = a.task_id"
        " JOIN outreach_calllist l ON l.id = t.call_list_id"
        f" WHERE l.name = '{split}'",
    )
    assert per_task == [(MEMBERS, MEMBERS, MEMBERS)]
    mismatched = fetch(
        migrated_postgres_url,
        "SELECT count(*) FROM outreach_callattempt a JOIN outreach_calltask t ON t.id = a.task_id"
        " WHERE a.agent_id <> t.agent_id",
    )
    assert mismatched == [(0,)]


ORDER = """
import datetime as dt, json
from django.contrib.auth.models import User
from django.utils import timezone
from members.models import Member
from outreach.models import CallList, CallListAgent, CallTask
from outreach.services import call_record, task_claim_next

now = timezone.now()
agent, other = User.objects.create_user("a"), User.objects.create_user("b")
soon = CallList.objects.create(name="soon", split="shared", due_date=now.date())
later = CallList.objects.create(name="later", split="round_robin", due_date=now.date() + dt.timedelta(days=3))
closed = CallList.objects.create(name="closed", split="shared", status="closed")
for call_list in (soon, later, closed):
    CallListAgent.objects.create(call_list=call_list, agent=agent)
def task(call_list, name, priority, owner=None, at=None):
    member = Member.objects.create(external_id=name, name=name, phone="+8613900000000")
    CallTask.objects.create(call_list=call_list, member=member, agent=owner, priority=priority, next_attempt_at=at)
task(later, "later-5", 5, agent)
task(later, "later-9", 9, agent)
task(later, "later-others", 99, other)
task(later, "callback-old", 0, agent, now - dt.timedelta(hours=2))
task(soon, "callback-new", 50, agent, now - dt.timedelta(hours=1))
task(later, "callback-future", 80, agent, now + dt.timedelta(hours=1))
task(soon, "soon-1", 1)
task(soon, "soon-7", 7)
task(closed, "closed-100", 100)
task(closed, "closed-callback", 100, agent, now - dt.timedelta(hours=3))

order = []
first = task_claim_next(agent=agent, now=now)
again = task_claim_next(agent=agent, now=now)
assert again.pk == first.pk and again.status == "calling", "an unrecorded call comes back first"
in_soon = task_claim_next(agent=agent, call_list=soon, now=now)  # a second call, in another list
task = first
while task is not None:
    order.append(task.member.name)
    assert (task.status, task.agent_id) == ("calling", agent.pk)
    call_record(task=task, agent=agent, outcome="declined", now=now)
    task = task_claim_next(agent=agent, now=now)
print("ORDER", json.dumps({"order": order, "soon_while_calling_in_later": in_soon.member.name}))
"""


def claim_order(database_url: str) -> dict:
    done = manage(database_url, "shell", "-c", ORDER)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.split("ORDER ", 1)[1])


def test_both_databases_hand_out_the_same_queue_order(migrated_postgres_url, tmp_path, migrated_sqlite):
    """PostgreSQL claims with its own hand-written SQL, SQLite through the ORM's queues: the same order on both.
    Due call-backs oldest first whatever the list; then list by list by due date, the shared queue and the
    agent's own tasks by expected value; never another agent's task, a closed list's, or a future call-back."""
    sqlite = tmp_path / "claims.sqlite3"
    sqlite.write_bytes(migrated_sqlite.read_bytes())
    expected = {
        "order": ["callback-old", "callback-new", "soon-7", "soon-1", "later-9", "later-5"],
        "soon_while_calling_in_later": "callback-new",
    }
    assert claim_order(f"sqlite:///{sqlite}") == expected
    assert claim_order(migrated_postgres_url) == expected
