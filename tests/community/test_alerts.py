"""Alerts raised when memberships change (members.signals.memberships_changed): a core member leaving, a group
90 % full or at the 200 scan-join limit, members to welcome; and the groups list's flag of a churn rate rising
three weeks running. Each fires once, for the group's owner, due the same day in Asia/Shanghai."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.churn_flags import churn_rising_flags, is_rising
from analytics.recap.data import build_recap
from analytics.recap.periods import parse_period
from campaigns.models import Reminder
from community.models import GroupThreshold
from community.services import core_left_alerts, welcome_save
from core.dates import local_date, local_midnight, week_label
from core.roles import Role
from members.models import Membership
from members.services import membership_end, membership_mark_joined, membership_move
from tests.conftest import make_user
from tests.members.factories import GroupFactory, MemberFactory, OrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_analytics_store")]


@pytest.fixture
def owner():
    return make_user("qunzhu", Role.OPERATOR, first_name="婷", last_name="李")


def join(group, *, days_ago=60, **fields):
    fields.setdefault("joined_at", timezone.now() - dt.timedelta(days=days_ago))
    return Membership.objects.create(member=fields.pop("member", None) or MemberFactory(), group=group, **fields)


def core_member(group, *, orders=3):
    membership = join(group)
    for days in range(orders):
        OrderFactory(member=membership.member, group=group, placed_at=timezone.now() - dt.timedelta(days=3 + days * 5))
    return membership


def alerts(kind_prefix: str):
    return Reminder.objects.filter(key__startswith=f"community:{kind_prefix}")


# --- a core member leaves -------------------------------------------------------------------------------


def test_a_core_member_leaving_alerts_the_owner_once(owner, django_capture_on_commit_callbacks):
    group = GroupFactory(owner=owner)
    core = core_member(group)
    with django_capture_on_commit_callbacks(execute=True):
        membership_end(membership=core, status="left")
    reminder = alerts("core-left").get()
    assert reminder.assignee == owner
    assert reminder.group == group
    assert str(core.member) in reminder.title
    assert local_date(reminder.due_at) == local_date(Membership.objects.get(pk=core.pk).left_at)
    assert reminder in Reminder.objects.for_inbox(owner, now=timezone.now())
    # The signal handled again (a retry, an import resent) raises nothing new.
    assert core_left_alerts(membership_ids=[core.pk], now=timezone.now()) == 0
    assert alerts("core-left").count() == 1


def test_the_alert_is_due_on_the_shanghai_day_of_the_leave(owner):
    """Left at 00:10 in Shanghai (16:10 UTC the day before): the reminder is due that Shanghai day."""
    group = GroupFactory(owner=owner)
    core = core_member(group)
    today = timezone.localdate()
    left_at = local_midnight(today) + dt.timedelta(minutes=10)
    if left_at > timezone.now():
        left_at -= dt.timedelta(days=1)
    membership_end(membership=core, status="left", at=left_at)
    assert core_left_alerts(membership_ids=[core.pk], now=left_at + dt.timedelta(minutes=5)) == 1
    due = alerts("core-left").get().due_at
    assert local_date(due) == local_date(left_at)
    assert due.astimezone(dt.UTC).date() == local_date(left_at) - dt.timedelta(days=1)


def test_no_alert_for_a_member_who_was_not_core(owner, django_capture_on_commit_callbacks):
    group = GroupFactory(owner=owner)
    new = core_member(group, orders=1)  # one order in the window: new, not core
    potential = join(group)  # no order at all
    with django_capture_on_commit_callbacks(execute=True):
        membership_end(membership=new, status="left")
        membership_end(membership=potential, status="left")
    assert not alerts("core-left").exists()


def test_no_alert_when_a_core_member_is_removed_or_moved(owner, django_capture_on_commit_callbacks):
    group = GroupFactory(owner=owner)
    removed, moved = core_member(group), core_member(group)
    with django_capture_on_commit_callbacks(execute=True):
        membership_end(membership=removed, status="removed", reason="1 次违规：骂人")
        membership_move(membership=moved, to=GroupFactory(owner=owner))
    assert not alerts("core-left").exists()


def test_no_alert_for_a_leave_long_ago(owner):
    group = GroupFactory(owner=owner)
    core = core_member(group)
    membership_end(membership=core, status="left", at=timezone.now() - dt.timedelta(days=1, minutes=1))
    assert core_left_alerts(membership_ids=[core.pk], now=timezone.now()) == 0


# --- capacity and the scan-join limit --------------------------------------------------------------------


def test_90_percent_full_alerts_once_per_crossing(owner, django_capture_on_commit_callbacks):
    group = GroupFactory(owner=owner, capacity=10)
    members = [join(group) for _ in range(8)]
    invited = [join(group, status="invited", joined_at=None) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=invited[0])  # 10 open of 10, crossed 9
    first = alerts("capacity").get()
    assert (first.assignee, first.group) == (owner, group)
    assert "10/10" in first.title
    assert local_date(first.due_at) == timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=invited[1])  # still over: nothing new
    assert alerts("capacity").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        for membership in members[:3]:
            membership_end(membership=membership, status="left")  # 7 of 10: back under
    assert not GroupThreshold.objects.get(group=group, kind="capacity").is_crossed
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            membership_mark_joined(membership=join(group, status="invited", joined_at=None))
    assert alerts("capacity").count() == 2  # crossed a second time: told a second time
    assert alerts(f"capacity:g{group.pk}:2").exists()


def test_the_scan_join_limit_alerts_at_200_active_members(owner, django_capture_on_commit_callbacks):
    group = GroupFactory(owner=owner, capacity=500)
    Membership.objects.bulk_create(
        Membership(member=member, group=group, joined_at=timezone.now() - dt.timedelta(days=9))
        for member in MemberFactory.create_batch(199)
    )
    invited = join(group, status="invited", joined_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=invited)
    reminder = alerts("scan_limit").get()
    assert reminder.assignee == owner
    assert "200" in reminder.title
    assert not alerts("capacity").exists()  # 200 of 500 is not 90 %


def test_a_small_group_has_no_scan_limit_alert(owner, django_capture_on_commit_callbacks):
    group = GroupFactory(owner=owner, capacity=200)
    Membership.objects.bulk_create(
        Membership(member=member, group=group, joined_at=timezone.now() - dt.timedelta(days=9))
        for member in MemberFactory.create_batch(199)
    )
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=join(group, status="invited", joined_at=None))
    assert not alerts("scan_limit").exists()
    assert alerts("capacity").count() == 1


# --- welcome ---------------------------------------------------------------------------------------------


def test_an_actual_join_makes_the_welcome_reminder_with_the_groups_message(owner, django_capture_on_commit_callbacks):
    group = GroupFactory(owner=owner, name="成都VIP①")
    welcome_save(group=group, text="欢迎加入{group_name}！昵称请改为“地区-店名”。")
    first, second, third = (join(group, status="invited", joined_at=None) for _ in range(3))
    assert not alerts("welcome").exists()  # an invitation is not a join
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=first)
    reminder = alerts("welcome").get()
    assert (reminder.kind, reminder.assignee, reminder.group) == ("welcome", owner, group)
    assert reminder.text.startswith("欢迎加入成都VIP①！昵称请改为“地区-店名”。")
    assert reminder.text.endswith(f"新成员：{first.member}")
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=second)
    reminder.refresh_from_db()
    assert alerts("welcome").count() == 1
    assert reminder.text.endswith(f"新成员：{first.member}、{second.member}")
    assert "（2 人）" in reminder.title
    Reminder.objects.filter(pk=reminder.pk).update(status="done", done_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        membership_mark_joined(membership=third)
    latest = alerts("welcome").exclude(pk=reminder.pk).get()
    assert latest.text.endswith(f"新成员：{third.member}")


def test_the_welcome_placeholder_fills_playbook_steps(owner):
    from campaigns.models import Playbook, PlaybookStep
    from campaigns.services import playbook_apply

    group = GroupFactory(owner=owner, name="德阳VIP")
    welcome_save(group=group, text="欢迎来到{group_name}")
    playbook = Playbook.objects.create(code="welcome-test", name="欢迎")
    PlaybookStep.objects.create(
        playbook=playbook, anchor="daily", at_time=dt.time(23, 59), kind="welcome", title="欢迎", text="{welcome}",
    )  # fmt: skip
    playbook_apply(playbook=playbook, groups=[group], now=local_midnight(timezone.localdate()))
    assert Reminder.objects.filter(group=group, step__playbook=playbook).first().text == "欢迎来到德阳VIP"


# --- churn rising three weeks running ---------------------------------------------------------------------


def test_is_rising_needs_four_rising_rates():
    from decimal import Decimal as D

    assert is_rising([D("0.05"), D("0.1"), D("0.17"), D("0.28")])
    assert not is_rising([D("0.05"), D("0.1"), D("0.1"), D("0.28")])
    assert not is_rising([None, D("0.1"), D("0.17"), D("0.28")])
    assert not is_rising([D("0.1"), D("0.17"), D("0.28")])


def test_a_group_whose_churn_rose_three_weeks_running_is_flagged():
    monday = local_midnight(timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday()))
    rising, steady = GroupFactory(code="RISE"), GroupFactory(code="STEADY")
    for group, leaves in ((rising, [1, 2, 3, 4]), (steady, [2, 1, 1, 1])):
        memberships = [join(group, days_ago=70) for _ in range(20)]
        for week, count in enumerate(leaves):
            when = monday - dt.timedelta(weeks=4 - week) + dt.timedelta(days=2)
            for membership in memberships[:count]:
                membership_end(membership=membership, status="left", at=when)
            memberships = memberships[count:]
    flags = churn_rising_flags(groups=[rising, steady])
    assert list(flags) == [rising.pk]
    assert "5% → 11% → 18% → 29%" in flags[rising.pk][0].title

    # The recap of the week that just ended says the same, by the same rule.
    last_week = parse_period(week_label(local_date(monday) - dt.timedelta(days=7)))
    rising_in_recap = build_recap(last_week)["problems"]["rising_churn"]
    assert [(g["code"], g["weekly"]) for g in rising_in_recap] == [("RISE", ["0.0500", "0.1053", "0.1765", "0.2857"])]
