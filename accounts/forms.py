from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.roles import Role
from core.styling import StyledMixin


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=Role.choices, label=_("roles"), **kwargs)


class PasswordField(forms.CharField):
    """Blank: the app generates one and shows it once."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("password"),
            required=False,
            max_length=128,
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=_("Leave it blank to have one generated; it is shown once, to hand to the user."),
            **kwargs,
        )


class UserFilterForm(StyledMixin, forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("role"), required=False, choices=[("", _("All roles")), *Role.choices])
    active = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[
            ("", _("All")),
            ("1", pgettext_lazy("user account", "Active")),
            ("0", pgettext_lazy("user account", "Deactivated")),
        ],
    )


class UserCreateForm(StyledMixin, forms.Form):
    username = forms.CharField(
        label=_("username"), max_length=150, help_text=_("What the user types to log in: letters, digits and @.+-_.")
    )
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=150, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    roles = RolesField()
    password = PasswordField()


class UserRolesForm(StyledMixin, forms.Form):
    roles = RolesField()


class UserPasswordForm(StyledMixin, forms.Form):
    password = PasswordField()


class UserProfileForm(StyledMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=150, required=False)
    email = forms.EmailField(label=_("email"), required=False)
