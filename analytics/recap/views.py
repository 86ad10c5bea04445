"""The recap page (复盘): a week's or month's recap for managers and operators (`analytics.view_recap`), its
downloads (PDF, XLSX, a self-contained HTML file), the retrospective (`analytics.write_recapnote`) and regenerating
a kept recap (`analytics.regenerate_recap`, managers). Thin: parse the period, read, render."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import can, require_perms
from core.styling import StyledMixin

from . import files, pdf, present, snapshots
from .periods import PeriodError, last_complete_week, parse_period, period_choices

VIEW_RECAP = "analytics.view_recap"
WRITE_NOTE = "analytics.write_recapnote"
REGENERATE = "analytics.regenerate_recap"
CHANGES_KEY = "recap-changes"


class RecapPeriodForm(forms.Form):
    period = forms.CharField(label=gettext_lazy("Period"), required=False, max_length=10)

    def clean_period(self):
        text = (self.cleaned_data.get("period") or "").strip()
        if not text:
            return None
        try:
            return parse_period(text)
        except PeriodError as exc:
            raise forms.ValidationError(_("Use a week such as 2026-W47 or a month such as 2026-11.")) from exc

    def chosen(self):
        if self.is_bound and self.is_valid() and self.cleaned_data["period"]:
            return self.cleaned_data["period"]
        return last_complete_week()


class RecapNoteForm(StyledMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Retrospective"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=gettext_lazy("What went wrong, why, and what the team changes next time."),
    )  # fmt: skip


def _period_from(request):
    form = RecapPeriodForm(request.GET or request.POST or None)
    return form, form.chosen()


def _page_url(period) -> str:
    return f"{reverse('analytics:recap')}?period={period.key}"


def _choices(period) -> list[tuple[str, str]]:
    """The picker's periods, and the shown one wherever it lies (an old week chosen by its link)."""
    choices = period_choices()
    if period.key not in {key for key, _label in choices}:
        choices.insert(0, (period.key, period.label))
    return choices


@require_perms(VIEW_RECAP)
def recap(request):
    form, period = _period_from(request)
    export = request.GET.get("export")
    read = snapshots.recap_get(period, by=request.user)
    if export == "xlsx":
        return files.xlsx_response(read.document)
    if export == "html":
        return files.html_response(read.document, base=request.build_absolute_uri("/"))
    if export == "pdf":
        return pdf.pdf_response(read.document, base=request.build_absolute_uri("/"))
    note = snapshots.note_get(period)
    changes = request.session.pop(f"{CHANGES_KEY}:{period.key}", None)
    context = present.recap_context(read.document)
    context.update(
        {
            "form": form,
            "choices": _choices(period),
            "selected": period.key,
            "kept": read.kept,
            "note": note,
            "note_form": RecapNoteForm(initial={"text": note.text if note else ""}),
            "can_write": can(request.user, WRITE_NOTE),
            "can_regenerate": can(request.user, REGENERATE) and read.kept is not None,
            "changes": changes,
        }
    )
    return render(request, "analytics/recap/page.html", context)


@require_POST
@require_perms(VIEW_RECAP, WRITE_NOTE)
def recap_note(request):
    _form, period = _period_from(request)
    form = RecapNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(_page_url(period))
    snapshots.note_save(period, text=form.cleaned_data["text"], by=request.user)
    messages.success(request, _("Retrospective saved."))
    return redirect(_page_url(period) + "#retrospective")


@require_POST
@require_perms(VIEW_RECAP)
def recap_regenerate(request):
    if not can(request.user, REGENERATE):
        raise PermissionDenied
    _form, period = _period_from(request)
    _kept, changes = snapshots.recap_regenerate(period, by=request.user)
    request.session[f"{CHANGES_KEY}:{period.key}"] = [
        [present.headline_label(c.key), present.show(c.before, present.headline_unit(c.key)),
         present.show(c.after, present.headline_unit(c.key))]
        for c in changes
    ]  # fmt: skip
    messages.success(request, _("Recap regenerated from today's data."))
    return redirect(_page_url(period))
