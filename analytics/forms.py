"""The period pickers of the analytics pages: an ISO week, or any range of local days."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from core.dates import parse_week, week_label

from .selectors import Period, last_complete_week


class PeriodForm(forms.Form):
    """`week=2026-W02`, or `start` and `until` (both days included). Empty: the last complete week."""

    week = forms.CharField(label=_("Week"), required=False, help_text=_("ISO week, e.g. 2026-W02"))
    start = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("Until (inclusive)"), required=False)

    def clean_week(self):
        text = (self.cleaned_data.get("week") or "").strip()
        if not text:
            return None
        try:
            return parse_week(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Use an ISO week such as 2026-W02.")) from exc

    def clean(self):
        data = super().clean()
        start, until = data.get("start"), data.get("until")
        if (start is None) != (until is None):
            raise forms.ValidationError(_("Give both the first and the last day, or neither."))
        if start and until and until < start:
            raise forms.ValidationError(_("The last day comes before the first."))
        return data

    def period(self, default: date | None = None) -> Period:
        """The chosen period; the last complete week when nothing (valid) was chosen."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("start") and data.get("until"):
            return Period(start=data["start"], end=data["until"] + timedelta(days=1))
        if data.get("week"):
            return Period.of_week(data["week"])
        return Period.of_week(default or last_complete_week())


def week_choices(last: date, count: int = 26, *, selected: date | None = None) -> list[tuple[str, str]]:
    """The last `count` weeks for a select, newest first, and the selected week wherever it lies."""
    mondays = [last - timedelta(days=7 * k) for k in range(count)]
    if selected is not None and selected not in mondays:
        mondays = sorted([*mondays, selected], reverse=True)
    return [(week_label(d), f"{week_label(d)} ({d:%m-%d} – {d + timedelta(days=6):%m-%d})") for d in mondays]
