"""Forms of the group lifecycle pages: a group's settings, ending or moving a membership, the legacy wizard,
promoting a member. Ids and days go through `core.forms` fields, so absurd input is an error beside its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import local_date
from core.forms import DateField, ModelChoiceField
from core.roles import Role
from core.styling import StyledMixin
from core.users import user_display_name

from .models import Group, Membership
from .services.reorganise import DISSOLVE, MERGE, MOVE_CORE


class OwnerChoiceField(ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return user_display_name(user)


class GroupForm(StyledMixin, forms.ModelForm):
    # A group's owner enforces its rules and gets its reminders: an operator.
    owner = OwnerChoiceField(
        queryset=get_user_model().objects.filter(is_active=True, groups__name=Role.OPERATOR).order_by("username"),
        required=False, label=_("owner"),
    )  # fmt: skip
    flash_ends_on = DateField(
        label=_("flash end date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A flash group's last day: the day after, it closes itself and becomes read-only."),
    )  # fmt: skip

    class Meta:
        model = Group
        fields = ["code", "name", "tier", "platform", "region", "owner", "capacity", "stage", "flash_ends_on"]
        help_texts = {"capacity": _("WeChat holds 500 members in a group; joining by QR code stops at 200.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Bounds said beside the field (the database's check would only name a constraint above the form), the
        # same as the groups import's.
        capacity = self.fields["capacity"]
        bounds = (MinValueValidator, MaxValueValidator)
        capacity.validators = [v for v in capacity.validators if not isinstance(v, bounds)] + [
            MinValueValidator(1), MaxValueValidator(Group.MAX_CAPACITY),
        ]  # fmt: skip
        capacity.widget.attrs.update(min=1, max=Group.MAX_CAPACITY)

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and self.instance.pk:
            taken = Membership.objects.open().filter(group=self.instance).count()
            if capacity < taken:
                raise ValidationError(
                    _("%(taken)s members are in the group already: the capacity cannot be below that.")
                    % {"taken": taken}
                )
        return capacity

    def clean(self):
        data = super().clean()
        tier, ends_on = data.get("tier"), data.get("flash_ends_on")
        if tier == Group.Tier.FLASH and not ends_on:
            self.add_error("flash_ends_on", _("A flash group needs its end date."))
        elif tier == Group.Tier.FLASH and ends_on < local_date(timezone.now()) and ends_on != self.initial_end():
            # A group given an end date already past would close at once (at that date): a typo, not a wish. A
            # flash group that ended keeps its date when its other settings are edited.
            self.add_error(
                "flash_ends_on",
                _("%(day)s has passed: a flash group's end date is today or later.") % {"day": ends_on.isoformat()},
            )
        elif tier and tier != Group.Tier.FLASH and ends_on:
            self.add_error(
                "flash_ends_on", _("Only flash groups have an end date: clear it, or make it a flash group.")
            )
        return data

    def initial_end(self):
        return self.instance.flash_ends_on if self.instance.pk else None


class MembershipEndForm(StyledMixin, forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. moved away, posted ads twice")}),
    )  # fmt: skip


class MembershipMoveForm(StyledMixin, forms.Form):
    to = ModelChoiceField(queryset=Group.objects.none(), label=_("move to"))

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        # Closed groups are not offered; legacy ones are, so the service says clearly why it refuses them.
        self.fields["to"].queryset = Group.objects.open().exclude(pk=membership.group_id).order_by("code")


class LegacyForm(StyledMixin, forms.Form):
    action = forms.ChoiceField(
        label=_("what to do"), widget=forms.RadioSelect,
        choices=[
            (MERGE, _("Merge into another group (every member moves, the legacy group closes)")),
            (MOVE_CORE, _("Move its core members to a precise group (the others stay)")),
            (DISSOLVE, _("Dissolve it (every member leaves, the group closes)")),
        ],
    )  # fmt: skip
    target = ModelChoiceField(queryset=Group.objects.none(), label=_("target group"), required=False)

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            Group.objects.open().exclude(tier=Group.Tier.LEGACY).exclude(pk=group.pk).order_by("tier", "code")
        )
        self.fields["target"].label_from_instance = lambda g: f"{g.name} · {g.get_tier_display()}"

    def clean_action(self):
        action = self.cleaned_data["action"]
        return action


class PromoteForm(StyledMixin, forms.Form):
    group = ModelChoiceField(queryset=Group.objects.none(), label=_("super-user group"), empty_label=None)

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["group"].label_from_instance = lambda g: f"{g.name} ({g.open_count}/{g.capacity})"
