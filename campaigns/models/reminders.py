"""Reminders (what a person must do in a group, when), their deliveries and the channels' targets.

The database is the truth. A reminder's status says where it is; Celery only moves work (see
`campaigns/delivery.py` for how a reminder is claimed once and sent once).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import can
from core.money import MoneyField
from members.models import Group

from ..permissions import CHANGE_REMINDERS, CLOSE_ANY_REMINDER
from .campaigns import Campaign
from .playbooks import PlaybookStep


def _closable(user, *, now) -> Q | None:
    """Which reminders `user` may close (mark done or skipped) at `now`; None: none. The one home of the rule.

    Only due ones: a reminder still to come has not been sent, and closing it would keep it from ever being
    sent. Of those, any for who oversees every group (`campaigns.close_any_reminder`: managers, admins); for
    who works reminders (`campaigns.change_reminder`: operators), those assigned to them and those of the
    groups they own; for anyone else, none.
    """
    due = Q(due_at__lte=now)
    if can(user, CLOSE_ANY_REMINDER):
        return due
    if can(user, CHANGE_REMINDERS):
        return due & (Q(assignee=user) | Q(group__owner=user))
    return None


def overdue_grace() -> dt.timedelta:
    """How far behind its due minute an open reminder is overdue: the grace after which a delivery is late, so the
    inbox and the delivery call the same reminders late."""
    return dt.timedelta(seconds=settings.REMINDER_LATE_AFTER_SECONDS)


class ReminderQuerySet(models.QuerySet):
    def closable_by(self, user, *, now):
        """The reminders `user` may close at `now` (see `_closable`), whatever their status."""
        condition = _closable(user, now=now)
        return self.none() if condition is None else self.filter(condition)

    def with_closable(self, user, *, now):
        """Each reminder with `closable`: whether `user` may close it at `now` (the inbox's buttons)."""
        condition = _closable(user, now=now)
        value = Value(False) if condition is None else ExpressionWrapper(condition, output_field=BooleanField())
        return self.annotate(closable=value)

    def open(self):
        """Still to be done by someone: not done, skipped or cancelled."""
        return self.filter(status__in=Reminder.OPEN_STATUSES)

    def late(self):
        """Delivered after their due time plus the grace (`is_late`, set by the delivery)."""
        return self.filter(is_late=True)

    def overdue(self, *, now):
        """Open and due longer ago than the grace (`overdue_grace`): whoever it is for should have done it already."""
        return self.open().filter(due_at__lt=now - overdue_grace())

    def missed(self, *, now):
        """Due before `now` and never done: still pending, only sent, or failed. The calendar's "missed" and
        the recap's read this one rule."""
        return self.filter(status__in=[Reminder.Status.SENT, Reminder.Status.FAILED, Reminder.Status.PENDING]).filter(
            due_at__lt=now
        )

    def awaiting_sweep(self, *, now):
        """Due and not yet sent: what a sweep would claim at `now` (`delivery.reminders_claim`, in SQL there) —
        pending with its next attempt reached, or `sending` under a lease that ran out (its worker died)."""
        return self.filter(
            Q(status=Reminder.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Reminder.Status.SENDING, lease_until__lt=now)
        )

    def for_inbox(self, user, *, now):
        """What `user` should do now: due, delivered or failed to deliver, not yet done — theirs or nobody's."""
        return (
            self.filter(status__in=Reminder.INBOX_STATUSES, due_at__lte=now)
            .filter(Q(assignee=user) | Q(assignee__isnull=True))
            .order_by("due_at", "id")
        )


class Reminder(models.Model):
    """Something a person must do in a group at a given minute: "send the ¥0.5 × 10 red packet named 周四10点".

    pending → sending (claimed by a sweep, under a lease) → sent → done / skipped; or failed after retries;
    cancelled when its group leaves the campaign. `key` is unique: applying a playbook twice makes nothing new.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        RED_PACKET = "red_packet", _("Red packet")
        ANNOUNCEMENT = "announcement", _("Announcement")
        TEASER = "teaser", _("Teaser")
        COUNTDOWN = "countdown", _("Countdown")
        WELCOME = "welcome", _("Welcome message")
        CUSTOM = "custom", _("Custom task")
        RESTOCK = "restock", _("Restock alert")
        # Something to read, not a task (the Monday recap): never counted late or missed.
        NOTICE = "notice", _("Notice")

    Channel = PlaybookStep.Channel
    # The kinds whose text is what gets pasted into the WeChat group (the inbox offers to copy it); the others'
    # text is an instruction to the person ("红包名称写活动时间").
    TEXT_TO_PASTE_KINDS = (Kind.ANNOUNCEMENT, Kind.TEASER, Kind.COUNTDOWN, Kind.WELCOME)
    OPEN_STATUSES = (Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED)
    INBOX_STATUSES = (Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED)

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders", verbose_name=_("campaign")
    )
    # Fewer indexes make the sweep's UPDATE cheaper (every index gets a new entry per row sent): the group's
    # and the assignee's are composite indexes below, the step's and done_by's are not worth one.
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders", verbose_name=_("group"),
        db_index=False,
    )  # fmt: skip
    step = models.ForeignKey(
        PlaybookStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders",
        verbose_name=_("step"), db_index=False,
    )  # fmt: skip
    occurrence = models.PositiveSmallIntegerField(_("occurrence"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    # The app's page the item is about (a path such as /analytics/recap/?period=2026-W48), opened from the inbox.
    # db_default: rows written in plain SQL (the reminder benches, the exactly-once tests) name no link.
    link = models.CharField(_("link"), max_length=300, blank=True, default="", db_default="")
    red_packet_amount = MoneyField(_("red packet amount per packet"), null=True, blank=True)
    red_packet_count = models.PositiveSmallIntegerField(_("number of red packets"), null=True, blank=True)
    red_packet_name = models.CharField(_("red packet name"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reminders",
        verbose_name=_("assignee"), db_index=False,
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.INBOX)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # When a sweep may (re)try it: the due time, then later after a failed attempt (backoff).
    next_attempt_at = models.DateTimeField(_("next attempt"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A claim expires: a sweep that died (SIGKILL, power cut) leaves rows in `sending` that another sweep
    # takes over once the lease has run out.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    late_by = models.DurationField(_("late by"), null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("done by"), db_index=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        permissions = [("close_any_reminder", _("Can close anyone's reminder"))]
        indexes = [
            # The sweep's two claim queries read only these partial indexes.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="reminder_pending_due"),
            models.Index(fields=["lease_until"], condition=Q(status="sending"), name="reminder_sending_lease"),
            models.Index(fields=["assignee", "due_at"], name="reminder_assignee_due"),
            models.Index(fields=["group", "due_at"], name="reminder_group_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(red_packet_amount__isnull=True) | Q(red_packet_amount__gt=0),
                name="reminder_red_packet_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_text_to_paste(self) -> bool:
        return bool(self.text) and self.kind in self.TEXT_TO_PASTE_KINDS

    def overdue_by(self, now: dt.datetime) -> dt.timedelta | None:
        """How late an open reminder is at `now`, once past the grace (`overdue_grace`); None when it is not."""
        if self.status not in self.OPEN_STATUSES or now - self.due_at <= overdue_grace():
            return None
        return now - self.due_at

    @property
    def delivery_key(self) -> str:
        """The idempotency key every channel send carries: the same on every retry of this reminder."""
        return f"communityops-reminder-{self.pk}"  # delivery.DELIVERY_KEY_PREFIX, kept in step


class Delivery(models.Model):
    """One message handed to a channel for one reminder. The unique key makes a retried send a no-op here,
    and is passed to the channel (header / Message-ID) so a receiver can drop a resent copy."""

    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("reminder")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=PlaybookStep.Channel.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    target = models.CharField(_("to"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"))
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return self.idempotency_key


class WebhookRobot(models.Model):
    """A WeCom group robot (群机器人) that posts reminders into a team's internal WeCom group.

    WeCom accepts at most 20 messages a minute per robot; the sweep keeps under it across all workers.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("webhook URL"), max_length=500)
    groups = models.ManyToManyField(
        Group, blank=True, related_name="webhook_robots", verbose_name=_("groups"),
        help_text=_("Reminders for these groups go to this robot; a robot with no groups takes the rest."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("WeCom robot")
        verbose_name_plural = _("WeCom robots")

    def __str__(self) -> str:
        return self.name
