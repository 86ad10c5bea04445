"""The form of a playbook step on the playbook page. Each number is held to the column's range (or a sensible
bound) beside its field; the model's clean() says what a step of each kind and anchor needs."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator

from core import forms as bounded
from core.styling import StyledMixin
from core.users import user_display_name

from .catalog_forms import CENT
from .models import PlaybookStep


class StepForm(StyledMixin, forms.ModelForm):
    """A playbook step; the model's clean() says what a step of each kind and anchor needs, beside the field."""

    MAX_OFFSET_DAYS = 366  # a step within a year of its anchor
    MAX_OFFSET_MINUTES = 7 * 24 * 60  # without a time of day, within a week of the anchor

    class Meta:
        model = PlaybookStep
        fields = [
            "position", "anchor", "offset_days", "at_time", "offset_minutes", "repeat_days", "kind", "title", "text",
            "red_packet_amount", "red_packet_count", "red_packet_name", "assignee_role", "assignee", "channel",
        ]  # fmt: skip
        widgets = {
            "at_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "text": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {"assignee": bounded.ModelChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bounds = {
            "position": (0, 32767),
            "offset_days": (-self.MAX_OFFSET_DAYS, self.MAX_OFFSET_DAYS),
            "offset_minutes": (-self.MAX_OFFSET_MINUTES, self.MAX_OFFSET_MINUTES),
            "repeat_days": (1, self.MAX_OFFSET_DAYS),
            "red_packet_count": (1, 32767),
        }
        for name, (low, high) in bounds.items():
            self.fields[name].validators += [MinValueValidator(low), MaxValueValidator(high)]
        self.fields["red_packet_amount"].validators.append(MinValueValidator(CENT))
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["assignee"].label_from_instance = user_display_name
