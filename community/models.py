"""Group rules (nickname format, banned content, conduct), the violations recorded against them, the removal a
rule's strike limit asks for, each group's welcome message, and which alert thresholds a group has crossed."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Reminder
from members.models import Group, Membership

MAX_STRIKE_LIMIT = 10


class Rule(models.Model):
    """One rule of a group, as posted in its announcement: "不发短视频（2 次移出）"."""

    class Kind(models.TextChoices):
        NICKNAME = "nickname", _("Nickname format")
        BANNED_CONTENT = "banned_content", _("Banned content")
        CONDUCT = "conduct", _("Conduct")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="rules", verbose_name=_("group"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Which rule of the template set it came from; applying the set again updates nothing it already made.
    template_key = models.CharField(_("template"), max_length=32, blank=True)
    title = models.CharField(_("title"), max_length=50)
    text = models.CharField(_("announcement text"), max_length=200)
    # Strikes that take a member out; a nickname rule has none (members are asked to fix the nickname).
    strike_limit = models.PositiveSmallIntegerField(
        _("strike limit"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_STRIKE_LIMIT)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["group", "position", "pk"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "template_key"], condition=~Q(template_key=""), name="rule_one_per_template_per_group"
            ),
            models.CheckConstraint(
                condition=Q(kind="nickname", strike_limit__isnull=True)
                | (~Q(kind="nickname") & Q(strike_limit__isnull=False, strike_limit__gte=1)),
                name="rule_strike_limit_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.takes_strikes and self.strike_limit is None:
            raise ValidationError({"strike_limit": _("Give the number of strikes that take a member out (1 to 10).")})

    @property
    def takes_strikes(self) -> bool:
        return self.kind != self.Kind.NICKNAME


class Violation(models.Model):
    """A strike: a member broke a rule of the group, noted by a user, maybe with a screenshot of the chat."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="violations", verbose_name=_("membership")
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="violations", verbose_name=_("rule"))
    # 1, 2, …: this violation's strike of the rule for this membership. Unique, so two recorded at once cannot
    # both be strike 2 (the service numbers them under a lock on the membership).
    number = models.PositiveSmallIntegerField(_("strike"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    screenshot = models.ImageField(_("screenshot"), upload_to="community/violations/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # The token of the form that recorded it (a new one each time the group page is shown): the same form sent
    # twice (a double click, a retry on a slow phone) is one strike, not two.
    submission = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        constraints = [
            models.UniqueConstraint(fields=["membership", "rule", "number"], name="violation_number_unique"),
            models.UniqueConstraint(
                fields=["membership", "submission"], condition=~Q(submission=""), name="violation_submission_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership} · {self.rule} #{self.number}"


class Removal(models.Model):
    """A rule's strike limit reached: the removal reminder given to the group's owner. Once the owner marks it
    done, the membership ends as removed with `reason` ("2 次违规：发短视频"). One per membership."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="removal", verbose_name=_("membership")
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="+", verbose_name=_("rule"))
    reason = models.CharField(_("reason"), max_length=200)
    reminder = models.OneToOneField(
        Reminder, on_delete=models.CASCADE, related_name="removal", verbose_name=_("reminder")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("removal")
        verbose_name_plural = _("removals")

    def __str__(self) -> str:
        return self.reason


class GroupWelcome(models.Model):
    """The welcome message of a group: what the owner posts when members join (and the `{welcome}` of a
    playbook step)."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="welcome", verbose_name=_("group"))
    text = models.TextField(_("welcome message"), max_length=1000)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("welcome message")
        verbose_name_plural = _("welcome messages")

    def __str__(self) -> str:
        return self.text[:50]


class GroupThreshold(models.Model):
    """Whether a group is past an alert threshold now (90 % full, the 200 scan-join limit), and how many times it
    crossed it: one reminder per crossing, keyed by that count, so a group that drops back and fills again is
    told again, and a re-sent signal is not."""

    class Kind(models.TextChoices):
        CAPACITY = "capacity", _("90% full")
        SCAN_LIMIT = "scan_limit", _("Scan-join limit")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+", verbose_name=_("group"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    is_crossed = models.BooleanField(_("crossed"), default=False)
    crossings = models.PositiveIntegerField(_("crossings"), default=0)

    class Meta:
        verbose_name = _("group threshold")
        verbose_name_plural = _("group thresholds")
        constraints = [models.UniqueConstraint(fields=["group", "kind"], name="group_threshold_unique")]

    def __str__(self) -> str:
        return f"{self.group} {self.kind}"
