"""Alerts from memberships changing (members.signals.memberships_changed): a core member left, a group nearly
full or at the scan-join limit, new members to welcome. Each is a reminder with a unique key, so a signal
handled twice raises nothing twice."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import Reminder
from core.dates import local_date
from members import segments
from members.models import Group, Membership

from .. import rulebook
from ..models import GroupThreshold, GroupWelcome

logger = logging.getLogger(__name__)

# WeChat stops joining by QR scan at 200 members; past it, members must be invited one by one.
SCAN_JOIN_LIMIT = Group.SCAN_JOIN_LIMIT
CAPACITY_ALERT_SHARE = 0.9
# Changes older than this (a file of last month's leaves and joins) are history, not news: no alert.
RECENT = dt.timedelta(days=1)


def _owner_name(group: Group) -> str:
    return (group.owner.get_full_name() or group.owner.username) if group.owner else ""


def _reminder(*, key: str, group: Group, kind: str, title: str, text: str, now: dt.datetime) -> bool:
    """Create the reminder for the group's owner, due now (same day), unless its key exists; True if new."""
    _reminder, created = Reminder.objects.get_or_create(
        key=key,
        defaults={
            "group": group, "kind": kind, "title": title[:200], "text": text, "assignee": group.owner,
            "due_at": now, "next_attempt_at": now,
        },
    )  # fmt: skip
    return created


def alerts_for_changes(*, joined: Iterable[int] = (), ended: Iterable[int] = (), now: dt.datetime | None = None):
    """Everything memberships changing may raise; the memberships_changed receiver calls this."""
    now = now or timezone.now()
    joined, ended = list(joined), list(ended)
    core_left_alerts(membership_ids=ended, now=now)
    welcome_on_join(membership_ids=joined, now=now)
    group_ids = set(Membership.objects.with_ids(joined + ended).values_list("group_id", flat=True))
    group_thresholds_check(group_ids=group_ids, now=now)


def _moves(memberships: list[Membership]) -> set[int]:
    """The ones that were moves (members.services.membership_move ends one membership and opens another at the
    same instant: the member did not leave the team's groups), in one query."""
    opened = set(
        Membership.objects.filter(
            member_id__in={m.member_id for m in memberships},
            joined_at__in={m.left_at for m in memberships},
            status__in=Membership.OPEN_STATUSES,
        ).values_list("member_id", "joined_at")
    )
    return {m.pk for m in memberships if (m.member_id, m.left_at) in opened}


def core_left_alerts(*, membership_ids: Iterable[int], now: dt.datetime) -> int:
    """A member who was core in the group just before leaving it: the group's owner is told the same day (to
    call them back). Removed members (the group's own decision) and moves raise nothing. Returns how many new."""
    left = list(
        Membership.objects.with_ids(membership_ids)
        .filter(status=Membership.Status.LEFT, left_at__gte=now - RECENT)
        .select_related("group__owner", "member")
    )
    moved = _moves(left)
    left = [membership for membership in left if membership.pk not in moved]
    if not left or not segments.available():
        return 0
    # Their segments an instant before leaving (at left_at itself they are no longer in the group), read once
    # per instant for every member who left then: an import ends many memberships at the same few instants.
    leaving_at: dict[dt.datetime, list[int]] = defaultdict(list)
    for membership in left:
        leaving_at[membership.left_at].append(membership.member_id)
    segments_before = {
        at: segments.of_members(member_ids, at=at - dt.timedelta(microseconds=1))
        for at, member_ids in leaving_at.items()
    }
    created = 0
    for membership in left:
        segment = segments_before[membership.left_at].get(membership.member_id, {}).get(membership.group_id)
        if segment != "core":
            continue
        member, group = membership.member, membership.group
        created += _reminder(
            key=f"community:core-left:ms{membership.pk}",
            group=group,
            kind=Reminder.Kind.CUSTOM,
            title=f"核心成员退群：{member}（{group.name}）",
            text=f"{member}（{member.store_name or member.external_id}）是{group.name}的核心成员，"
            f"{timezone.localtime(membership.left_at):%m月%d日 %H:%M}退群了。今天联系一下，问问原因。",
            now=now,
        )
    return created


def _crossed(group: Group, kind: str, *, open_count: int, active_count: int) -> bool | None:
    """Whether the group is past the threshold `kind` now; None when the threshold does not apply to it."""
    if kind == GroupThreshold.Kind.CAPACITY:
        return open_count >= math.ceil(group.capacity * CAPACITY_ALERT_SHARE)
    if group.capacity <= SCAN_JOIN_LIMIT:
        return None  # a group that small fills before scanning stops
    return active_count >= SCAN_JOIN_LIMIT


def _threshold_text(group: Group, kind: str, *, open_count: int, active_count: int) -> tuple[str, str]:
    if kind == GroupThreshold.Kind.CAPACITY:
        return (
            f"群快满了：{group.name} {open_count}/{group.capacity}",
            f"{group.name}已有 {open_count} 人（含已邀请），容量 {group.capacity}，已过 90%。"
            "请准备新群，或把新客户引到同区域的其他群。",
        )
    return (
        f"扫码进群已停止：{group.name} 已满 {SCAN_JOIN_LIMIT} 人",
        f"{group.name}已有 {active_count} 人，微信群满 {SCAN_JOIN_LIMIT} 人后不能再扫码进群。"
        "请更换海报上的群二维码（或活码），剩下的名额只能由群成员邀请。",
    )


