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
from django.db.models import Case, DurationField, F, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core.sqlite_turns import writer_turn

from .channels import SENDERS, PermanentDeliveryError, RateLimited
from .models import Delivery, Reminder

logger = logging.getLogger(__name__)

# 1000 rows per claim: large enough that per-statement costs vanish (and SQLite hands its write lock over
# rarely), small enough to keep a transaction short, and far under SQLite's bound-parameter limit.
CLAIM_BATCH = 1000
MAX_BACKOFF = dt.timedelta(hours=1)
DELIVERY_KEY_PREFIX = "communityops-reminder-"  # + the reminder's id: see Reminder.delivery_key


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class SweepResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    delivered_ids: list[int] = field(default_factory=list)


def _late_by_sql(now: dt.datetime) -> tuple[str, list]:
    """SQL for now − due_at, for every row of a statement at once."""
    value = connection.ops.adapt_datetimefield_value(now)
    if connection.vendor == "sqlite":
        # Django's portable timestamp difference calls Python per row on SQLite; julianday() is native. Its double
        # has ~40 µs resolution: rounded to the millisecond (DurationField is stored as microseconds).
        return "CAST(ROUND((julianday(%s) - julianday(due_at)) * 86400000) AS INTEGER) * 1000", [value]
    return "(%s::timestamptz - due_at)", [value]


def _claim(
    *, due_condition: str, params: list, now: dt.datetime, limit: int, token: str, deliver_inbox: bool
) -> list[tuple[int, str]]:
    """One UPDATE that claims up to `limit` rows matching `due_condition` and returns (id, channel).

    With `deliver_inbox`, in-app rows go straight to `sent` in the same statement: the in-app channel is this
    row change (and the Delivery row written with it), so there is nothing to lease.
    """
    table = Reminder._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    lease_until = now + dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    order_column = "lease_until" if "lease_until" in due_condition else "next_attempt_at"
    if connection.vendor == "postgresql":
        # ARRAY(…) makes PostgreSQL run the locking subquery exactly once.
        where = (
            f"id = ANY(ARRAY(SELECT id FROM {table} WHERE {due_condition} ORDER BY {order_column} LIMIT %s "
            "FOR UPDATE SKIP LOCKED))"
        )
    else:
        where = f"id IN (SELECT id FROM {table} WHERE {due_condition} ORDER BY {order_column} LIMIT %s)"
    if deliver_inbox:
        late_sql, late_args = _late_by_sql(now)
        grace = now - dt.timedelta(seconds=settings.REMINDER_LATE_AFTER_SECONDS)
        inbox = "channel = 'inbox'"
        sets = (
            f"status = CASE WHEN {inbox} THEN 'sent' ELSE 'sending' END, "
            f"lease_until = CASE WHEN {inbox} THEN NULL ELSE %s END, "
            f"sent_at = CASE WHEN {inbox} THEN %s ELSE sent_at END, "
            f"late_by = CASE WHEN {inbox} THEN {late_sql} ELSE late_by END, "
            f"is_late = CASE WHEN {inbox} THEN due_at < %s ELSE is_late END"
        )
        set_args = [adapt(lease_until), adapt(now), *late_args, adapt(grace)]
    else:
        sets, set_args = "status = 'sending', lease_until = %s", [adapt(lease_until)]
    sql = (
        f"UPDATE {table} SET {sets}, claim_token = %s, claimed_at = %s, attempts = attempts + 1 "
        f"WHERE {where} RETURNING id, channel"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*set_args, token, adapt(now), *params, limit])
        return list(cursor.fetchall())


def reminders_claim(*, now: dt.datetime, limit: int = CLAIM_BATCH, token: str | None = None, deliver_inbox=False):
    """Claim up to `limit` reminders: first those whose claim expired (their worker died), then due ones.

    Returns (token, [(id, channel), …]); the rows are ours until `lease_until`. With `deliver_inbox`, in-app
    rows are marked sent by the claim itself and the caller must write their Delivery rows in the same
    transaction (`reminders_sweep` does).
    """
    token = token or uuid.uuid4().hex
    adapt = connection.ops.adapt_datetimefield_value
    # Status literals are inlined so the planners match the partial indexes (reminder_sending_lease, …_pending_due).
    rows = _claim(
        due_condition="status = 'sending' AND lease_until < %s", params=[adapt(now)], now=now, limit=limit,
        token=token, deliver_inbox=deliver_inbox,
    )  # fmt: skip
    if len(rows) < limit:
        rows += _claim(
            due_condition="status = 'pending' AND next_attempt_at <= %s", params=[adapt(now)], now=now,
            limit=limit - len(rows), token=token, deliver_inbox=deliver_inbox,
        )  # fmt: skip
    return token, rows


def _mark_sent(ids: list[int], *, token: str, now: dt.datetime, channel: str, target: str = "") -> list[int]:
    """Within the caller's transaction: sending → sent for the rows we still hold, plus their Delivery rows."""
    grace = dt.timedelta(seconds=settings.REMINDER_LATE_AFTER_SECONDS)
    mine = Reminder.objects.filter(pk__in=ids, claim_token=token, status=Reminder.Status.SENDING)
    updated = mine.update(
        status=Reminder.Status.SENT,
        sent_at=now,
        late_by=RawSQL(*_late_by_sql(now), output_field=DurationField()),
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
    _record_deliveries(ids, channel=channel, target=target, now=now)
    return ids


def _record_deliveries(ids: list[int], *, channel: str, target: str = "", now: dt.datetime) -> None:
    if not ids:
        return
    # One INSERT … SELECT instead of a model instance per row: this is the sweep's hot path.
    table, delivery = Reminder._meta.db_table, Delivery._meta.db_table
    if connection.vendor == "postgresql":
        where, id_args = "id = ANY(%s)", [list(ids)]  # one array parameter: nothing to plan per id
    else:
        where, id_args = f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {delivery} (reminder_id, channel, idempotency_key, target, sent_at, worker) "
            f"SELECT id, %s, %s || id, %s, %s, %s FROM {table} WHERE {where} "
            "ON CONFLICT (idempotency_key) DO NOTHING",
            [
                channel,
                DELIVERY_KEY_PREFIX,
                target,
                connection.ops.adapt_datetimefield_value(now),
                worker_name(),
                *id_args,
            ],
        )


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
        # The claim and the in-app deliveries commit together: one write transaction per batch (SQLite has a
        # single writer, so fewer, larger transactions is what makes two workers fast), and a worker killed
        # half-way rolls its in-app rows back to pending instead of leaving them to a lease.
        with writer_turn("sweep"), transaction.atomic():
            token, rows = reminders_claim(now=moment, limit=batch_size, deliver_inbox=True)
            done = [pk for pk, channel in rows if channel == Reminder.Channel.INBOX]
            _record_deliveries(done, channel=Reminder.Channel.INBOX, now=moment)
        if not rows:
            break
        result.claimed += len(rows)
        result.sent += len(done)
        if collect_ids:
            result.delivered_ids.extend(done)
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
