"""analytics owns no source data. Its derived store is columnar (`analytics.store`), kept current from a
change log that the database itself writes (`SourceChange`, filled by triggers: `analytics.triggers`);
the rest are the vocabularies its results speak."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    """A member's segment in a group at an instant (docs/metrics.md): a total partition."""

    POTENTIAL = "potential", _("Potential")
    NEW = "new", _("New")
    CORE = "core", _("Core")
    DORMANT = "dormant", _("Dormant")


# Where a member of the group at a week's start can be at its end: a segment, or out of the group.
LEFT = "left"
SEGMENTS = [Segment.POTENTIAL, Segment.NEW, Segment.CORE, Segment.DORMANT]
TRANSITION_TARGETS = [*SEGMENTS, LEFT]


class Grade(models.TextChoices):
    """Group grade from the trailing window; a high-value group is grade A."""

    A = "A", _("A · high value")
    B = "B", _("B")
    C = "C", _("C")
    D = "D", _("D · no sales")


class Access(models.Model):
    """No table: the holder of the analytics app's permissions, which the roles carry (granted to
    operators and managers by `analytics/migrations/0002_grant_roles.py`; admins hold every permission)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", _("Can see the numbers: rankings, group trends, decompositions, rates")),
            ("view_recap", _("Can read the weekly recap")),
            ("regenerate_recap", _("Can regenerate a kept recap")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class SourceChange(models.Model):
    """One row of orders or memberships was inserted, updated or deleted (or, with no row id, possibly all).

    Written only by database triggers (`analytics.triggers`), never by Python code: so an ORM `update()`,
    an UPDATE typed in psql or sqlite3, or a writer not yet written cannot change a number behind the
    store's back. The store re-reads the rows named here; entries it has absorbed (and persisted) are pruned.
    """

    class Source(models.IntegerChoices):
        ORDERS = 1, _("orders")
        MEMBERSHIPS = 2, _("memberships")

    id = models.BigAutoField(primary_key=True)
    source = models.PositiveSmallIntegerField(choices=Source.choices)
    # None: every row of the source may have changed (a TRUNCATE, or writes made while the triggers were missing).
    row_id = models.BigIntegerField(null=True)
    # PostgreSQL only: the writing transaction (pg_current_xact_id()). Log ids come from a sequence, which is
    # not in commit order there; the store reads by transaction visibility instead (analytics.changelog).
    xact = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("source change")
        verbose_name_plural = _("source changes")
        default_permissions = ()
        # Partial: SQLite leaves xact empty, so its triggers pay nothing for this index.
        indexes = [models.Index(fields=["xact"], name="sourcechange_xact", condition=Q(xact__isnull=False))]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.row_id or '*'}"


class ChangeLogState(models.Model):
    """The change log's one row: which database this is, and up to where the log has been pruned.

    `instance` is a random token set when the triggers are first installed: a snapshot file taken from
    another database (recreated, or a copy) does not match it and is not used. `pruned_through`: log
    entries below it are gone (SQLite: log ids; PostgreSQL: transaction ids), so a process whose position is
    older cannot catch up from the log and reloads the snapshot or rebuilds.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    instance = models.CharField(max_length=32, blank=True, default="")
    pruned_through = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("change log state")
        verbose_name_plural = _("change log state")
        default_permissions = ()
        constraints = [models.CheckConstraint(condition=Q(id=1), name="changelogstate_one_row")]

    def __str__(self) -> str:
        return f"pruned through {self.pruned_through}"


class Recap(models.Model):
    """A period's recap as it was computed (`analytics.recap.data.build_recap`), kept so that last month's
    recap reads the same after late imports; regenerating replaces it and says what changed."""

    period = models.CharField(_("period"), max_length=10, unique=True, help_text=_("2026-W47 or 2026-11"))
    document = models.JSONField(_("document"), encoder=DjangoJSONEncoder)
    generated_at = models.DateTimeField(_("generated"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("generated by"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("recap")
        verbose_name_plural = _("recaps")
        default_permissions = ()

    def __str__(self) -> str:
        return self.period


class RecapNote(models.Model):
    """The retrospective the team writes on a period's recap page: what went wrong and what to change. Kept
    with the period, apart from the snapshot, so regenerating the numbers never loses it."""

    period = models.CharField(_("period"), max_length=10, unique=True)
    text = models.TextField(_("retrospective"), max_length=20000, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("recap retrospective")
        verbose_name_plural = _("recap retrospectives")
        default_permissions = ()
        permissions = [("write_recapnote", _("Can write a recap's retrospective"))]

    def __str__(self) -> str:
        return self.period


class RecapDelivery(models.Model):
    """The Monday e-mail of one week's recap to one manager (`analytics.recap.delivery`). The row is claimed in
    its own committed transaction before the e-mail goes out and marked sent once the SMTP server accepted it,
    so a rerun (a restart during the job) sends only what was not sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        NO_ADDRESS = "no_address", _("No e-mail address")

    period = models.CharField(_("period"), max_length=10)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("manager")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    address = models.EmailField(_("e-mail address"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    # A claim expires: a job killed while sending leaves its row `sending`; the next run takes it over after this.
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("recap e-mail")
        verbose_name_plural = _("recap e-mails")
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["period", "user"], name="recap_delivery_once_per_manager")]

    def __str__(self) -> str:
        return f"{self.period} → {self.user_id}"
