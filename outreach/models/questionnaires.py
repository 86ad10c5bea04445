import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member, Tag

from .calls import CallTask


class Questionnaire(models.Model):
    """Questions whose answers tag the member (the seed's codebook: "3" = acne, "D" = wants acne fixed)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    title = models.CharField(_("title shown to the member"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    multiple = models.BooleanField(_("several answers allowed"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["questionnaire", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text


class Choice(models.Model):
    """An answer to pick; the tag it gives the member, if any."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("answer"), max_length=200)
    tag = models.ForeignKey(
        Tag, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("gives the tag")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["question", "position", "pk"]
        verbose_name = _("answer choice")
        verbose_name_plural = _("answer choices")

    def __str__(self) -> str:
        return self.text


def new_token() -> str:
    return secrets.token_urlsafe(24)


class QuestionnaireLink(models.Model):
    """A personal link to a questionnaire for one member: no login, expires, works once."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="links")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    token = models.CharField(max_length=64, unique=True, default=new_token)
    task = models.ForeignKey(CallTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("questionnaire link")
        verbose_name_plural = _("questionnaire links")

    def __str__(self) -> str:
        return f"{self.questionnaire} · {self.member}"


class Response(models.Model):
    """One filled questionnaire: by the member from their link, or by the agent during a call."""

    class Via(models.TextChoices):
        LINK = "link", _("The member, from their link")
        CALL = "call", _("The agent, during a call")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="questionnaire_responses")
    via = models.CharField(_("filled by"), max_length=8, choices=Via.choices)
    link = models.OneToOneField(QuestionnaireLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    task = models.ForeignKey(CallTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        indexes = [models.Index(fields=["member", "submitted_at"]), models.Index(fields=["submitted_at"])]

    def __str__(self) -> str:
        return f"{self.questionnaire} · {self.member}"


class Answer(models.Model):
    """A choice picked, and the tag it gave (kept as it was then, even if the choice's tag changes later)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    choice = models.ForeignKey(Choice, on_delete=models.PROTECT, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["response", "question__position", "choice__position"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.question} → {self.choice}"
