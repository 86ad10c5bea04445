from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.money import ZERO, MoneyField
from members.models import Group, Member, SavedSelection, Tag


class Script(models.Model):
    """What an agent says, chosen by the member's tags: the script whose tags the member all has, the most
    specific first; a script without tags is the fallback. `{name}`, `{store}` and `{group}` are filled in."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    text = models.TextField(_("text"), help_text=_("{name}, {store} and {group} are filled in for each call."))
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="scripts", verbose_name=_("for members with all of these tags")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("script")
        verbose_name_plural = _("scripts")

    def __str__(self) -> str:
        return self.name


class CallList(models.Model):
    """A list of members to call, frozen from a saved selection when it was built, split among agents."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("call list", "Open")
        CLOSED = "closed", pgettext_lazy("call list", "Closed")

    class Split(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin, by weight")
        REGION = "region", _("By region")
        SHARED = "shared", _("One shared queue")

    name = models.CharField(_("name"), max_length=100)
    selection = models.ForeignKey(
        SavedSelection, on_delete=models.SET_NULL, null=True, blank=True, related_name="call_lists",
        verbose_name=_("saved selection"),
    )  # fmt: skip
    selection_query = models.TextField(_("filter when built"), blank=True)
    script = models.ForeignKey(
        Script, on_delete=models.SET_NULL, null=True, blank=True, related_name="call_lists",
        verbose_name=_("default script"),
    )  # fmt: skip
    groups = models.ManyToManyField(
        Group, through="CallListGroup", related_name="call_lists", verbose_name=_("groups to invite to")
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CallListAgent", related_name="call_lists", verbose_name=_("agents")
    )
    split = models.CharField(_("split"), max_length=16, choices=Split.choices, default=Split.ROUND_ROBIN)
    due_date = models.DateField(_("due"), null=True, blank=True)
    recent_days = models.PositiveSmallIntegerField(
        _("leave out members called within (days)"), default=30,
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    selected_count = models.PositiveIntegerField(_("selected"), default=0)
    skipped_in_group = models.PositiveIntegerField(_("left out: already in the group"), default=0)
    skipped_recently_called = models.PositiveIntegerField(_("left out: called recently"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("call list")
        verbose_name_plural = _("call lists")

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CallListGroup(models.Model):
    """A group an accepted call invites to; the first of the pool with room takes the member."""

    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="pool")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+", verbose_name=_("group"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["call_list", "group"], name="call_list_group_once")]

    def __str__(self) -> str:
        return f"{self.call_list} → {self.group}"


class CallListAgent(models.Model):
    """An agent working a list, with their share of it (a weight, or the regions they take)."""

    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="crew")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    regions = models.JSONField(_("regions"), default=list, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["call_list", "agent"], name="call_list_agent_once")]

    def __str__(self) -> str:
        return f"{self.call_list} · {self.agent}"


class CallTaskQuerySet(models.QuerySet):
    def unfinished(self):
        return self.exclude(status=CallTask.Status.DONE)


class CallTask(models.Model):
    """One member to call on one list: open, being called (claimed by one agent), or done."""

    class Status(models.TextChoices):
        OPEN = "open", _("To call")
        CALLING = "calling", _("Calling")
        DONE = "done", _("Done")

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", _("No answer")
        DECLINED = "declined", _("Declined")
        ACCEPTED = "accepted", _("Accepted")
        CALLBACK = "callback", _("Call back")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    CONNECTED = (Outcome.DECLINED, Outcome.ACCEPTED, Outcome.CALLBACK)

    # No index of their own: the composite indexes below lead with each of them (every index costs a write per
    # task when a 20,000-member list is built).
    call_list = models.ForeignKey(
        CallList, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("list"), db_index=False
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="call_tasks", verbose_name=_("member"), db_index=False
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="call_tasks",
        verbose_name=_("agent"), db_index=False,
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("calls"), default=0)
    next_attempt_at = models.DateTimeField(_("call at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # 0 until the member has a stored expected value (no counting order yet): such members are called last.
    priority = MoneyField(_("expected value"), default=ZERO)
    priority_reason = models.CharField(_("why"), max_length=200, blank=True)
    invited_to = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("invited to"),
        db_index=False,
    )  # fmt: skip
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = CallTaskQuerySet.as_manager()

    class Meta:
        ordering = ["call_list", "pk"]
        verbose_name = _("call task")
        verbose_name_plural = _("call tasks")
        permissions = [("work_calltask", _("Can work the call tasks assigned to them"))]
        constraints = [
            models.UniqueConstraint(fields=["call_list", "member"], name="call_task_member_once_per_list"),
            models.CheckConstraint(
                condition=~Q(status="calling") | Q(agent__isnull=False, claimed_at__isnull=False),
                name="call_task_calling_has_agent",
            ),
        ]
        indexes = [
            # The queues a claim reads (services/claims.py), each in the order it reads them, so that the first row
            # of an index scan is the task to call: an agent's due call-backs and retries, then per list their
            # own fresh tasks and the list's shared ones, by expected value.
            models.Index(
                fields=["agent", "next_attempt_at", "-priority", "id"],
                condition=Q(status="open", next_attempt_at__isnull=False),
                name="call_task_due",
            ),
            models.Index(
                fields=["agent", "call_list", "-priority", "id"],
                condition=Q(status="open", next_attempt_at__isnull=True),
                name="call_task_fresh",
            ),
            models.Index(
                fields=["call_list", "-priority", "id"],
                condition=Q(status="open", next_attempt_at__isnull=True, agent__isnull=True),
                name="call_task_shared",
            ),
            models.Index(fields=["agent", "status"], name="call_task_agent_status"),
            models.Index(fields=["call_list", "status"], name="call_task_list_status"),
            models.Index(fields=["member", "created_at"], name="call_task_member"),
        ]

    def __str__(self) -> str:
        return f"{self.call_list} · {self.member}"


class CallAttempt(models.Model):
    """One call made: who called, when, how it went. The per-day numbers are counted from these."""

    task = models.ForeignKey(CallTask, on_delete=models.CASCADE, related_name="calls", verbose_name=_("task"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallTask.Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [models.Index(fields=["agent", "at"]), models.Index(fields=["at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="callback") | Q(callback_at__isnull=False), name="call_attempt_callback_has_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.get_outcome_display()}"
