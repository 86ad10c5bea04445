from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from core import forms as bounded
from core.styling import StyledMixin
from core.users import user_display_name
from members.models import Group

from .models import LiveCode
from .services import image_check, image_name


class LiveCodeForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = LiveCode
        fields = ["slug", "name", "owner", "margin", "contact_text", "contact_image", "is_active"]
        widgets = {"contact_text": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"owner": bounded.ModelChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["owner"].label_from_instance = user_display_name
        self.fields["margin"].validators.append(MaxValueValidator(Group.SCAN_JOIN_LIMIT - 1))

    def clean_contact_image(self):
        upload = self.cleaned_data.get("contact_image")
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            image_name(upload, "contact")
        return upload


class PoolAddForm(StyledMixin, forms.Form):
    group = bounded.ModelChoiceField(queryset=Group.objects.none(), label=_("group"))

    def __init__(self, *args, live_code, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = (
            Group.objects.taking_new_members().exclude(live_code_entries__live_code=live_code).order_by("code")
        )


class ImageUploadForm(StyledMixin, forms.Form):
    image = forms.FileField(label=_("QR image"))
    days = forms.IntegerField(
        label=_("valid for (days)"), initial=7, validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text=_("A WeChat group QR code stops admitting 7 days after it was made."),
    )  # fmt: skip

    def clean_image(self):
        upload = self.cleaned_data["image"]
        try:
            image_check(upload)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return upload


class ReferralLinkForm(StyledMixin, forms.Form):
    member = forms.CharField(
        label=_("member"), max_length=64, help_text=_("The member's external id (as in the members list).")
    )


class ReferralForm(forms.Form):
    """The newcomer's phone, on the public page of a referral link."""

    phone = forms.CharField(label=_("Your mobile number"), max_length=30)
    ref = forms.CharField(max_length=32, widget=forms.HiddenInput)
    # Only which QR to show again after the form is sent: a value that is not an image id (an old page, a hand-made
    # post) shows none, and never costs the newcomer their referral.
    image = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_image(self) -> int | None:
        value = self.cleaned_data["image"]
        is_id = len(value) <= 18 and value.isascii() and value.isdigit() and int(value) > 0
        return int(value) if is_id else None
