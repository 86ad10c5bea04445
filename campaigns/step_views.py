"""A team's own playbook, step by step (operators and admins; managers read the playbook page, agents get 403).
Thin: check access, call one service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import require_perms

from .models import Playbook, PlaybookStep
from .permissions import ADD_STEPS, CHANGE_PLAYBOOKS, CHANGE_STEPS, DELETE_STEPS
from .services.playbook_steps import playbook_step_delete, playbook_step_edit
from .step_forms import StepForm


def _step_form(request, playbook: Playbook, step: PlaybookStep):
    form = StepForm(request.POST or None, instance=step)
    # A shipped playbook's page says why it cannot be changed (the template), and nothing is saved.
    if not playbook.is_shipped and request.method == "POST" and form.is_valid():
        try:
            playbook_step_edit(step=form.save(commit=False))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Step %(title)s saved.") % {"title": form.instance.title})
            return redirect("campaigns:playbook-detail", pk=playbook.pk)
    context = {"form": form, "playbook": playbook, "step": step}
    return render(request, "campaigns/step_form.html", context, status=409 if playbook.is_shipped else 200)


@require_perms(CHANGE_PLAYBOOKS, ADD_STEPS)
def step_create(request, pk: int):
    playbook = get_object_or_404(Playbook, pk=pk)
    last = playbook.steps.order_by("-position").values_list("position", flat=True).first()
    return _step_form(request, playbook, PlaybookStep(playbook=playbook, position=(last or 0) + 1))


@require_perms(CHANGE_PLAYBOOKS, CHANGE_STEPS)
def step_edit(request, pk: int, step_pk: int):
    step = get_object_or_404(PlaybookStep.objects.select_related("playbook"), pk=step_pk, playbook_id=pk)
    return _step_form(request, step.playbook, step)


@require_POST
@require_perms(CHANGE_PLAYBOOKS, DELETE_STEPS)
def step_delete(request, pk: int, step_pk: int):
    step = get_object_or_404(PlaybookStep.objects.select_related("playbook"), pk=step_pk, playbook_id=pk)
    try:
        playbook_step_delete(step=step)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Step %(title)s removed; reminders it already scheduled stay.") % {"title": step.title}
        )
    return redirect("campaigns:playbook-detail", pk=pk)
