"""Form fields that hold what a request may ask for to bounds, so absurd input is an error beside the field,
never a server error: ids within the database's integer range, lists of a bounded length, days and moments
within the years of `core.dates`.

Django's own fields let `?tags=99999999999999999999` reach the database (an `IN` over an integer column
overflows the driver: a 500), and a datetime of year 1 in Asia/Shanghai is year 0 in UTC (an OverflowError
when saved). Forms and filters use these fields for every id, list and date they read from a request.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.utils.translation import gettext_lazy as _

from .dates import validate_sensible_date

MAX_CHOICES = 500


def _check_id(field: forms.ModelChoiceField, value, *, code: str) -> None:
    """Refuse `value` unless it is an integer the key column can hold (when that column is an integer)."""
    queryset = field.queryset
    key = field.to_field_name or "pk"
    column = queryset.model._meta.pk if key == "pk" else queryset.model._meta.get_field(key)
    if not isinstance(column, models.IntegerField) or isinstance(value, queryset.model):
        return
    params = {"value": value, "pk": value}
    try:
        number = int(str(value).strip())
    except ValueError as error:
        raise ValidationError(field.error_messages[code], code=code, params=params) from error
    low, high = connections[queryset.db].ops.integer_field_range(column.get_internal_type())
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(field.error_messages[code], code=code, params=params)


class ModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose id is checked against the column's range before any query."""

    def to_python(self, value):
        if value not in self.empty_values:
            _check_id(self, value, code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField with at most `max_choices` ids, each checked against the column's range."""

    def __init__(self, queryset, *, max_choices: int = MAX_CHOICES, **kwargs):
        self.max_choices = max_choices
        super().__init__(queryset, **kwargs)

    def _check_values(self, value):
        if len(value) > self.max_choices:
            raise ValidationError(
                _("Choose at most %(max)s."), code="too_many_choices", params={"max": self.max_choices}
            )
        for item in value:
            self.validate_no_null_characters(item)
            _check_id(self, item, code="invalid_pk_value")
        return super()._check_values(value)


class DateField(forms.DateField):
    default_validators = [validate_sensible_date]


class DateTimeField(forms.DateTimeField):
    default_validators = [validate_sensible_date]
