"""Questionnaire pages: the operator's editor and answers, the member's public page from a personal link,
and the agent's form during a call."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import can, require_perms
from core.styling import StyledMixin

from .models import CallTask, Questionnaire, QuestionnaireLink, Response
from .permissions import (
    FILL_QUESTIONNAIRE,
    MANAGE_QUESTIONNAIRES,
    SEND_QUESTIONNAIRE,
    VIEW_QUESTIONNAIRES,
    VIEW_RESPONSES,
    WORK_TASKS,
)  # fmt: skip
from .services import questionnaires as service

PAGE_SIZE = 50
EXAMPLE = """你的门店顾客最常问的皮肤问题？
- 痘痘 [3]
- 色斑 [4]
- 都没有

* 你希望我们帮你做什么？（可多选）
- 解决痘痘问题 [D]
- 进货更便宜
"""


class QuestionnaireForm(StyledMixin, forms.ModelForm):
    questions = forms.CharField(
        label=gettext_lazy("Questions"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
        help_text=gettext_lazy(
            "One question a line (“* ” first allows several answers), then its answers, each on a line starting "
            "with “- ”; a tag code in brackets tags the member who picks that answer: “- 痘痘 [3]”."
        ),
    )

    class Meta:
        model = Questionnaire
        fields = ["name", "title", "intro", "is_active"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 2})}


@require_perms(VIEW_QUESTIONNAIRES)
def questionnaire_list(request):
    questionnaires = Questionnaire.objects.all()
    return render(request, "outreach/questionnaire_list.html", {
        "questionnaires": questionnaires, "can_manage": can(request.user, MANAGE_QUESTIONNAIRES),
    })  # fmt: skip


@require_perms(MANAGE_QUESTIONNAIRES)
def questionnaire_edit(request, pk: int | None = None):
    questionnaire = get_object_or_404(Questionnaire, pk=pk) if pk else Questionnaire()
    initial = {"questions": service.questions_as_text(questionnaire) if pk else EXAMPLE}
    form = QuestionnaireForm(request.POST or None, instance=questionnaire, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.questionnaire_save(questionnaire=form.save(commit=False), text=form.cleaned_data["questions"])
        except ValidationError as error:
            for message in error.message_dict.get("questions", error.messages):
                form.add_error("questions", message)
        else:
            messages.success(request, _("Questionnaire saved."))
            return redirect("outreach:questionnaire-detail", pk=form.instance.pk)
    return render(request, "outreach/questionnaire_form.html", {"form": form, "questionnaire": questionnaire},
                  status=400 if form.errors else 200)  # fmt: skip


@require_perms(VIEW_RESPONSES)
def questionnaire_detail(request, pk: int):
    questionnaire = get_object_or_404(Questionnaire.objects.prefetch_related("questions__choices__tag"), pk=pk)
    responses = (
        Response.objects.filter(questionnaire=questionnaire)
        .select_related("member", "filled_by")
        .prefetch_related("answers__choice", "answers__tag", "answers__question")
    )
    page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outreach/questionnaire_detail.html", {"questionnaire": questionnaire, "page": page})


# --- The member's page: no login, a personal link that expires and works once ---------------------------


def _picked(post, questionnaire) -> dict[int, list[str]]:
    return {q.pk: [v for v in post.getlist(f"q{q.pk}") if v.isdigit()] for q in questionnaire.questions.all()}


@login_not_required
def public_questionnaire(request, token: str):
    link = QuestionnaireLink.objects.select_related("questionnaire", "member").filter(token=token[:64]).first()
    if link is None:
        return render(
            request, "outreach/public_questionnaire.html", {"gone": _("This link does not exist.")}, status=404
        )
    try:
        service.link_check(link)
    except service.LinkUnusable as error:
        return render(request, "outreach/public_questionnaire.html", {"gone": error.messages[0]}, status=410)
    questionnaire = link.questionnaire
    errors, picked = {}, {}
    if request.method == "POST":
        picked = _picked(request.POST, questionnaire)
        try:
            service.response_submit(questionnaire=questionnaire, member=link.member, picked=picked, link=link)
        except service.LinkUnusable as error:
            return render(request, "outreach/public_questionnaire.html", {"gone": error.messages[0]}, status=410)
        except ValidationError as error:
            errors = {key: " ".join(value) for key, value in error.message_dict.items()}
        else:
            return render(request, "outreach/public_questionnaire.html", {"done": True, "questionnaire": questionnaire})
    context = {"questionnaire": questionnaire, "questions": _questions(questionnaire, picked, errors), "link": link}
    return render(request, "outreach/public_questionnaire.html", context, status=400 if errors else 200)


def _questions(questionnaire, picked, errors):
    """(question, [(choice, checked)], error) for the templates."""
    return [
        (q, [(c, str(c.pk) in picked.get(q.pk, [])) for c in q.choices.all()], errors.get(f"q{q.pk}", ""))
        for q in questionnaire.questions.prefetch_related("choices")
    ]


# --- During a call ---------------------------------------------------------------------------------------


def _calling_task(request, pk: int) -> CallTask:
    task = get_object_or_404(CallTask.objects.select_related("member", "call_list"), pk=pk)
    if not (can(request.user, WORK_TASKS) and task.agent_id == request.user.pk):
        raise PermissionDenied
    return task


@require_perms(FILL_QUESTIONNAIRE)
def task_questionnaire(request, pk: int, questionnaire_pk: int):
    task = _calling_task(request, pk)
    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_pk, is_active=True)
    errors, picked = {}, {}
    if request.method == "POST":
        picked = _picked(request.POST, questionnaire)
        try:
            service.response_submit(questionnaire=questionnaire, member=task.member, picked=picked,
                                    agent=request.user, task=task)  # fmt: skip
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            errors = {key: " ".join(value) for key, value in errors.items()}
        else:
            messages.success(request, _("Answers recorded; the member's tags are updated."))
            return redirect("outreach:task", pk=task.pk)
    context = {"task": task, "questionnaire": questionnaire, "questions": _questions(questionnaire, picked, errors),
               "error": errors.get("", "")}  # fmt: skip
    return render(request, "outreach/task_questionnaire.html", context, status=400 if errors else 200)


@require_POST
@require_perms(SEND_QUESTIONNAIRE)
def task_questionnaire_link(request, pk: int, questionnaire_pk: int):
    task = _calling_task(request, pk)
    questionnaire = get_object_or_404(Questionnaire, pk=questionnaire_pk)
    try:
        link = service.link_create(questionnaire=questionnaire, member=task.member, by=request.user, task=task)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        url = request.build_absolute_uri(reverse("outreach:public-questionnaire", args=[link.token]))
        messages.success(request, _("A link for this member (valid %(days)s days, works once): %(url)s")
                         % {"days": service.LINK_DAYS, "url": url})  # fmt: skip
    return redirect("outreach:task", pk=task.pk)
