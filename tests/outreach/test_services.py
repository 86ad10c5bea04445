"""Call lists through their services on the default database: build, claim, record, capacity, call-backs."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Reminder
from members.models import Membership
from members.services import GroupsFull
from outreach.models import CallAttempt, CallList, CallTask, PhoneReveal
from outreach.phones import task_phone
from outreach.services import call_list_close, call_list_reassign, call_record, task_claim, task_claim_next
from outreach.split import Share
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, TagFactory

from .factories import build_list, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def chengdu():
    return MemberFactory.create_batch(12, region="四川/成都")


def test_a_list_freezes_the_selection_leaving_out_members_in_the_group_or_called_recently(operator, agent, chengdu):
    MemberFactory.create_batch(3, region="四川/绵阳")  # not selected
    group = GroupFactory()
    MembershipFactory(member=chengdu[0], group=group)
    earlier = build_list(by=operator, agents=[agent], groups=[GroupFactory()], name="上周")
    task = task_claim(task=earlier.tasks.get(member=chengdu[1]), agent=agent)
    call_record(task=task, agent=agent, outcome=CallTask.Outcome.DECLINED)

    call_list = build_list(by=operator, agents=[agent], groups=[group])
    assert (call_list.selected_count, call_list.skipped_in_group, call_list.skipped_recently_called) == (12, 1, 1)
    assert set(call_list.tasks.values_list("member_id", flat=True)) == {m.pk for m in chengdu[2:]}
    MemberFactory(region="四川/成都")  # joins the selection later: the list is a snapshot
    assert call_list.tasks.count() == 10


def test_a_list_refuses_legacy_groups_and_no_agents(operator, agent, chengdu):
    with pytest.raises(ValidationError) as error:
        build_list(by=operator, agents=[], groups=[GroupFactory(tier="legacy")])
    assert set(error.value.message_dict) == {"groups", "agents"}
    assert not CallList.objects.exists()


def test_claims_follow_the_agents_split_and_never_hand_out_a_task_twice(operator, chengdu):
    first, second = make_agent("agent1"), make_agent("agent2")
    call_list = build_list(by=operator, agents=[first, second])
    claimed = []
    for _ in range(6):
        for agent in (first, second):
            task = task_claim_next(agent=agent)
            assert task.agent == agent
            assert task.status == CallTask.Status.CALLING
            assert task_claim_next(agent=agent) == task  # an unrecorded call comes back first
            call_record(task=task, agent=agent, outcome=CallTask.Outcome.DECLINED)
            claimed.append(task.pk)
    assert len(set(claimed)) == 12 == call_list.tasks.count()
    assert task_claim_next(agent=first) is None


def test_the_shared_queue_goes_to_whoever_asks_first(operator, chengdu):
    first, second = make_agent("agent1"), make_agent("agent2")
    build_list(by=operator, agents=[first, second], split=CallList.Split.SHARED)
    a, b = task_claim_next(agent=first), task_claim_next(agent=second)
    assert a.pk != b.pk
    assert (a.agent, b.agent) == (first, second)
    outsider = make_agent("agent3")
    assert task_claim_next(agent=outsider) is None
    with pytest.raises(PermissionDenied):
        task_claim(task=CallTask.objects.filter(status="open").first(), agent=outsider)


def test_accepted_invites_to_the_first_group_with_room_and_says_so_when_all_are_full(operator, agent, chengdu):
    full, roomy = GroupFactory(capacity=1, name="满群"), GroupFactory(capacity=2, name="新群")
    MembershipFactory(group=full)
    call_list = build_list(by=operator, agents=[agent], groups=[full, roomy])
    invited = []
    for _ in range(2):
        task = task_claim_next(agent=agent)
        call_record(task=task, agent=agent, outcome=CallTask.Outcome.ACCEPTED)
        invited.append(task.member)
    memberships = Membership.objects.filter(group=roomy, status=Membership.Status.INVITED)
    assert sorted(m.member_id for m in memberships) == sorted(m.pk for m in invited)

    task = task_claim_next(agent=agent)
    with pytest.raises(GroupsFull) as error:
        call_record(task=task, agent=agent, outcome=CallTask.Outcome.ACCEPTED)
    assert "满群 1/1" in error.value.messages[0]
    assert "新群 2/2" in error.value.messages[0]
    task.refresh_from_db()
    assert task.status == CallTask.Status.CALLING
    assert task.attempts == 0
    assert not CallAttempt.objects.filter(task=task).exists()
    assert call_list.tasks.filter(outcome="accepted").count() == 2


def test_a_call_back_returns_to_the_agent_at_its_time_with_a_reminder(operator, agent, chengdu):
    build_list(by=operator, agents=[agent])
    task = task_claim_next(agent=agent)
    now = timezone.now()
    at = now + timedelta(hours=3)
    call_record(task=task, agent=agent, outcome=CallTask.Outcome.CALLBACK, callback_at=at, notes="下午三点后再打")
    reminder = Reminder.objects.get(assignee=agent)
    assert reminder.due_at == at
    assert "下午三点后再打" in reminder.text
    assert task_claim_next(agent=agent, now=now).pk != task.pk  # not before its time
    later = task_claim_next(agent=agent, now=at + timedelta(minutes=1))  # the unrecorded one first
    call_record(task=later, agent=agent, outcome=CallTask.Outcome.DECLINED, now=at + timedelta(minutes=1))
    again = task_claim_next(agent=agent, now=at + timedelta(minutes=2))
    assert again.pk == task.pk  # due call-backs come before anything else
    call_record(task=again, agent=agent, outcome=CallTask.Outcome.ACCEPTED, now=at + timedelta(minutes=3))
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.DONE


def test_a_call_back_needs_a_time_in_the_future(operator, agent, chengdu):
    build_list(by=operator, agents=[agent])
    task = task_claim_next(agent=agent)
    for at in (None, timezone.now() - timedelta(minutes=1), timezone.now() + timedelta(days=400)):
        with pytest.raises(ValidationError) as error:
            call_record(task=task, agent=agent, outcome=CallTask.Outcome.CALLBACK, callback_at=at)
        assert "callback_at" in error.value.message_dict


def test_no_answer_is_tried_again_later_until_the_last_attempt(operator, agent, settings):
    settings.OUTREACH_MAX_ATTEMPTS, settings.OUTREACH_RETRY_HOURS = 2, 2
    MemberFactory(region="四川/成都")
    build_list(by=operator, agents=[agent])
    now = timezone.now()
    task = task_claim_next(agent=agent, now=now)
    call_record(task=task, agent=agent, outcome=CallTask.Outcome.NO_ANSWER, now=now)
    assert task_claim_next(agent=agent, now=now + timedelta(hours=1)) is None
    task = task_claim_next(agent=agent, now=now + timedelta(hours=2))
    call_record(task=task, agent=agent, outcome=CallTask.Outcome.NO_ANSWER, now=now + timedelta(hours=2))
    task.refresh_from_db()
    assert (task.status, task.attempts) == (CallTask.Status.DONE, 2)


def test_only_the_calling_agent_records_and_retags(operator, agent, chengdu):
    build_list(by=operator, agents=[agent])
    task = task_claim_next(agent=agent)
    with pytest.raises(PermissionDenied):
        call_record(task=task, agent=make_agent("other"), outcome=CallTask.Outcome.DECLINED)
    acne, wants = TagFactory(code="3"), TagFactory(code="D")
    task.member.tags.add(acne)
    call_record(task=task, agent=agent, outcome=CallTask.Outcome.DECLINED, tags_add=[wants], tags_remove=[acne])
    assert list(task.member.tags.values_list("code", flat=True)) == ["D"]
    with pytest.raises(ValidationError):
        call_record(task=task, agent=agent, outcome=CallTask.Outcome.DECLINED)  # already recorded


def test_the_full_number_only_for_the_calling_agent_and_always_audited(operator, agent, admin_user, chengdu):
    build_list(by=operator, agents=[agent])
    task = task_claim_next(agent=agent)
    number, full = task_phone(agent, task)
    assert full
    assert number == task.member.phone.removeprefix("+86")
    other_number, other_full = task_phone(operator, task)
    assert not other_full
    assert "****" in other_number
    assert task_phone(admin_user, task)[1]  # admins see every number …
    assert list(PhoneReveal.objects.order_by("at").values_list("user__username", "task", "action")) == [
        (agent.username, task.pk, "view"),
        (admin_user.username, task.pk, "view"),  # … and it is recorded too
    ]
    call_record(task=task, agent=agent, outcome=CallTask.Outcome.DECLINED)
    task.refresh_from_db()
    assert not task_phone(agent, task)[1]  # the call is over: masked again


def test_reassigning_an_away_agents_tasks_and_closing(operator, chengdu):
    away, first, second = make_agent("away"), make_agent("agent1"), make_agent("agent2")
    call_list = build_list(by=operator, agents=[away, first])
    task_claim_next(agent=away)  # a call left half-done
    moved = call_list_reassign(call_list=call_list, away=away, to=[Share(first.pk), Share(second.pk)])
    assert moved == 6
    assert not call_list.tasks.filter(agent=away).exists()
    assert call_list.tasks.filter(agent=second).count() == 3
    call_list_close(call_list=call_list)
    assert task_claim_next(agent=first) is None


def test_a_full_number_on_an_admins_member_page_is_audited_and_a_masked_one_is_not(client, admin_user, operator):
    member = MemberFactory()
    client.force_login(admin_user)
    client.get(reverse("members:member-detail", args=[member.pk]))
    assert list(PhoneReveal.objects.values_list("user", "member", "task", "action")) == [
        (admin_user.pk, member.pk, None, "view")
    ]
    client.force_login(operator)
    client.get(reverse("members:member-detail", args=[member.pk]))
    assert PhoneReveal.objects.count() == 1


def test_an_accepted_member_goes_to_the_group_of_their_region_first(operator, agent):
    MemberFactory(region="四川/绵阳")
    anywhere, mianyang = GroupFactory(region="四川"), GroupFactory(region="四川/绵阳")
    build_list(by=operator, agents=[agent], query="region=四川/绵阳", groups=[anywhere, mianyang])
    task = task_claim_next(agent=agent)
    call_record(task=task, agent=agent, outcome=CallTask.Outcome.ACCEPTED)
    task.refresh_from_db()
    assert task.invited_to == mianyang


def test_the_list_is_called_in_order_of_expected_value_with_the_reason(operator, agent):
    from decimal import Decimal

    from outreach.models import MemberValue

    today = timezone.localdate()
    low, high, unknown = (MemberFactory(region="四川/成都", cumulative_purchase=c) for c in (9000, 100, 50_000))
    for member, value, frequency in ((low, "120.00", 1), (high, "3400.50", 5)):
        MemberValue.objects.create(
            member=member, p_alive=0.9, expected_purchases=2.0, horizon_days=56, expected_value=Decimal(value),
            frequency=frequency, recency_days=100, t_days=200, recent_orders=3, recent_gmv=Decimal("3200"),
            last_order_date=today - timedelta(days=41), calibration_end=today,
        )  # fmt: skip
    build_list(by=operator, agents=[agent])
    order = []
    for _ in range(3):
        task = task_claim_next(agent=agent)
        order.append(task.member)
        call_record(task=task, agent=agent, outcome=CallTask.Outcome.DECLINED)
    assert order == [high, low, unknown]  # no value yet: last, whatever the cumulative purchase
    task = CallTask.objects.get(member=high)
    assert task.priority == Decimal("3400.50")
    assert "6" in task.priority_reason
    assert "41" in task.priority_reason


def test_handing_over_a_shared_list_puts_fresh_calls_back_in_its_queue(operator, chengdu):
    away, other = make_agent("away"), make_agent("other")
    call_list = build_list(by=operator, agents=[away, other], split=CallList.Split.SHARED)
    half_done = task_claim_next(agent=away)  # a call left half-done
    call_list_reassign(call_list=call_list, away=away, to=[Share(other.pk)])
    half_done.refresh_from_db()
    assert (half_done.status, half_done.agent) == (CallTask.Status.OPEN, None)
    claimed = set()
    while task := task_claim_next(agent=other):
        claimed.add(task.pk)
        call_record(task=task, agent=other, outcome=CallTask.Outcome.DECLINED)
    assert half_done.pk in claimed
    assert len(claimed) == 12