def group_thresholds_check(*, group_ids: Iterable[int], now: dt.datetime) -> int:
    """Tell each group's owner when it crosses 90 % of its capacity or the scan-join limit: once per crossing
    (dropping back under resets it). Returns how many reminders are new."""
    counts = defaultdict(lambda: {"open": 0, "active": 0})
    ids = list(group_ids)
    per_group = (
        Membership.objects.open()
        .filter(group_id__in=ids)
        .values("group_id")
        .annotate(open=Count("pk"), active=Count("pk", filter=Q(status=Membership.Status.ACTIVE)))
        .order_by()
    )
    for row in per_group:
        counts[row["group_id"]] = {"open": row["open"], "active": row["active"]}
    pairs = []  # (group, kind, crossed now) for each threshold that applies
    for group in Group.objects.filter(pk__in=ids).select_related("owner").order_by("pk"):
        for kind in GroupThreshold.Kind.values:
            crossed = _crossed(group, kind, **_counts(counts, group))
            if crossed is not None:
                pairs.append((group, kind, crossed))
    # One read of every state; only a threshold crossed or dropped back under is written, under its row's lock
    # (an import changes hundreds of groups at once: a transaction per threshold was most of its wait).
    GroupThreshold.objects.bulk_create(
        [GroupThreshold(group=group, kind=kind) for group, kind, _crossed_now in pairs], ignore_conflicts=True
    )
    stored = {(t.group_id, t.kind): t.is_crossed for t in GroupThreshold.objects.filter(group_id__in=ids)}
    reminders = []
    with transaction.atomic():  # groups in id order: two checks at once take the locks in the same order
        for group, kind, crossed in pairs:
            if stored[group.pk, kind] == crossed:
                continue
            state = GroupThreshold.objects.select_for_update().get(group=group, kind=kind)
            if crossed == state.is_crossed:
                continue
            state.is_crossed = crossed
            if crossed:
                state.crossings += 1
                title, text = _threshold_text(group, kind, **_counts(counts, group))
                reminders.append(Reminder(
                    key=f"community:{kind}:g{group.pk}:{state.crossings}", group=group, kind=Reminder.Kind.CUSTOM,
                    title=title[:200], text=text, assignee=group.owner, due_at=now, next_attempt_at=now,
                ))  # fmt: skip
            state.save(update_fields=["is_crossed", "crossings"])
        existing = set(Reminder.objects.filter(key__in=[r.key for r in reminders]).values_list("key", flat=True))
        new = [reminder for reminder in reminders if reminder.key not in existing]
        Reminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def _counts(counts: dict, group: Group) -> dict[str, int]:
    return {"open_count": counts[group.pk]["open"], "active_count": counts[group.pk]["active"]}


def welcome_text(group: Group) -> str:
    """The group's welcome message (the default one until an operator writes one), its name filled in."""
    welcome = GroupWelcome.objects.filter(group=group).values_list("text", flat=True).first()
    return (welcome or rulebook.DEFAULT_WELCOME).replace("{group_name}", group.name)


def welcome_on_join(*, membership_ids: Iterable[int], now: dt.datetime) -> int:
    """Members joined: the owner gets one welcome reminder per group and day, listing who to welcome, with the
    group's welcome message. Later joins the same day are added to it while it is open; once done, a new one
    is made for those who join after. Returns how many reminders are new."""
    joined = defaultdict(list)
    for membership in (
        Membership.objects.with_ids(membership_ids)
        .filter(status=Membership.Status.ACTIVE, joined_at__gte=now - RECENT)
        .select_related("group__owner", "member")
    ):
        joined[membership.group].append(str(membership.member))
    created = 0
    day = local_date(now)
    for group, names in joined.items():
        with transaction.atomic():
            for number in range(1, 100):
                key = f"community:welcome:g{group.pk}:{day:%Y%m%d}:{number}"
                reminder = Reminder.objects.select_for_update().filter(key=key).first()
                if reminder is not None and reminder.status not in Reminder.OPEN_STATUSES:
                    continue
                if reminder is None:
                    everyone = names
                else:
                    already = reminder.text.rsplit("\n新成员：", 1)[-1].split("、")
                    everyone = already + [name for name in names if name not in already]
                title = f"欢迎新成员：{group.name}（{len(everyone)} 人）"
                text = f"{welcome_text(group)}\n新成员：{'、'.join(everyone)}"
                if reminder is None:
                    created += _reminder(
                        key=key, group=group, kind=Reminder.Kind.WELCOME, title=title, text=text, now=now
                    )
                else:
                    reminder.title, reminder.text = title[:200], text
                    reminder.save(update_fields=["title", "text"])
                break
    return created


def group_context(group: Group) -> dict[str, str]:
    """The playbooks' per-group placeholders: {welcome} and {rules}."""
    from ..selectors import group_announcement

    return {"welcome": welcome_text(group), "rules": group_announcement(group=group)}


def on_memberships_changed(sender, *, joined=(), ended=(), **kwargs) -> None:
    """Receiver of members.signals.memberships_changed (sent after the commit): a failure here must not turn
    the page that ended a membership into an error page, so it is logged, with the ids to rerun it."""
    try:
        alerts_for_changes(joined=joined, ended=ended)
    except Exception:
        logger.exception("community: alerts for joined=%s ended=%s failed", joined, ended)
