"""Where a reminder goes: the in-app inbox (always), a WeCom group robot, e-mail.

Every send carries the reminder's idempotency key (an HTTP header, the e-mail's Message-ID), so a send
retried after a crash can be recognised as the same message by whoever receives it.
"""

import datetime as dt
import hashlib
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from core.money import yuan

from .models import RateLimitBucket, RateLimitHit, Reminder, WebhookRobot

WECOM_RATE_LIMITED = 45009  # WeCom's errcode for "api freq out of limit"
WEBHOOK_TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """A send failed; the sweep retries with backoff."""


class PermanentDeliveryError(DeliveryError):
    """A send cannot succeed by retrying (no address, no robot): the reminder fails at once."""


class RateLimited(Exception):
    """The channel's rate limit is reached; try again at `retry_at` (not counted as a failed attempt)."""

    def __init__(self, retry_at: dt.datetime):
        self.retry_at = retry_at
        super().__init__(f"rate limited until {retry_at:%H:%M:%S}")


def rate_limit_take(*, key: str, limit: int, window: dt.timedelta, now: dt.datetime | None = None) -> None:
    """Take one slot of `limit` per sliding `window` for `key`, across every worker process, or raise RateLimited.

    The bucket row is locked (SELECT … FOR UPDATE; SQLite's IMMEDIATE transaction locks the file), so the
    count and the new hit are one step: two workers cannot both take the last slot.
    """
    now = now or timezone.now()
    with transaction.atomic():
        bucket, _created = RateLimitBucket.objects.get_or_create(key=key)
        bucket = RateLimitBucket.objects.select_for_update().get(pk=bucket.pk)
        since = now - window
        hits = list(
            RateLimitHit.objects.filter(bucket=bucket, at__gt=since).order_by("at").values_list("at", flat=True)[:limit]
        )
        if len(hits) >= limit:
            raise RateLimited(hits[0] + window)
        RateLimitHit.objects.create(bucket=bucket, at=now)
        RateLimitHit.objects.filter(bucket=bucket, at__lte=since).delete()


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%m-%d %H:%M}"


def reminder_markdown(reminder: Reminder, *, key: str) -> str:
    """The reminder as WeCom markdown (at most 4096 bytes)."""
    lines = [f"**{reminder.title}**"]
    if reminder.group_id:
        lines.append(f"> 群：{reminder.group.name}")
    lines.append(f"> 时间：{_local(reminder.due_at)}")
    if reminder.assignee_id:
        lines.append(f"> 负责人：{reminder.assignee.get_full_name() or reminder.assignee.username}")
    if reminder.red_packet_amount:
        lines.append(
            f"> 红包：{yuan(reminder.red_packet_amount)} × {reminder.red_packet_count}，"
            f"名称「{reminder.red_packet_name}」"
        )
    if reminder.text:
        lines.append("")
        lines.append(reminder.text)
    lines.append(f'<font color="comment">{key}</font>')
    content = "\n".join(lines)
    while len(content.encode()) > 4096:
        content = content[: len(content) - 100]
    return content


def robot_url_for(reminder: Reminder) -> str:
    robot = None
    if reminder.group_id:
        robot = WebhookRobot.objects.filter(is_active=True, groups=reminder.group_id).first()
    if robot is None:
        robot = WebhookRobot.objects.filter(is_active=True, groups=None).first()
    url = robot.url if robot else settings.WECOM_ROBOT_WEBHOOK_URL
    if not url:
        raise PermanentDeliveryError("no WeCom robot is configured for this group (WECOM_ROBOT_WEBHOOK_URL)")
    return url


def send_webhook(reminder: Reminder, *, key: str, now: dt.datetime) -> str:
    """POST the reminder to its WeCom robot; returns the robot URL it went to."""
    url = robot_url_for(reminder)
    rate_limit_take(
        key="wecom:" + hashlib.sha256(url.encode()).hexdigest()[:32],
        limit=settings.WECOM_ROBOT_PER_MINUTE,
        window=dt.timedelta(minutes=1),
        now=now,
    )
    body = json.dumps({"msgtype": "markdown", "markdown": {"content": reminder_markdown(reminder, key=key)}})
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310 (configured URL)
            payload = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        raise DeliveryError(f"webhook: {error}") from error
    errcode = payload.get("errcode", 0)
    if errcode == WECOM_RATE_LIMITED:
        raise RateLimited(now + dt.timedelta(minutes=1))
    if errcode != 0:
        raise DeliveryError(f"webhook: errcode {errcode} {payload.get('errmsg', '')}")
    return url


def send_email(reminder: Reminder, *, key: str, now: dt.datetime) -> str:
    """Mail the reminder to its assignee through the configured backend (SMTP in production)."""
    address = reminder.assignee.email if reminder.assignee_id else ""
    if not address:
        raise PermanentDeliveryError("the assignee has no e-mail address")
    lines = [reminder.text] if reminder.text else []
    if reminder.group_id:
        lines.insert(0, f"群：{reminder.group.name}")
    if reminder.red_packet_amount:
        lines.append(
            f"红包：{yuan(reminder.red_packet_amount)} × {reminder.red_packet_count}，"
            f"名称「{reminder.red_packet_name}」"
        )
    lines.append(f"时间：{_local(reminder.due_at)}")
    message = EmailMessage(
        subject=f"[待办提醒] {reminder.title}",
        body="\n".join(lines),
        to=[address],
        # The same Message-ID on a resend lets mail systems drop the copy.
        headers={"Message-ID": f"<{key}@communityops>", "X-Idempotency-Key": key},
        connection=get_connection(fail_silently=False),
    )
    try:
        message.send()
    except (OSError, Exception) as error:  # smtplib errors are OSError subclasses or SMTPException
        raise DeliveryError(f"email: {error}") from error
    return address


SENDERS = {Reminder.Channel.WEBHOOK: send_webhook, Reminder.Channel.EMAIL: send_email}
