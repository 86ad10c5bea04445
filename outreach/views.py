"""Outreach pages: the agent's workspace and their day, the operator's lists and scripts, the phone audit.
Thin: access check, a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can, require, require_perms
from core.dates import local_midnight

from . import exports, phones, selectors, services, stats
from .forms import CallListForm, OutcomeForm, ReassignForm, ScriptForm
from .models import CallList, CallTask, PhoneReveal, Questionnaire, Script
from .permissions import (
    FILL_QUESTIONNAIRE,
    MANAGE_LISTS,
    MANAGE_SCRIPTS,
    VIEW_CALLS,
    VIEW_LISTS,
    VIEW_PHONE_AUDIT,
    VIEW_SCRIPTS,
    WORK_TASKS,
)
from .split import Share

PAGE_SIZE = 50


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- The agent's day -------------------------------------------------------------------------------------


@require_perms(WORK_TASKS)
def my_calls(request):
    context = {
        "lists": selectors.agent_lists(request.user),
        "upcoming": selectors.agent_upcoming(request.user),
        "today": stats.call_numbers(agent=request.user, start=local_midnight(timezone.localdate())),
        "current": CallTask.objects.filter(agent=request.user, status=CallTask.Status.CALLING).first(),
    }
    return render(request, "outreach/my_calls.html", context)


@require_POST
@require_perms(WORK_TASKS)
def call_next(request):
    call_list = None
    if request.POST.get("list"):
        call_list = get_object_or_404(CallList, pk=_int(request.POST["list"]), crew__agent=request.user)
    return _go_next(request, call_list)


def _go_next(request, call_list=None):
    task = services.task_claim_next(agent=request.user, call_list=call_list)
    if task is None:
        messages.info(request, _("Nothing to call right now: call-backs come back at their time."))
        return redirect("outreach:my-calls")
    return redirect("outreach:task", pk=task.pk)


def _int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    return number if 0 < number < 2**63 else 0


def _own_task(request, pk: int) -> CallTask:
    """The task, if it is the user's to work (theirs, or of the shared queue of a list they are on)."""
    require(request.user, WORK_TASKS)
    task = get_object_or_404(CallTask.objects.select_related("call_list", "member", "invited_to"), pk=pk)
    mine = task.agent_id == request.user.pk
    shared = task.agent_id is None and task.call_list.crew.filter(agent=request.user).exists()
    if not (mine or shared):
        raise PermissionDenied
    return task


@require_perms(WORK_TASKS)
def task_detail(request, pk: int):
    task = _own_task(request, pk)
    form = OutcomeForm(initial={"tags": [tag.pk for tag in task.member.tags.all()]})
    return _workspace(request, task, form)


def _workspace(request, task, form, status=200):
    member = task.member
    tags = selectors.member_tags(member)
    group = selectors.target_group(task.call_list, member)
    script = selectors.script_for({tag.pk for tag in tags}, task.call_list)
    phone, full = phones.task_phone(request.user, task)
    context = {
        "task": task,
        "member": member,
        "tags": tags,
        "summary": selectors.purchase_summary(member),
        "segments": selectors.member_segments(member),
        "phone": phone,
        "phone_full": full,
        "script": script,
        "script_text": selectors.fill_script(script, member=member, group=group),
        "target_group": group,
        "form": form,
        "codebook": selectors.codebook(),
        "progress": selectors.progress(task.call_list.tasks.filter(agent=request.user)),
        "history": task.calls.select_related("agent").order_by("-at")[:10],
        "callback_presets": selectors.callback_presets(),
        "questionnaires": Questionnaire.objects.filter(is_active=True) if can(request.user, FILL_QUESTIONNAIRE) else [],
    }
    return render(request, "outreach/workspace.html", context, status=status)


