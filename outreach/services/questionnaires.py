"""Questionnaires: written as text by operators, sent as personal links, filled by members or agents; each
answer tags the member and the answer that gave the tag is kept."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Tag

from ..models import Answer, CallTask, Choice, Question, Questionnaire, QuestionnaireLink, Response

LINK_DAYS = 7
MAX_LINK_DAYS = 90
MAX_QUESTIONS = 50
MAX_CHOICES = 30
_CHOICE = re.compile(r"^[-－]\s*(?P<text>.+?)\s*(?:\[(?P<tag>[^\[\]]+)\])?\s*$")


@dataclass
class ParsedQuestion:
    text: str
    multiple: bool
    choices: list[tuple[str, Tag | None]] = field(default_factory=list)


def parse_questions(text: str) -> list[ParsedQuestion]:
    """The editor's text as questions: a line is a question ("* " first: several answers allowed), each
    "- answer [TAG]" line under it an answer, the tag code in brackets optional. Errors name the line."""
    tags = {tag.code: tag for tag in Tag.objects.all()}
    questions: list[ParsedQuestion] = []
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if match := _CHOICE.match(line):
            if not questions:
                errors.append(_("line %(n)s: an answer before any question") % {"n": number})
                continue
            code = (match["tag"] or "").strip()
            tag = tags.get(code) if code else None
            if code and tag is None:
                errors.append(
                    _("line %(n)s: no tag with the code “%(code)s” in the codebook") % {"n": number, "code": code}
                )
            if len(match["text"]) > 200:
                errors.append(_("line %(n)s: an answer of at most 200 characters") % {"n": number})
            questions[-1].choices.append((match["text"][:200], tag))
            continue
        multiple = line.startswith(("*", "＊"))
        text_ = line.lstrip("*＊ ").strip()
        if len(text_) > 300:
            errors.append(_("line %(n)s: a question of at most 300 characters") % {"n": number})
        questions.append(ParsedQuestion(text=text_[:300], multiple=multiple))
    for question in questions:
        if len(question.choices) < 2:
            errors.append(_("question “%(q)s”: give at least two answers") % {"q": question.text})
        if len(question.choices) > MAX_CHOICES:
            errors.append(_("question “%(q)s”: at most %(n)s answers") % {"q": question.text, "n": MAX_CHOICES})
    if not questions:
        errors.append(_("Write at least one question."))
    if len(questions) > MAX_QUESTIONS:
        errors.append(_("At most %(n)s questions.") % {"n": MAX_QUESTIONS})
    if errors:
        raise ValidationError({"questions": errors})
    return questions


def questions_as_text(questionnaire: Questionnaire) -> str:
    """The questionnaire in the editor's text form (parse_questions reads it back)."""
    lines = []
    for question in questionnaire.questions.prefetch_related("choices__tag"):
        lines.append(("* " if question.multiple else "") + question.text)
        for choice in question.choices.all():
            lines.append(f"- {choice.text}" + (f" [{choice.tag.code}]" if choice.tag else ""))
        lines.append("")
    return "\n".join(lines).strip()


@transaction.atomic
def questionnaire_save(*, questionnaire: Questionnaire, text: str) -> Questionnaire:
    """Save the questionnaire and its questions from the editor's text. Once answered, its questions are
    frozen (the answers point at them): save a copy under a new name instead."""
    parsed = parse_questions(text)
    if questionnaire.pk and questionnaire.responses.exists():
        old = questions_as_text(questionnaire)
        if old.split() != text.split():
            raise ValidationError(
                {"questions": _("Members have answered this questionnaire: its questions can no longer change.")}
            )
        questionnaire.save()
        return questionnaire
    questionnaire.save()
    questionnaire.questions.all().delete()
    for position, item in enumerate(parsed):
        question = Question.objects.create(
            questionnaire=questionnaire, text=item.text, multiple=item.multiple, position=position
        )
        Choice.objects.bulk_create(
            Choice(question=question, text=text, tag=tag, position=i) for i, (text, tag) in enumerate(item.choices)
        )
    return questionnaire


@transaction.atomic
def link_create(*, questionnaire: Questionnaire, member: Member, by, task: CallTask | None = None,
                days: int = LINK_DAYS, now=None) -> QuestionnaireLink:  # fmt: skip
    if not questionnaire.is_active:
        raise ValidationError(_("This questionnaire is not active."))
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError({"days": _("Between 1 and %(max)s days.") % {"max": MAX_LINK_DAYS}})
    now = now or timezone.now()
    return QuestionnaireLink.objects.create(
        questionnaire=questionnaire, member=member, task=task, created_by=by, created_at=now,
        expires_at=now + timedelta(days=days),
    )  # fmt: skip


class LinkUnusable(ValidationError):
    """The link expired or was already used."""


def link_check(link: QuestionnaireLink, *, now=None) -> None:
    now = now or timezone.now()
    if link.used_at is not None:
        raise LinkUnusable(_("This questionnaire has already been filled in. Thank you!"))
    if link.expires_at <= now:
        raise LinkUnusable(_("This link has expired. Ask us for a new one."))
    if not link.questionnaire.is_active:
        raise LinkUnusable(_("This questionnaire is closed."))


def _check_answers(questionnaire: Questionnaire, picked: Mapping[int, Sequence[int]]) -> list[tuple[Question, Choice]]:
    out, errors = [], {}
    for question in questionnaire.questions.prefetch_related("choices"):
        choices = {choice.pk: choice for choice in question.choices.all()}
        ids = [int(pk) for pk in picked.get(question.pk, ())]
        key = f"q{question.pk}"
        if not ids:
            errors[key] = _("Please answer this question.")
        elif len(ids) > 1 and not question.multiple:
            errors[key] = _("Choose one answer.")
        elif any(pk not in choices for pk in ids):
            errors[key] = _("Choose among the answers given.")
        else:
            out += [(question, choices[pk]) for pk in dict.fromkeys(ids)]
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def response_submit(*, questionnaire: Questionnaire, member: Member, picked: Mapping[int, Sequence[int]],
                    link: QuestionnaireLink | None = None, agent=None, task: CallTask | None = None,
                    now=None) -> Response:  # fmt: skip
    """Record the answers, all or nothing, and give the member each answer's tag.

    From a link: the link is locked, checked (not used, not expired) and used up in the same transaction, so
    two submissions at once record one. From a call: only the agent calling that member on `task`.
    """
    now = now or timezone.now()
    if link is not None:
        link = QuestionnaireLink.objects.select_for_update().select_related("questionnaire").get(pk=link.pk)
        link_check(link, now=now)
        questionnaire, member = link.questionnaire, link.member
    else:
        if task is None or agent is None or task.agent_id != agent.pk or task.member_id != member.pk:
            raise PermissionDenied
        if task.status != CallTask.Status.CALLING:
            raise ValidationError(_("Fill the questionnaire in while calling the member."))
    answers = _check_answers(questionnaire, picked)
    response = Response.objects.create(
        questionnaire=questionnaire, member=member, link=link, task=task if link is None else link.task,
        via=Response.Via.LINK if link else Response.Via.CALL, filled_by=agent, submitted_at=now,
    )  # fmt: skip
    Answer.objects.bulk_create(
        Answer(response=response, question=question, choice=choice, tag_id=choice.tag_id)
        for question, choice in answers
    )
    tags = {choice.tag_id for _question, choice in answers if choice.tag_id}
    if tags:
        member.tags.add(*tags)
    if link is not None:
        link.used_at = now
        link.save(update_fields=["used_at"])
    return response
