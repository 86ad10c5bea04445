"""The community part of the demo: the template rules on every VIP group, the strikes the memberships already
count recorded as violations (the removed members' removals done by their owner), a member of 成都VIP① two
short videos in this week with the removal reminder waiting in the owner's inbox, and a core member of
南充VIP who left today (so, this week), with the alert their owner got.

Runs last (`demo/loader.py`), deterministically from the demo's own `random.Random(seed + 13)`: it consumes
nothing of the demo's generator, so the rest of the data is the same with or without it.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F

from campaigns.models import Reminder
from community import rulebook
from community.models import Removal, Rule, Violation
from community.services import core_left_alerts, rules_apply_templates, violation_record, welcome_save
from core.dates import local_midnight
from members import segments
from members.models import Membership
from members.services import membership_end

from .story import VIP_GROUPS, Demo

NOTES = {
    "short_video": ["发了抖音带货视频", "转发短视频链接", "发了搞笑视频"],
    "takeaway_coupon": ["发了外卖红包券", "转发美团外卖券"],
    "vote": ["拉票：帮孩子投票", "发了投票小程序"],
    "insult": ["和群友吵架骂人"],
    "politics": ["转发时政文章"],
}


def _strikes_recorded(demo: Demo, rng: random.Random, rules: dict[tuple[int, str], Rule]) -> None:
    """The strikes the memberships count (demo/people.py) become violations: one banned-content strike for the
    active ones; two short videos, or one insult, for the removed ones, whose removal the owner carried out."""
    by = demo.users["yunying"]
    violations, removals = [], []
    struck = Membership.objects.filter(group__code__in=VIP_GROUPS, strikes__gte=1).select_related("group__owner")
    for membership in struck.order_by("pk"):
        joined = (membership.joined_at or demo.now).astimezone(demo.tz)
        first = demo.local(
            joined.date() + dt.timedelta(days=rng.randint(1, 3)), dt.time(rng.randint(9, 21), rng.randint(0, 59))
        )
        if membership.status == Membership.Status.REMOVED:
            key = "short_video" if membership.strikes >= 2 else "insult"
        else:
            key = rng.choice(["short_video", "takeaway_coupon", "vote"])
        rule = rules[(membership.group_id, key)]
        ends = membership.left_at or demo.now
        for number in range(1, membership.strikes + 1):
            at = min(first + dt.timedelta(days=number - 1), ends - dt.timedelta(hours=1))
            violations.append(Violation(membership=membership, rule=rule, number=number,
                                        note=rng.choice(NOTES[key]), recorded_by=by, recorded_at=at))  # fmt: skip
        if membership.status == Membership.Status.REMOVED:
            reason = rulebook.removal_reason(strikes=membership.strikes, rule_title=rule.title)
            reminder = Reminder.objects.create(
                key=f"community:removal:ms{membership.pk}", group=membership.group, kind=Reminder.Kind.CUSTOM,
                title=f"移出群成员：{membership.member}（{reason}）", assignee=membership.group.owner,
                due_at=membership.left_at, next_attempt_at=membership.left_at, status=Reminder.Status.DONE,
                sent_at=membership.left_at, done_at=membership.left_at, done_by=membership.group.owner,
            )  # fmt: skip
            removals.append(Removal(membership=membership, rule=rule, reason=reason, reminder=reminder,
                                    created_at=membership.left_at, removed_at=membership.left_at))  # fmt: skip
            if not membership.reason:
                membership.reason = reason
                membership.save(update_fields=["reason"])
    Violation.objects.bulk_create(violations)
    Removal.objects.bulk_create(removals)


def _two_short_videos_this_week(demo: Demo, rules: dict[tuple[int, str], Rule]) -> None:
    """An active member of 成都VIP① with no strike yet posts two short videos: the owner's removal reminder."""
    membership = (
        Membership.objects.filter(group__code="VIP-CD1", status=Membership.Status.ACTIVE, strikes=0)
        .exclude(joined_at__gt=demo.now - dt.timedelta(days=3))
        .order_by("pk")
        .first()
    )
    video = rules[(membership.group_id, "short_video")]
    for hours_ago, note in ((26, "发了抖音带货视频"), (2, "又发了短视频，已私聊提醒过")):
        violation_record(membership=membership, rule=video, by=demo.users["yunying"], note=note,
                         now=demo.now - dt.timedelta(hours=hours_ago))  # fmt: skip
    _sent_on_time(Reminder.objects.filter(key=f"community:removal:ms{membership.pk}"))


def _core_member_left_today(demo: Demo) -> None:
    """A core member of 南充VIP (the competitor's rep again) leaves today, early; the owner is alerted at once."""
    group = demo.groups["VIP-NC"]
    midnight = local_midnight(demo.now.astimezone(demo.tz).date())
    left_at = (midnight + (demo.now - midnight) / 2).replace(microsecond=0)
    core = set(segments.member_ids(segment="core", group=group, at=left_at))
    membership = (
        Membership.objects.filter(group=group, status=Membership.Status.ACTIVE, member_id__in=core, strikes=0)
        .order_by("pk")
        .first()
    )
    if membership is None:
        raise RuntimeError("the demo's 南充VIP has no core member left to lose")
    membership_end(membership=membership, status=Membership.Status.LEFT, reason="去了竞品本地业务员那里", at=left_at)
    core_left_alerts(membership_ids=[membership.pk], now=left_at + dt.timedelta(minutes=3))
    _sent_on_time(Reminder.objects.filter(key=f"community:core-left:ms{membership.pk}"))


def _sent_on_time(reminders) -> None:
    """Reminders the demo dates in the past were delivered when due, as the running worker would have."""
    reminders.filter(status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SENT, sent_at=F("due_at"), attempts=1
    )


def create_community(demo: Demo) -> None:
    rng = random.Random(demo.seed + 13)
    vip = [demo.groups[code] for code in VIP_GROUPS]
    rules_apply_templates(groups=vip)
    rules = {(rule.group_id, rule.template_key): rule for rule in Rule.objects.filter(group__in=vip)}
    welcome_save(group=demo.groups["VIP-CD1"], text="欢迎加入{group_name}！请把群昵称改为“地区-店名”，群规见群公告。"
                 "每周四10点会员专场，记得准时来抢～")  # fmt: skip
    _strikes_recorded(demo, rng, rules)
    _two_short_videos_this_week(demo, rules)
    _core_member_left_today(demo)
