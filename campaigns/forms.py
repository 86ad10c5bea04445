import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import forms as bounded
from core.styling import StyledMixin
from core.users import user_display_name
from members import segments as member_segments
from members.models import Group, SavedSelection

from .models import Campaign, CampaignItem, CampaignSeries, CouponTemplate, Playbook, Product

PREVIEW_MAX_DAYS_BEFORE = 28
MAX_EXTERNAL_IDS = 5000  # members in one coupon batch typed or pasted on the page


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _operators():
    return get_user_model().objects.filter(is_active=True).order_by("username")


def _person_label(user) -> str:
    return user_display_name(user)


class CampaignForm(StyledMixin, forms.ModelForm):
    landing_url = forms.URLField(label=_("landing link"), required=False, assume_scheme="https")
    groups = bounded.ModelMultipleChoiceField(
        queryset=Group.objects.taking_campaigns(), widget=forms.CheckboxSelectMultiple, required=False,
        label=_("groups"),
    )  # fmt: skip

    class Meta:
        model = Campaign
        fields = ["code", "name", "starts_at", "ends_at", "groups", "gmv_target", "loss_cap", "landing_url", "owner"]
        widgets = {"starts_at": DateTimeLocalInput(), "ends_at": DateTimeLocalInput()}
        field_classes = {
            "starts_at": bounded.DateTimeField, "ends_at": bounded.DateTimeField, "owner": bounded.ModelChoiceField,
        }  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _operators()
        self.fields["owner"].label_from_instance = _person_label
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class CampaignScheduleForm(StyledMixin, forms.Form):
    """Move a campaign, change its groups, its target, loss cap and link: pending reminders move with it, a removed
    group's are cancelled. (A week copied from the last one is adjusted here before publishing.)"""

    starts_at = bounded.DateTimeField(label=_("starts"), widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = bounded.DateTimeField(label=_("ends"), widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M"])
    groups = bounded.ModelMultipleChoiceField(
        queryset=Group.objects.taking_campaigns(), widget=forms.CheckboxSelectMultiple, required=False,
        label=_("groups"),
    )  # fmt: skip
    # Optional: a form (or script) that only moves the campaign leaves them as they are.
    gmv_target = Campaign._meta.get_field("gmv_target").formfield(required=False, min_value=0)
    loss_cap = Campaign._meta.get_field("loss_cap").formfield(required=False, min_value=0)
    landing_url = forms.URLField(label=_("landing link"), required=False, assume_scheme="https")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_at") and cleaned.get("ends_at") and cleaned["ends_at"] <= cleaned["starts_at"]:
            raise forms.ValidationError(_("A campaign must end after it starts."))
        return cleaned


class SeriesForm(StyledMixin, forms.ModelForm):
    landing_url = forms.URLField(label=_("landing link"), required=False, assume_scheme="https")
    groups = bounded.ModelMultipleChoiceField(
        queryset=Group.objects.taking_campaigns(), widget=forms.CheckboxSelectMultiple, required=False,
        label=_("groups"),
    )  # fmt: skip
    duration_hours = forms.DecimalField(label=_("duration (hours)"), min_value=0.5, max_value=168, initial=12)

    class Meta:
        model = CampaignSeries
        fields = [
            "code", "name", "weekday", "start_time", "duration_hours", "preview_days_before", "preview_time",
            "first_date", "weeks", "groups", "gmv_target", "loss_cap", "landing_url", "owner", "playbook",
        ]  # fmt: skip
        widgets = {
            "first_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "preview_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        field_classes = {
            "first_date": bounded.DateField, "owner": bounded.ModelChoiceField, "playbook": bounded.ModelChoiceField,
        }  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _operators()
        self.fields["owner"].label_from_instance = _person_label
        # Days before each campaign: a preview a month ahead is already far (and days must stay dates).
        preview = self.fields["preview_days_before"]
        preview.validators.append(MaxValueValidator(PREVIEW_MAX_DAYS_BEFORE))
        preview.widget.attrs["max"] = PREVIEW_MAX_DAYS_BEFORE
        self.fields["playbook"].initial = (
            Playbook.objects.filter(code="weekly-warm-up").values_list("pk", flat=True).first()
        )
        if not self.is_bound:
            today = timezone.localdate()
            self.fields["first_date"].initial = today + dt.timedelta(days=(3 - today.weekday()) % 7 or 7)

    def clean(self):
        cleaned = super().clean()
        hours = cleaned.get("duration_hours")
        if hours is not None:
            self.instance.duration = dt.timedelta(hours=float(hours))
        return cleaned


class ItemForm(StyledMixin, forms.ModelForm):
    product = bounded.ModelChoiceField(queryset=Product.objects.filter(is_active=True), label=_("product"))

    class Meta:
        model = CampaignItem
        fields = ["product", "price", "expected_quantity", "supplier_cap", "is_clearance", "second_discount_rate"]


class JoinSeriesForm(StyledMixin, forms.Form):
    """Add a one-off campaign to an existing weekly run (it takes its 第N期 from its date)."""

    series = bounded.ModelChoiceField(queryset=CampaignSeries.objects.order_by("-first_date"), label=_("run"))


class ApplyPlaybookForm(StyledMixin, forms.Form):
    playbook = bounded.ModelChoiceField(queryset=Playbook.objects.all(), label=_("playbook"))
    groups = bounded.ModelMultipleChoiceField(
        queryset=Group.objects.all(), widget=forms.CheckboxSelectMultiple, label=_("groups")
    )

    def __init__(self, *args, campaign: Campaign | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaign is not None:
            self.fields["groups"].queryset = campaign.groups.all()
            self.fields["groups"].initial = list(campaign.groups.values_list("pk", flat=True))
            self.fields["playbook"].initial = (
                Playbook.objects.filter(code="weekly-warm-up").values_list("pk", flat=True).first()
            )


class ApplyToGroupsForm(StyledMixin, forms.Form):
    """Run a playbook in groups without a campaign (daily SOP, flash group, welcome): how a team replicates."""

    groups = bounded.ModelMultipleChoiceField(
        queryset=Group.objects.taking_campaigns(), widget=forms.CheckboxSelectMultiple, label=_("groups")
    )
    campaign = bounded.ModelChoiceField(
        queryset=Campaign.objects.exclude(status=Campaign.Status.ENDED), required=False, label=_("campaign"),
        help_text=_("Needed when the playbook has steps timed from a campaign."),
    )  # fmt: skip


class CopyPlaybookForm(StyledMixin, forms.Form):
    """Only the copy's name: its code is made from the original's (people never read or type codes)."""

    name = forms.CharField(label=_("name"), max_length=200)


class CouponIssueForm(StyledMixin, forms.Form):
    template = bounded.ModelChoiceField(queryset=CouponTemplate.objects.filter(is_active=True), label=_("template"))
    group = bounded.ModelChoiceField(queryset=Group.objects.all(), required=False, label=_("group"))
    segment = forms.ChoiceField(required=False, label=_("segment"), choices=())
    selection = bounded.ModelChoiceField(
        queryset=SavedSelection.objects.all(), required=False, label=_("or a saved selection"),
        help_text=_("Whoever matches the members filter saved under this name, now."),
    )  # fmt: skip
    external_ids = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("or member ids"),
        help_text=_("External ids separated by spaces, commas or new lines."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The segments analytics provides (none when it is not installed: batches then go to members).
        provided = member_segments.choices() if member_segments.available() else []
        self.fields["segment"].choices = [("", "—"), *provided]

    def clean(self):
        cleaned = super().clean()
        ids = [part for part in cleaned.get("external_ids", "").replace(",", " ").split() if part]
        if len(ids) > MAX_EXTERNAL_IDS:
            self.add_error("external_ids", _("At most %(max)s members at a time.") % {"max": MAX_EXTERNAL_IDS})
            return cleaned
        cleaned["external_ids"] = ids
        ways = [bool(ids), bool(cleaned.get("selection")), bool(cleaned.get("group") and cleaned.get("segment"))]
        if sum(ways) != 1:
            raise forms.ValidationError(
                _("Choose one: a group and a segment, a saved selection, or a list of members.")
            )
        return cleaned


class CalendarForm(forms.Form):
    """`?week=YYYY-MM-DD`: any day of the week the reminder calendar shows (default: this week)."""

    week = bounded.DateField(label=_("Week of"), required=False)

    def day(self, default: dt.date) -> dt.date:
        if not self.is_bound or not self.is_valid():
            return default
        return self.cleaned_data["week"] or default
