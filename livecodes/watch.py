"""The owner's reminders: a QR image about to expire, a pool about to run out of room. Each is created once
(per image; per run-out, which ends when the pool has room again): the claim on the image or the live code
is an UPDATE that only one watcher wins, and the reminders' keys are unique besides. A copy goes to the
WeCom robot (the webhook channel) when one is set for the group, or for all groups."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Reminder, WebhookRobot
from core.dates import zone

from .choice import pool_rooms, redis_holds
from .models import LiveCode, QRImage

# A run-out's reminder key: the prefix, the live code's id, the run-out's number. The recap counts run-outs by it.
RUNOUT_KEY_PREFIX = "livecode-runout:"


def _webhook_set(group_id: int | None) -> bool:
    robots = WebhookRobot.objects.filter(is_active=True)
    if group_id and robots.filter(groups=group_id).exists():
        return True
    return robots.filter(groups=None).exists() or bool(settings.WECOM_ROBOT_WEBHOOK_URL)


def _remind(*, key: str, title: str, text: str, owner, group_id: int | None, now: dt.datetime) -> list[Reminder]:
    channels = [Reminder.Channel.INBOX]
    if _webhook_set(group_id):
        channels.append(Reminder.Channel.WEBHOOK)
    made = []
    for channel in channels:
        reminder, _created = Reminder.objects.get_or_create(
            key=key if channel == Reminder.Channel.INBOX else f"{key}:{channel}",
            defaults={
                "group_id": group_id, "kind": Reminder.Kind.CUSTOM, "title": title[:200], "text": text,
                "assignee": owner, "channel": channel, "due_at": now, "next_attempt_at": now,
            },
        )  # fmt: skip
        made.append(reminder)
    return made


def _expiring_images(now: dt.datetime):
    """Images expiring within the warning window, not yet reminded, that are their group's newest: an older
    image replaced by a newer one needs nobody."""
    soon = now + dt.timedelta(hours=settings.LIVECODE_EXPIRY_WARNING_HOURS)
    images = (
        QRImage.objects.filter(
            expiry_reminded_at__isnull=True,
            expires_at__lte=soon,
            entry__is_active=True,
            entry__live_code__is_active=True,
        )
        .select_related("entry__group", "entry__live_code__owner")
        .annotate(newest=Max("entry__images__expires_at"))
    )
    return [image for image in images if image.newest == image.expires_at]


def images_expiry_watch(*, now: dt.datetime | None = None) -> list[Reminder]:
    now = now or timezone.now()
    made = []
    for image in _expiring_images(now):
        with transaction.atomic():
            if not QRImage.objects.filter(pk=image.pk, expiry_reminded_at__isnull=True).update(expiry_reminded_at=now):
                continue
            live_code, group = image.entry.live_code, image.entry.group
            made += _remind(
                key=f"livecode-expiry:{image.pk}",
                title=_("Upload a new QR image for %(group)s") % {"group": group.name},
                text=_("Its QR image on the live code %(code)s expires at %(at)s; scans will not reach it after that.")
                % {"code": live_code.name, "at": timezone.localtime(image.expires_at, zone()).strftime("%m-%d %H:%M")},
                owner=live_code.owner, group_id=group.pk, now=now,
            )  # fmt: skip
    return made


def pool_room(live_code: LiveCode, *, now: dt.datetime) -> int:
    """Places left in the pool's groups that have an unexpired image (holds in Redis included)."""
    rows = pool_rooms(live_code, now=now, redis_holds=None)
    holds = redis_holds([entry.group_id for entry, _room, _image in rows])
    return sum(max(0, room - holds.get(entry.group_id, 0)) for entry, room, image in rows if image is not None)


def pools_runout_watch(*, now: dt.datetime | None = None) -> list[Reminder]:
    now = now or timezone.now()
    made = []
    for live_code in LiveCode.objects.filter(is_active=True).select_related("owner"):
        room = pool_room(live_code, now=now)
        running_out = room <= settings.LIVECODE_RUNOUT_PLACES
        with transaction.atomic():
            if running_out and live_code.runout_alerted_at is None:
                if not LiveCode.objects.filter(pk=live_code.pk, runout_alerted_at__isnull=True).update(
                    runout_alerted_at=now
                ):
                    continue
                made += _remind(
                    key=f"{RUNOUT_KEY_PREFIX}{live_code.pk}:{live_code.runout_episode}",
                    title=_("The live code %(code)s is running out of room") % {"code": live_code.name},
                    text=_("%(room)s places left in its groups. Add a group to the pool or upload new QR images.")
                    % {"room": room},
                    owner=live_code.owner, group_id=None, now=now,
                )  # fmt: skip
            elif not running_out and live_code.runout_alerted_at is not None:
                # The pool has room again: the next run-out is a new one, reminded again.
                LiveCode.objects.filter(pk=live_code.pk, runout_episode=live_code.runout_episode).update(
                    runout_alerted_at=None, runout_episode=live_code.runout_episode + 1
                )
    return made


def livecodes_watch(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return len(images_expiry_watch(now=now)) + len(pools_runout_watch(now=now))
