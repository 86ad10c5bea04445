from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member

from .calls import CallTask


class PhoneReveal(models.Model):
    """A full phone number shown to someone, or dialled from its `tel:` link: who, whose, when, on which task."""

    class Action(models.TextChoices):
        VIEW = "view", _("Shown")
        DIAL = "dial", _("Dialled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    task = models.ForeignKey(
        CallTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("task")
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("phone number shown")
        verbose_name_plural = _("phone numbers shown")
        indexes = [models.Index(fields=["member", "at"]), models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.member} · {self.get_action_display()}"
