from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import registry


class ImportJob(models.Model):
    """A file uploaded in the browser, validated (dry run) and then, once confirmed, imported.

    The database row is the truth about progress; the Celery task only updates it, so the page can poll it.
    `kind` names an importer of `imports.registry` (groups, members, orders, …), registered by its app.
    Only its owner (`created_by`), or a holder of `import_any`, may open, confirm or retry it. A running step
    holds a lease it renews between chunks; the sweep (`imports.sweep`) takes back a step whose lease ran
    out (its worker died), sends again a task nobody picked up, and deletes the file once the job has ended.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to validate")
        VALIDATING = "validating", _("Validating")
        VALIDATED = "validated", _("Validated, waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16)
    # Emptied by the sweep IMPORT_FILE_KEEP_DAYS after the job ended: the files hold full phone numbers.
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    queued_at = models.DateTimeField(_("task sent"), null=True, blank=True)  # the step's task, last sent
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)  # while a step runs
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)  # of the current step

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        permissions = [
            ("import_data", _("Can import groups, members and orders from files")),
            ("import_any", _("Can open, confirm and retry anyone's imports")),
        ]
        indexes = [models.Index(fields=["status", "lease_until"], name="imports_job_status_lease")]

    def __str__(self) -> str:
        return f"{self.kind_label} {self.original_name}"

    @property
    def kind_label(self) -> str:
        return registry.label(self.kind)
