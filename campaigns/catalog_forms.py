"""The forms of the products and coupon templates pages. Each money field refuses what the model's constraints
would, beside the field (a constraint's own error names no field)."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.styling import StyledMixin

from .models import CouponTemplate, Product
from .services.catalog import TERMS_FIXED_ONCE_ISSUED

CENT = Decimal("0.01")
# The column ranges PostgreSQL enforces (SQLite would store more, or overflow): said beside the field on both.
MAX_STOCK = 2_147_483_647
MAX_VALID_DAYS = 3650  # ten years; the column would hold 32767


class ProductForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "lowest_public_price", "unit_cost", "stock"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lowest_public_price", "unit_cost"):
            self.fields[name].validators.append(MinValueValidator(Decimal("0")))
            self.fields[name].widget.attrs.update(min="0", step="0.01", inputmode="decimal")
        self.fields["stock"].validators.append(MaxValueValidator(MAX_STOCK))


class CouponTemplateForm(StyledMixin, forms.ModelForm):
    class Meta:
        model = CouponTemplate
        fields = ["code", "name", "kind", "amount", "min_spend", "valid_days"]
        help_texts = {
            "code": _("Short, unique, letters, digits, - and _ (e.g. new10)."),
            "valid_days": _("A coupon issued today can be used for this many days."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].validators.append(MinValueValidator(CENT))
        self.fields["min_spend"].validators.append(MinValueValidator(Decimal("0")))
        self.fields["valid_days"].validators += [MinValueValidator(1), MaxValueValidator(MAX_VALID_DAYS)]
        for name in ("amount", "min_spend"):
            self.fields[name].widget.attrs.update(min="0", step="0.01", inputmode="decimal")
        if self.instance.pk is not None and self.instance.coupons.exists():
            for name in TERMS_FIXED_ONCE_ISSUED:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed: coupons of this template are already issued.")


class CatalogFilterForm(StyledMixin, forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=100)
    active = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[
            ("", _("All")),
            ("1", pgettext_lazy("catalog", "Active")),
            ("0", pgettext_lazy("catalog", "Inactive")),
        ],
    )
