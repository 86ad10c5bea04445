"""The period pickers of the analytics pages: an ISO week, or any range of local days, and how many weeks a
trend shows. Every parameter the pages read goes through these forms, so a bad value is said beside its
field and the page shows the default instead."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from core import forms as bounded
from core.dates import current_week_monday, parse_week, week_label, week_title

from .selectors import Period, last_complete_week


class PeriodForm(forms.Form):
    """`week=2026-W02`, or `start` and `until` (both days included). Empty: the last complete week."""

    week = forms.CharField(label=_("Week"), required=False, max_length=10, help_text=_("ISO week, e.g. 2026-W02"))
    start = bounded.DateField(label=_("From"), required=False)
    until = bounded.DateField(label=_("Until (inclusive)"), required=False)

    def clean_week(self):
        return _clean_week(self.cleaned_data.get("week"))

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


def _clean_week(text: str | None) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_week(text)
    except ValueError as exc:
        raise forms.ValidationError(_("Use an ISO week such as 2026-W02.")) from exc


TREND_WEEKS = (8, 12, 26, 52)
DEFAULT_TREND_WEEKS = 12


class TrendForm(forms.Form):
    """`week=2026-W02` (the last week shown; default the last complete week) and `weeks` (one of TREND_WEEKS)."""

    week = forms.CharField(label=_("Week"), required=False, max_length=10)
    weeks = forms.TypedChoiceField(
        label=_("Weeks shown"), required=False, coerce=int, empty_value=None,
        choices=[(str(n), str(n)) for n in TREND_WEEKS],
    )  # fmt: skip

    def clean_week(self):
        return _clean_week(self.cleaned_data.get("week"))

    def _cleaned(self, name: str):
        """The field's value when it is valid (an invalid field is left out of cleaned_data), else None."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name)

    def last_week(self, default: date) -> date:
        return self._cleaned("week") or default

    def weeks_shown(self) -> int:
        return self._cleaned("weeks") or DEFAULT_TREND_WEEKS


def week_choices(last: date, count: int = 26, *, selected: date | None = None) -> list[tuple[str, str]]:
    """The current week (still running, so marked) and the `count` weeks up to `last`, newest first, and the
    selected week wherever it lies. Values are ISO weeks ('2026-W48'); people read '11月23日–29日 · 2026-W48'."""
    current = current_week_monday()
    mondays = [last - timedelta(days=7 * k) for k in range(count)]
    if current > last:
        mondays.insert(0, current)
    if selected is not None and selected not in mondays:
        mondays = sorted([*mondays, selected], reverse=True)
    return [(week_label(d), _week_option(d, current)) for d in mondays]


def _week_option(monday: date, current: date) -> str:
    if monday == current:
        return _("%(week)s (this week, so far)") % {"week": week_title(monday)}
    return week_title(monday)
