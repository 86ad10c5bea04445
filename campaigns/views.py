"""Campaign pages for operators (managers read; agents get 403): campaigns and series, items and publishing,
playbooks, the reminder inbox and calendar, the live campaign page, coupons. Thin: check access, call one
service or selector, render."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can, require_perms
from core.dates import week_bounds

from . import checks, selectors, services
from .forms import (
    ApplyPlaybookForm,
    ApplyToGroupsForm,
    CalendarForm,
    CampaignForm,
    CampaignScheduleForm,
    CopyPlaybookForm,
    CouponIssueForm,
    ItemForm,
    JoinSeriesForm,
    SeriesForm,
)
from .inbox import inbox_for
from .models import Campaign, CampaignSeries, Playbook, Reminder
from .permissions import (
    CHANGE_CAMPAIGNS,
    CHANGE_PLAYBOOKS,
    ISSUE_COUPONS,
    VIEW_CAMPAIGNS,
    VIEW_COUPONS,
    VIEW_PLAYBOOKS,
    VIEW_REMINDERS,
)


def _campaign(pk: int) -> Campaign:
    try:
        return selectors.campaign_get(pk=pk)
    except Campaign.DoesNotExist as error:
        raise Http404 from error


def _is_partial(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


# ---------------------------------------------------------------- campaigns


@require_perms(VIEW_CAMPAIGNS)
def campaign_list(request):
    campaigns = selectors.campaign_list()
    status = request.GET.get("status")
    if status in Campaign.Status.values:
        campaigns = campaigns.filter(status=status)
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "months": selectors.campaign_list_by_month(campaigns=campaigns[:200]),
            "runs": selectors.series_list()[:50],
            "status": status,
            "statuses": Campaign.Status.choices,
            "can_change": can(request.user, CHANGE_CAMPAIGNS),
        },
    )


@require_perms(CHANGE_CAMPAIGNS)
def campaign_create(request):
    form = CampaignForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                code=data["code"], name=data["name"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                groups=data["groups"], gmv_target=data["gmv_target"], loss_cap=data["loss_cap"],
                landing_url=data["landing_url"], owner=data["owner"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Campaign %(code)s created as a draft.") % {"code": campaign.code})
            return redirect("campaigns:campaign-detail", pk=campaign.pk)
    return render(request, "campaigns/campaign_form.html", {"form": form})


@require_perms(CHANGE_CAMPAIGNS)
def series_create(request):
    form = SeriesForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        series = form.save(commit=False)
        try:
            campaigns = services.series_create(series=series, groups=form.cleaned_data["groups"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return render(request, "campaigns/series_form.html", {"form": form})
        messages.success(
            request,
            _("Series %(name)s: %(count)s weekly campaigns created.") % {"name": series.name, "count": len(campaigns)},
        )
        return redirect("campaigns:series-detail", pk=series.pk)
    return render(request, "campaigns/series_form.html", {"form": form})


@require_perms(VIEW_CAMPAIGNS)
def series_detail(request, pk: int):
    series = get_object_or_404(CampaignSeries.objects.select_related("owner", "playbook"), pk=pk)
    context = {
        "series": series,
        **selectors.series_overview(series=series),
        "can_change": can(request.user, CHANGE_CAMPAIGNS),
    }
    return render(request, "campaigns/series_detail.html", context)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def series_next_week(request, pk: int):
    series = get_object_or_404(CampaignSeries, pk=pk)
    try:
        campaign = services.series_next_week(series=series, after=_after(request), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("campaigns:series-detail", pk=series.pk)
    return _next_week_added(request, campaign)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def campaign_next_week(request, pk: int):
    try:
        campaign = services.campaign_next_week(campaign=_campaign(pk), after=_after(request), by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("campaigns:campaign-detail", pk=pk)
    return _next_week_added(request, campaign)


def _after(request) -> int | None:
    """The run's last campaign as the page showed it (so a second click adds no second week)."""
    value = request.POST.get("after", "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _next_week_added(request, campaign: Campaign):
    messages.success(
        request,
        _("%(name)s added as a draft, copied from last week: check its items and quantities, then publish.")
        % {"name": campaign.name},
    )
    return redirect("campaigns:campaign-detail", pk=campaign.pk)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def campaign_join_series(request, pk: int):
    campaign = _campaign(pk)
    form = JoinSeriesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a run."))
        return redirect("campaigns:campaign-detail", pk=pk)
    try:
        services.campaign_join_series(campaign=campaign, series=form.cleaned_data["series"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Added to the run %(name)s.") % {"name": form.cleaned_data["series"].name})
    return redirect("campaigns:campaign-detail", pk=pk)


@require_perms(VIEW_CAMPAIGNS)
def campaign_detail(request, pk: int):
    campaign = _campaign(pk)
    context = {
        "campaign": campaign,
        **selectors.campaign_overview(campaign=campaign),
        "item_form": ItemForm(),
        "apply_form": ApplyPlaybookForm(campaign=campaign),
        "schedule_form": _schedule_form(campaign),
        "join_form": JoinSeriesForm() if campaign.series_id is None else None,
        "can_change": can(request.user, CHANGE_CAMPAIGNS),
    }
    return render(request, "campaigns/campaign_detail.html", context)


def _schedule_form(campaign: Campaign, data=None) -> CampaignScheduleForm:
    initial = {
        "starts_at": timezone.localtime(campaign.starts_at),
        "ends_at": timezone.localtime(campaign.ends_at),
        "groups": list(campaign.groups.values_list("pk", flat=True)),
        "gmv_target": campaign.gmv_target,
        "loss_cap": campaign.loss_cap,
        "landing_url": campaign.landing_url,
    }
    return CampaignScheduleForm(data, initial=initial)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def campaign_schedule(request, pk: int):
    campaign = _campaign(pk)
    form = _schedule_form(campaign, request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("campaigns:campaign-detail", pk=campaign.pk)
    data = form.cleaned_data
    try:
        moved = services.campaign_schedule(
            campaign=campaign, starts_at=data["starts_at"], ends_at=data["ends_at"], groups=data["groups"],
            gmv_target=data["gmv_target"], loss_cap=data["loss_cap"],
            landing_url=data["landing_url"] if "landing_url" in request.POST else None,
            by=request.user,
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("campaigns:campaign-detail", pk=campaign.pk)
    messages.success(request, _("Saved; %(n)s pending reminders moved with the campaign.") % {"n": moved})
    return redirect("campaigns:campaign-detail", pk=campaign.pk)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def campaign_item_add(request, pk: int):
    campaign = _campaign(pk)
    form = ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.campaign_item_add(campaign=campaign, **data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(product)s added.") % {"product": data["product"].name})
    else:
        messages.error(
            request,
            " ".join(
                f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}" for f, e in form.errors.items()
            ),
        )
    return redirect("campaigns:campaign-detail", pk=campaign.pk)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def campaign_item_remove(request, pk: int, item_pk: int):
    if not services.campaign_item_remove(campaign=_campaign(pk), item_pk=item_pk):
        raise Http404
    return redirect("campaigns:campaign-detail", pk=pk)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def campaign_publish(request, pk: int):
    campaign = _campaign(pk)
    try:
        services.campaign_publish(campaign=campaign)
    except services.CampaignNotPublishable as refused:
        # Post/redirect/get: the page the operator lands on is the campaign's, which lists the same problems
        # (they are computed on every view of a draft); reloading it does not post again.
        messages.error(
            request,
            _("Not published: %(n)s problems to fix first, listed below.") % {"n": len(refused.problems)},
            extra_tags="publish-refused",
        )
        return redirect("campaigns:campaign-detail", pk=campaign.pk)
    messages.success(request, _("Campaign published."))
    for warning in checks.campaign_warnings(campaign):
        messages.warning(request, str(warning))
    return redirect("campaigns:campaign-detail", pk=campaign.pk)


@require_POST
@require_perms(CHANGE_CAMPAIGNS)
def campaign_apply_playbook(request, pk: int):
    campaign = _campaign(pk)
    form = ApplyPlaybookForm(request.POST, campaign=campaign)
    if not form.is_valid():
        messages.error(request, _("Choose a playbook and at least one group."))
        return redirect("campaigns:campaign-detail", pk=campaign.pk)
    created = services.playbook_apply(
        playbook=form.cleaned_data["playbook"], campaign=campaign, groups=form.cleaned_data["groups"], by=request.user
    )
    messages.success(request, _("%(count)s reminders scheduled.") % {"count": created})
    return redirect("campaigns:campaign-detail", pk=campaign.pk)


@require_perms(VIEW_CAMPAIGNS)
def campaign_live(request, pk: int):
    campaign = _campaign(pk)
    context = {"campaign": campaign, "live": selectors.campaign_live(campaign=campaign)}
    template = "campaigns/partials/_live.html" if _is_partial(request) else "campaigns/campaign_live.html"
    return render(request, template, context)


# ---------------------------------------------------------------- playbooks


@require_perms(VIEW_PLAYBOOKS)
def playbook_list(request):
    playbooks = Playbook.objects.prefetch_related("steps").select_related("copied_from")
    return render(request, "campaigns/playbook_list.html", {"playbooks": playbooks})


@require_perms(VIEW_PLAYBOOKS)
def playbook_detail(request, pk: int):
    playbook = get_object_or_404(Playbook.objects.select_related("copied_from"), pk=pk)
    assignments = playbook.assignments.select_related("group", "campaign").order_by("-created_at")[:100]
    context = {
        "playbook": playbook,
        "steps": playbook.steps.select_related("assignee"),
        "assignments": assignments,
        "apply_form": ApplyToGroupsForm(),
        "copy_form": CopyPlaybookForm(initial={"name": f"{playbook.name}（副本）"}),
        "can_change": can(request.user, CHANGE_PLAYBOOKS),
    }
    return render(request, "campaigns/playbook_detail.html", context)


@require_POST
@require_perms(CHANGE_PLAYBOOKS)
def playbook_apply(request, pk: int):
    playbook = get_object_or_404(Playbook, pk=pk)
    form = ApplyToGroupsForm(request.POST)
    if form.is_valid():
        try:
            created = services.playbook_apply(
                playbook=playbook, groups=form.cleaned_data["groups"], campaign=form.cleaned_data["campaign"],
                by=request.user, is_copy=playbook.copied_from_id is not None,
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(count)s reminders scheduled.") % {"count": created})
    else:
        messages.error(request, _("Choose at least one group."))
    return redirect("campaigns:playbook-detail", pk=playbook.pk)


@require_POST
@require_perms(CHANGE_PLAYBOOKS)
def playbook_copy(request, pk: int):
    playbook = get_object_or_404(Playbook, pk=pk)
    form = CopyPlaybookForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("campaigns:playbook-detail", pk=playbook.pk)
    copy = services.playbook_copy(
        playbook=playbook, code=services.playbook_copy_code(playbook), name=form.cleaned_data["name"], by=request.user
    )
    messages.success(request, _("Copied. Adjust its steps below, then run it in other groups."))
    return redirect("campaigns:playbook-detail", pk=copy.pk)


# ---------------------------------------------------------------- reminders


@require_perms(VIEW_REMINDERS)
def reminder_inbox(request):
    now = timezone.now()
    context = {
        "inbox": inbox_for(user=request.user, now=now),
        "upcoming": selectors.reminder_upcoming(user=request.user, now=now),
        "now": now,
    }
    return render(request, "campaigns/reminder_inbox.html", context)


@require_POST
@require_perms(VIEW_REMINDERS)
def reminder_complete(request, pk: int):
    """Done or skipped; who may is the service's rule (403 for anyone else, and for a reminder not yet due)."""
    reminder = get_object_or_404(Reminder.objects.select_related("group", "campaign"), pk=pk)
    skipped = request.POST.get("action") == "skip"
    services.reminder_complete(reminder=reminder, by=request.user, skipped=skipped)
    if _is_partial(request):
        return render(request, "campaigns/partials/_reminder_row.html", {"reminder": reminder})
    return redirect("campaigns:reminder-inbox")


@require_perms(VIEW_REMINDERS)
def reminder_calendar(request):
    form = CalendarForm(request.GET or None)
    week_start, _end = week_bounds(form.day(timezone.localdate()))
    context = {
        "form": form,
        "calendar": selectors.reminder_calendar(week_start=week_start),
        "week_start": week_start.date(),
        "previous": (week_start - dt.timedelta(days=7)).date(),
        "next": (week_start + dt.timedelta(days=7)).date(),
        "today": timezone.localdate(),
    }
    return render(request, "campaigns/reminder_calendar.html", context)


# ---------------------------------------------------------------- coupons


@require_perms(VIEW_COUPONS)
def coupon_list(request):
    form = CouponIssueForm(request.POST or None)
    if request.method == "POST":
        if not can(request.user, ISSUE_COUPONS):
            raise PermissionDenied
        if form.is_valid():
            try:
                data = form.cleaned_data
                batch = services.coupon_batch_issue(
                    template=data["template"], selection=data["selection"], group=data["group"],
                    segment=data["segment"], external_ids=data["external_ids"], by=request.user,
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("%(n)s coupons issued.") % {"n": batch.size})
                return redirect("campaigns:coupon-list")
    context = {
        "templates": selectors.coupon_template_stats(),
        "form": form,
        "can_issue": can(request.user, ISSUE_COUPONS),
    }
    return render(request, "campaigns/coupon_list.html", context)
