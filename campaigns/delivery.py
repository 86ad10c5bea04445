"""Claim due reminders once and send each once, whatever crashes, duplicate beats or broker outages happen.

A sweep repeats: claim a batch (pending and due, or `sending` whose lease ran out because the worker that
held it died), hand each to its channel, record the result. The claim is one statement:
`UPDATE … WHERE id = ANY(SELECT … FOR UPDATE SKIP LOCKED)` on PostgreSQL, so concurrent sweeps take
disjoint rows without waiting; on SQLite the same conditional UPDATE runs in an IMMEDIATE transaction,
which holds the database's write lock, so a row claimed by one sweep is no longer `pending` for the next.

Marking a reminder sent is conditional on the claim token, and a Delivery row with the reminder's unique
idempotency key is written in the same transaction; the in-app inbox is just that row, so it is delivered
exactly once. An external send (robot, e-mail) that succeeded just before a crash is sent again after the
lease runs out, with the same idempotency key (header / Message-ID) for the receiver to drop it.
"""

import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DurationField, ExpressionWrapper, F, Value, When
from django.db.models.fields import DateTimeField
from django.utils import timezone

from .channels import SENDERS, PermanentDeliveryError, RateLimited
from .models import Delivery, Reminder

logger = logging.getLogger(__name__)

