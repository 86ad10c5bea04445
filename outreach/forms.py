"""Forms of the outreach pages: a new call list (one row per agent with a weight and regions), reassigning,
a call's outcome, a script."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from campaigns.forms import DateTimeLocalInput
from core.roles import Role
from core.styling import StyledMixin
from core.users import user_display_name
from members.models import Group, SavedSelection, Tag
from members.selectors import region_choices

from .models import CallList, CallTask, Script
from .services.lists import MAX_RECENT_DAYS
from .split import Share

MAX_WEIGHT = 10


def agents_queryset():
    return get_user_model().objects.filter(groups__name=Role.AGENT, is_active=True).order_by("username").distinct()


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_display_name(obj)


class GroupsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_tier_display()}）"


class CallListForm(StyledMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    selection = forms.ModelChoiceField(
        label=_("Saved selection"), queryset=SavedSelection.objects.order_by("name"), empty_label=None,
        help_text=_("Its members as of now become the list; later changes to the selection do not change it."),
    )  # fmt: skip
    groups = GroupsField(
        label=_("Groups to invite to"),
        queryset=Group.objects.taking_campaigns().order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("In this order: when a group is full, the next one takes the member."),
    )
    split = forms.ChoiceField(label=_("Split"), choices=CallList.Split.choices, initial=CallList.Split.ROUND_ROBIN)
    script = forms.ModelChoiceField(
        label=_("Default script"), queryset=Script.objects.filter(is_active=True), required=False,
        help_text=_("Used when no script matches the member's tags."),
    )  # fmt: skip
    due_date = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    recent_days = forms.IntegerField(
        label=_("Leave out members called within (days)"), min_value=0, max_value=MAX_RECENT_DAYS, initial=30
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agents = list(agents_queryset())
        regions = region_choices()
        for agent in self.agents:
            self.fields[f"agent_{agent.pk}"] = forms.BooleanField(
                label=user_display_name(agent),
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[f"weight_{agent.pk}"] = forms.IntegerField(
                label=_("Weight"),
                min_value=1,
                max_value=MAX_WEIGHT,
                initial=1,
                required=False,
                widget=forms.NumberInput(attrs={"class": "form-control co-input-narrow"}),
            )
            self.fields[f"regions_{agent.pk}"] = forms.MultipleChoiceField(
                label=_("Regions"), choices=regions, required=False,
                widget=forms.SelectMultiple(attrs={"class": "form-select co-multi", "size": 4}),
            )  # fmt: skip

    def agent_rows(self):
        """(agent, checkbox, weight, regions) bound fields for the template's table."""
        return [
            (agent, self[f"agent_{agent.pk}"], self[f"weight_{agent.pk}"], self[f"regions_{agent.pk}"])
            for agent in self.agents
        ]

    def shares(self) -> list[Share]:
        data = self.cleaned_data
        return [
            Share(
                agent_id=agent.pk,
                weight=data.get(f"weight_{agent.pk}") or 1,
                regions=tuple(data.get(f"regions_{agent.pk}") or ()),
            )
            for agent in self.agents
            if data.get(f"agent_{agent.pk}")
        ]

    def clean_groups(self):
        # The order of the checkboxes (group code), which the help text promises.
        return sorted(self.cleaned_data["groups"], key=lambda group: group.code)


class ReassignForm(StyledMixin, forms.Form):
    away = AgentChoiceField(label=_("Agent who is away"), queryset=agents_queryset())
    to = forms.ModelMultipleChoiceField(
        label=_("Give their calls to"), queryset=agents_queryset(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].label_from_instance = user_display_name


class OutcomeForm(StyledMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallTask.Outcome.choices, widget=forms.RadioSelect)
    callback_at = forms.DateTimeField(label=_("Call back at"), required=False, widget=DateTimeLocalInput())
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags after the call"), queryset=Tag.objects.select_related("category"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class ScriptForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = Script
        fields = ["name", "text", "tags", "is_active"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6}), "tags": forms.CheckboxSelectMultiple}