@require_POST
@require_perms(WORK_TASKS)
def task_claim(request, pk: int):
    task = _own_task(request, pk)
    try:
        services.task_claim(task=task, agent=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("outreach:my-calls")
    return redirect("outreach:task", pk=task.pk)


@require_POST
@require_perms(WORK_TASKS)
def task_record(request, pk: int):
    task = _own_task(request, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _workspace(request, task, form, status=400)
    before = {tag.pk for tag in task.member.tags.all()}
    after = {tag.pk for tag in form.cleaned_data["tags"]}
    try:
        services.call_record(
            task=task, agent=request.user, outcome=form.cleaned_data["outcome"], notes=form.cleaned_data["notes"],
            callback_at=form.cleaned_data["callback_at"], tags_add=after - before, tags_remove=before - after,
        )  # fmt: skip
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error.messages)
        return _workspace(request, task, form, status=400)
    messages.success(request, _("Recorded: %(member)s, %(outcome)s.") % {
        "member": task.member.name or task.member.external_id,
        "outcome": CallTask.Outcome(form.cleaned_data["outcome"]).label,
    })  # fmt: skip
    if request.POST.get("then") == "stop":
        return redirect("outreach:my-calls")
    return _go_next(request, task.call_list)


@require_POST
@require_perms(WORK_TASKS)
def task_dial(request, pk: int):
    phones.record_dial(request.user, _own_task(request, pk))
    return HttpResponse(status=204)


@require_POST
def task_joined(request, pk: int):
    task = get_object_or_404(CallTask.objects.select_related("call_list", "member"), pk=pk)
    if not (can(request.user, MANAGE_LISTS) or (can(request.user, WORK_TASKS) and task.agent_id == request.user.pk)):
        raise PermissionDenied
    try:
        services.task_mark_joined(task=task, by=request.user)
        messages.success(request, _("Marked as joined."))
    except ValidationError as error:
        messages.error(request, _errors(error))
    if can(request.user, MANAGE_LISTS):
        return redirect("outreach:calllist-detail", pk=task.call_list_id)
    return redirect("outreach:my-calls")


# --- The operator's lists ---------------------------------------------------------------------------------


@require_perms(VIEW_LISTS)
def calllist_list(request):
    lists = Paginator(selectors.call_lists().order_by("-created_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "outreach/calllist_list.html", {"page": lists, "can_manage": can(request.user, MANAGE_LISTS)}
    )


@require_perms(MANAGE_LISTS)
def calllist_create(request):
    form = CallListForm(request.POST or None, initial={"selection": request.GET.get("selection")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        spec = services.CallListSpec(
            name=data["name"], selection=data["selection"], groups=data["groups"], shares=form.shares(),
            split=data["split"], script=data["script"], due_date=data["due_date"], recent_days=data["recent_days"],
        )  # fmt: skip
        try:
            call_list = services.call_list_build(spec, by=request.user)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The list is ready: %(n)s members to call.") % {"n": call_list.tasks.count()})
            return redirect("outreach:calllist-detail", pk=call_list.pk)
    return render(request, "outreach/calllist_form.html", {"form": form}, status=400 if form.errors else 200)


@require_perms(VIEW_LISTS)
def calllist_detail(request, pk: int):
    try:
        call_list = selectors.call_list_get(pk=pk)
    except CallList.DoesNotExist as missing:
        raise Http404 from missing
    tasks = call_list.tasks.select_related("member", "agent", "invited_to").order_by("status", "pk")
    outcome = request.GET.get("outcome")
    if outcome in CallTask.Outcome.values:
        tasks = tasks.filter(outcome=outcome)
    context = {
        "call_list": call_list,
        "progress": selectors.progress(call_list.tasks.all()),
        "crew": selectors.crew_progress(call_list),
        "stats": stats.call_stats(call_list=call_list) if can(request.user, VIEW_CALLS) else [],
        "page": Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page")),
        "outcomes": CallTask.Outcome.choices,
        "outcome": outcome,
        "can_manage": can(request.user, MANAGE_LISTS) and call_list.is_open,
        "reassign_form": ReassignForm(),
    }
    return render(request, "outreach/calllist_detail.html", context)


@require_POST
@require_perms(MANAGE_LISTS)
def calllist_reassign(request, pk: int):
    call_list = get_object_or_404(CallList, pk=pk)
    form = ReassignForm(request.POST)
    if form.is_valid():
        try:
            moved = services.call_list_reassign(
                call_list=call_list, away=form.cleaned_data["away"], to=[Share(a.pk) for a in form.cleaned_data["to"]]
            )
            messages.success(request, _("%(n)s calls handed over.") % {"n": moved})
        except ValidationError as error:
            messages.error(request, _errors(error))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("outreach:calllist-detail", pk=pk)


@require_POST
@require_perms(MANAGE_LISTS)
def calllist_close(request, pk: int):
    services.call_list_close(call_list=get_object_or_404(CallList, pk=pk))
    messages.success(request, _("The list is closed."))
    return redirect("outreach:calllist-detail", pk=pk)


@require_perms(VIEW_CALLS)
def calllist_export(request, pk: int):
    call_list = get_object_or_404(CallList, pk=pk)
    return exports.stats_xlsx(stats.call_stats(call_list=call_list), filename=f"call-list-{call_list.pk}.xlsx")


@require_perms(VIEW_CALLS)
def stats_export(request):
    return exports.stats_xlsx(stats.call_stats(), filename="calls.xlsx")


# --- Scripts ---------------------------------------------------------------------------------------------


@require_perms(VIEW_SCRIPTS)
def script_list(request):
    scripts = list(Script.objects.prefetch_related("tags").order_by("-is_active", "name"))
    for script in scripts:
        script.preview = selectors.script_preview(script.text)
    return render(
        request, "outreach/script_list.html", {"scripts": scripts, "can_manage": can(request.user, MANAGE_SCRIPTS)}
    )


@require_perms(MANAGE_SCRIPTS)
def script_edit(request, pk: int | None = None):
    script = get_object_or_404(Script, pk=pk) if pk else None
    form = ScriptForm(request.POST or None, instance=script)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Script saved."))
        return redirect("outreach:script-list")
    return render(request, "outreach/script_form.html", {"form": form, "script": script})


# --- The phone audit -------------------------------------------------------------------------------------


@require_perms(VIEW_PHONE_AUDIT)
def phone_audit(request):
    reveals = PhoneReveal.objects.select_related("user", "member", "task", "task__call_list")
    if request.GET.get("format") == "xlsx":
        return exports.phone_audit_xlsx(reveals.order_by("-at")[: exports.MAX_ROWS])
    page = Paginator(reveals.order_by("-at"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outreach/phone_audit.html", {"page": page})