# 500 rows per claim: large enough that the claim and bulk writes dominate, small enough that a killed
# worker strands few reminders until their lease runs out, and under SQLite's bound-parameter limit.
CLAIM_BATCH = 500
MAX_BACKOFF = dt.timedelta(hours=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class SweepResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    delivered_ids: list[int] = field(default_factory=list)


def _claim(*, due_condition: str, params: list, now: dt.datetime, limit: int, token: str) -> list[tuple[int, str]]:
    table = Reminder._meta.db_table
    ops = connection.ops
    lease_until = now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    if connection.vendor == "postgresql":
        # ARRAY(…) makes PostgreSQL run the locking subquery exactly once.
        where = (
            f"id = ANY(ARRAY(SELECT id FROM {table} WHERE {due_condition} ORDER BY 2 LIMIT %s FOR UPDATE SKIP LOCKED))"
        )
    else:
        where = f"id IN (SELECT id FROM {table} WHERE {due_condition} ORDER BY 2 LIMIT %s)"
    order_column = "lease_until" if "lease_until" in due_condition else "next_attempt_at"
    where = where.replace("ORDER BY 2", f"ORDER BY {order_column}")
    sql = (
        f"UPDATE {table} SET status = 'sending', claim_token = %s, claimed_at = %s, lease_until = %s, "
        f"attempts = attempts + 1 WHERE {where} RETURNING id, channel"
    )
    args = [token, ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(lease_until), *params, limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, args)
        return list(cursor.fetchall())


def reminders_claim(*, now: dt.datetime, limit: int = CLAIM_BATCH, token: str | None = None):
    """Claim up to `limit` reminders: first those whose claim expired (their worker died), then due ones.

    Returns (token, [(id, channel), …]); the rows are ours until `lease_until`.
    """
    token = token or uuid.uuid4().hex
    adapt = connection.ops.adapt_datetimefield_value
    # Status literals are inlined so the planners match the partial indexes (reminder_sending_lease, …_pending_due).
    rows = _claim(
        due_condition="status = 'sending' AND lease_until < %s", params=[adapt(now)], now=now, limit=limit, token=token
    )
    if len(rows) < limit:
        rows += _claim(
            due_condition="status = 'pending' AND next_attempt_at <= %s",
            params=[adapt(now)],
            now=now,
            limit=limit - len(rows),
            token=token,
        )
    return token, rows


def _mark_sent(ids: list[int], *, token: str, now: dt.datetime, channel: str, target: str = "") -> list[int]:
    """Within the caller's transaction: sending → sent for the rows we still hold, plus their Delivery rows."""
    grace = dt.timedelta(seconds=settings.REMINDER_LATE_AFTER_SECONDS)
    mine = Reminder.objects.filter(pk__in=ids, claim_token=token, status=Reminder.Status.SENDING)
    updated = mine.update(
        status=Reminder.Status.SENT,
        sent_at=now,
        late_by=ExpressionWrapper(Value(now, output_field=DateTimeField()) - F("due_at"), output_field=DurationField()),
        is_late=Case(When(due_at__lt=now - grace, then=Value(True)), default=Value(False)),
        lease_until=None,
        last_error="",
    )
    if updated != len(ids):
        # Some lease ran out and another sweep took the row over: only ours are recorded here.
        ids = list(
            Reminder.objects.filter(
                pk__in=ids, claim_token=token, status=Reminder.Status.SENT, sent_at=now
            ).values_list("pk", flat=True)
        )
    worker = worker_name()
    Delivery.objects.bulk_create(
        [
            Delivery(
                reminder_id=pk,
                channel=channel,
                idempotency_key=f"communityops-reminder-{pk}",
                target=target,
                sent_at=now,
                worker=worker,
            )  # fmt: skip
            for pk in ids
        ],
        ignore_conflicts=True,
    )
    return ids


def _release(reminder_id: int, *, token: str, retry_at: dt.datetime) -> None:
    """Give a claimed reminder back without counting an attempt (the channel's rate limit was reached)."""
    Reminder.objects.filter(pk=reminder_id, claim_token=token, status=Reminder.Status.SENDING).update(
        status=Reminder.Status.PENDING, next_attempt_at=retry_at, attempts=F("attempts") - 1, claim_token="",
        lease_until=None,
    )  # fmt: skip


def _retry_or_fail(reminder: Reminder, *, token: str, error: Exception, now: dt.datetime, permanent: bool) -> bool:
    """Back off exponentially (30 s, 1 min, 2 min, …) until the last attempt, then fail. True when failed."""
    failed = permanent or reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS
    backoff = min(
        MAX_BACKOFF, dt.timedelta(seconds=settings.REMINDER_RETRY_BASE_SECONDS * 2 ** (reminder.attempts - 1))
    )
    Reminder.objects.filter(pk=reminder.pk, claim_token=token, status=Reminder.Status.SENDING).update(
        status=Reminder.Status.FAILED if failed else Reminder.Status.PENDING,
        next_attempt_at=now if failed else now + backoff,
        last_error=str(error)[:2000],
        claim_token="",
        lease_until=None,
    )
    logger.warning("reminder %s attempt %s failed: %s", reminder.pk, reminder.attempts, error)
    return failed


def _deliver_external(reminder_id: int, *, token: str, result: SweepResult, collect_ids: bool) -> None:
    now = timezone.now()
    lease_until = now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    # Renew the lease before a slow network call; 0 rows: another sweep owns it now.
    if not Reminder.objects.filter(pk=reminder_id, claim_token=token, status=Reminder.Status.SENDING).update(
        lease_until=lease_until
    ):
        return
    reminder = Reminder.objects.select_related("group", "assignee").get(pk=reminder_id)
    key = reminder.delivery_key
    if Delivery.objects.filter(idempotency_key=key).exists():
        # An earlier attempt sent it and recorded the delivery, then died before the reminder said so.
        with transaction.atomic():
            done = _mark_sent([reminder_id], token=token, now=now, channel=reminder.channel)
        result.sent += len(done)
        if collect_ids:
            result.delivered_ids.extend(done)
        return
    try:
        target = SENDERS[reminder.channel](reminder, key=key, now=now)
    except RateLimited as limited:
        _release(reminder_id, token=token, retry_at=limited.retry_at)
        result.retried += 1
        return
    except Exception as error:  # noqa: BLE001 — any failure of a channel is retried, never lost
        failed = _retry_or_fail(
            reminder, token=token, error=error, now=now, permanent=isinstance(error, PermanentDeliveryError)
        )
        result.failed += failed
        result.retried += not failed
        return
    with transaction.atomic():
        done = _mark_sent([reminder_id], token=token, now=timezone.now(), channel=reminder.channel, target=target)
    result.sent += len(done)
    if collect_ids:
        result.delivered_ids.extend(done)


def reminders_sweep(
    *,
    now: dt.datetime | None = None,
    batch_size: int = CLAIM_BATCH,
    max_seconds: float | None = None,
    collect_ids: bool = False,
    on_batch=None,
) -> SweepResult:
    """Claim and deliver due reminders until none is left (or `max_seconds` have passed).

    `on_batch(ids)` is called with the ids delivered by each batch once they are committed.
    """
    result = SweepResult()
    started = timezone.now()
    while True:
        moment = now or timezone.now()
        token, rows = reminders_claim(now=moment, limit=batch_size)
        if not rows:
            break
        result.claimed += len(rows)
        inbox = [pk for pk, channel in rows if channel == Reminder.Channel.INBOX]
        if inbox:
            with transaction.atomic():
                done = _mark_sent(inbox, token=token, now=now or timezone.now(), channel=Reminder.Channel.INBOX)
            result.sent += len(done)
            if collect_ids:
                result.delivered_ids.extend(done)
        else:
            done = []
        external = SweepResult()
        for pk, channel in rows:
            if channel != Reminder.Channel.INBOX:
                _deliver_external(pk, token=token, result=external, collect_ids=collect_ids or on_batch is not None)
        result.sent += external.sent
        result.retried += external.retried
        result.failed += external.failed
        if collect_ids:
            result.delivered_ids.extend(external.delivered_ids)
        if on_batch is not None:
            on_batch(done + external.delivered_ids)
        if max_seconds is not None and (timezone.now() - started).total_seconds() > max_seconds:
            break
    return result
