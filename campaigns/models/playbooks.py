"""SOP playbooks: steps timed from an anchor, and which group runs which playbook."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyField
from members.models import Group

from ..playbooks import template_errors
from .campaigns import Campaign


class Playbook(models.Model):
    """An SOP (剧本): ordered steps relative to an anchor, applied to a campaign and groups as reminders."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_shipped = models.BooleanField(_("shipped with the app"), default=False)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies", verbose_name=_("copied from")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self) -> str:
        return self.name

    @property
    def needs_campaign(self) -> bool:
        return any(step.anchor in PlaybookStep.CAMPAIGN_ANCHORS for step in self.steps.all())


class PlaybookStep(models.Model):
    """One step: "T−1d 20:00 red packet ¥0.5 × 10 named {campaign_time}", "T−10min countdown", …

    The due time is the anchor's local day shifted by `offset_days` at `at_time`, or, without `at_time`,
    the anchor instant shifted by `offset_days` and `offset_minutes`. A daily step repeats `repeat_days` times.
    """

    class Anchor(models.TextChoices):
        CAMPAIGN_START = "campaign_start", _("Campaign start")
        CAMPAIGN_END = "campaign_end", _("Campaign end")
        GROUP_CREATED = "group_created", _("Group creation")
        DAILY = "daily", _("Every day at a time")

    class Kind(models.TextChoices):
        RED_PACKET = "red_packet", _("Red packet")
        ANNOUNCEMENT = "announcement", _("Announcement")
        TEASER = "teaser", _("Teaser")
        COUNTDOWN = "countdown", _("Countdown")
        WELCOME = "welcome", _("Welcome message")
        CUSTOM = "custom", _("Custom task")

    class AssigneeRole(models.TextChoices):
        GROUP_OWNER = "group_owner", _("The group's owner")
        CAMPAIGN_OWNER = "campaign_owner", _("The campaign's owner")
        USER = "user", _("A named person")

    class Channel(models.TextChoices):
        INBOX = "inbox", _("In-app inbox")
        WEBHOOK = "webhook", _("WeCom group robot")
        EMAIL = "email", _("E-mail")

    CAMPAIGN_ANCHORS = (Anchor.CAMPAIGN_START, Anchor.CAMPAIGN_END)

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps", verbose_name=_("playbook"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    anchor = models.CharField(_("anchor"), max_length=16, choices=Anchor.choices, default=Anchor.CAMPAIGN_START)
    offset_days = models.SmallIntegerField(_("days from the anchor"), default=0)
    at_time = models.TimeField(_("at (local time)"), null=True, blank=True)
    offset_minutes = models.IntegerField(
        _("minutes from the anchor"),
        default=0,
        help_text=_("Used when no time of day is given: −10 = ten minutes before."),
    )
    repeat_days = models.PositiveSmallIntegerField(_("repeat for days"), default=1)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ANNOUNCEMENT)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(
        _("text"), blank=True, help_text=_("Placeholders such as {campaign_time}, {link}, {items}.")
    )
    red_packet_amount = MoneyField(_("red packet amount per packet"), null=True, blank=True)
    red_packet_count = models.PositiveSmallIntegerField(_("number of red packets"), null=True, blank=True)
    red_packet_name = models.CharField(_("red packet name"), max_length=100, blank=True)
    assignee_role = models.CharField(
        _("assignee"), max_length=16, choices=AssigneeRole.choices, default=AssigneeRole.GROUP_OWNER
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("named assignee"),
    )  # fmt: skip
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.INBOX)

    class Meta:
        ordering = ["playbook", "position", "id"]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        constraints = [
            models.CheckConstraint(
                condition=Q(red_packet_amount__isnull=True) | Q(red_packet_amount__gt=0),
                name="playbook_step_red_packet_positive",
            ),
            models.CheckConstraint(condition=Q(repeat_days__gte=1), name="playbook_step_repeat_at_least_once"),
        ]

    def __str__(self) -> str:
        return f"{self.playbook}: {self.title}"

    def clean(self):
        errors: dict[str, list] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        before_anchor = self.offset_days < 0 or (
            self.at_time is None and self.offset_days == 0 and self.offset_minutes < 0
        )
        after_anchor = self.offset_days > 0 or (
            self.at_time is None and self.offset_days == 0 and self.offset_minutes > 0
        )
        if self.anchor == self.Anchor.GROUP_CREATED and before_anchor:
            add("offset_days", _("Nothing can happen in a group before the group exists: use an offset of 0 or more."))
        if self.anchor == self.Anchor.DAILY:
            if self.at_time is None:
                add("at_time", _("A daily step needs a time of day."))
            if self.offset_days or self.offset_minutes:
                add("offset_days", _("A daily step runs every day at its time; it takes no offset."))
        elif self.repeat_days != 1:
            add("repeat_days", _("Only a daily step repeats."))
        if self.kind == self.Kind.COUNTDOWN and self.anchor in self.CAMPAIGN_ANCHORS and after_anchor:
            add("offset_days", _("A countdown comes before the moment it counts down to."))
        if self.kind == self.Kind.TEASER and (
            self.anchor == self.Anchor.CAMPAIGN_END or (self.anchor == self.Anchor.CAMPAIGN_START and after_anchor)
        ):
            add("offset_days", _("A teaser comes before the campaign starts."))
        if self.kind == self.Kind.RED_PACKET:
            if not self.red_packet_amount or self.red_packet_amount <= 0:
                add("red_packet_amount", _("A red packet needs an amount above ¥0."))
            if not self.red_packet_count:
                add("red_packet_count", _("A red packet needs a count of at least 1."))
            if (
                self.red_packet_amount
                and self.red_packet_count
                and self.red_packet_amount / self.red_packet_count < Decimal("0.01")
            ):
                add("red_packet_count", _("Each red packet must hold at least ¥0.01."))
            if not self.red_packet_name:
                add("red_packet_name", _("Name the red packet, e.g. {campaign_time}."))
        for field in ("title", "text", "red_packet_name"):
            for message in template_errors(getattr(self, field)):
                add(field, message)
        if self.assignee_role == self.AssigneeRole.USER and self.assignee_id is None:
            add("assignee", _("Choose the person, or assign the step to the group's or campaign's owner."))
        if errors:
            raise ValidationError(errors)


class PlaybookAssignment(models.Model):
    """Which group runs which playbook, since when, and for which campaign (replication is measured on it)."""

    playbook = models.ForeignKey(
        Playbook, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("playbook")
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="playbook_assignments", verbose_name=_("group")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="playbook_assignments",
        verbose_name=_("campaign"),
    )  # fmt: skip
    starts_at = models.DateTimeField(_("anchor for daily steps"), default=timezone.now)
    is_copy = models.BooleanField(_("replicated from another group"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("playbook assignment")
        verbose_name_plural = _("playbook assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "group", "campaign"], name="playbook_assignment_once_per_campaign"
            ),
            models.UniqueConstraint(
                fields=["playbook", "group"],
                condition=Q(campaign__isnull=True),
                name="playbook_assignment_once_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.playbook} → {self.group}"
