"""Forms of the community pages: a rule's edit, the welcome message, recording a violation, applying rules to a
tier. Errors are said beside their field."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.forms import ModelChoiceField
from core.styling import StyledMixin
from members.models import Group, Membership

from .models import MAX_STRIKE_LIMIT, GroupWelcome, Rule, Violation
from .screenshots import screenshot_check


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["title", "text", "strike_limit"]
        widgets = {"strike_limit": forms.NumberInput(attrs={"min": 1, "max": MAX_STRIKE_LIMIT})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind == Rule.Kind.NICKNAME:
            del self.fields["strike_limit"]
        else:
            self.fields["strike_limit"].required = True

    def clean_strike_limit(self):
        value = self.cleaned_data.get("strike_limit")
        if self.instance.kind != Rule.Kind.NICKNAME and not value:
            raise ValidationError(_("Give the number of strikes that take a member out (1 to 10)."))
        return value


class WelcomeForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = GroupWelcome
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"text": _("{group_name} becomes the group's name. Playbook steps use it as {welcome}.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The braces are what the operator types: shown as code, not as text the app forgot to fill in.
        hint = escape(self.fields["text"].help_text)
        for variable in ("{group_name}", "{welcome}"):
            hint = hint.replace(variable, f"<code>{variable}</code>")
        self.fields["text"].help_text = mark_safe(hint)  # noqa: S308 - escaped above, only <code> added


class ViolationForm(forms.Form):
    """Member and rule: the two clicks (the rule is the button pressed); a note and a screenshot if at hand."""

    membership = ModelChoiceField(queryset=Membership.objects.none(), label=_("Member"))
    rule = ModelChoiceField(queryset=Rule.objects.none(), label=_("Rule"))
    note = forms.CharField(label=_("Note"), max_length=Violation._meta.get_field("note").max_length, required=False)
    submission = forms.CharField(
        max_length=Violation._meta.get_field("submission").max_length, required=False, widget=forms.HiddenInput
    )
    screenshot = forms.FileField(
        label=_("Screenshot"), required=False,
        help_text=_("PNG, JPEG, GIF or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )  # fmt: skip

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = Membership.objects.filter(
            group=group, status=Membership.Status.ACTIVE
        ).select_related("member")
        self.fields["rule"].queryset = Rule.objects.filter(group=group).exclude(kind=Rule.Kind.NICKNAME)

    def clean_screenshot(self):
        upload = self.cleaned_data.get("screenshot")
        if upload:
            screenshot_check(upload)
        return upload


class TierRulesForm(StyledMixin, forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier"),
        choices=[(value, label) for value, label in Group.Tier.choices if value != Group.Tier.LEGACY],
    )
