"""What campaigns sell and give away, edited on the app's own pages: products and coupon templates."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import CouponTemplate, Product

# What a coupon already in a member's hands depends on: its code is printed, and the redemption check reads the
# template's amount and minimum spend when the order comes (campaigns.redemption). valid_days only dates new issues.
TERMS_FIXED_ONCE_ISSUED = ("code", "amount", "min_spend")


@transaction.atomic
def product_save(product: Product) -> Product:
    """Create or update `product` after the model's checks (unique SKU, prices not negative)."""
    product.full_clean()
    _save_unique(product, field="sku")
    return product


@transaction.atomic
def coupon_template_save(template: CouponTemplate) -> CouponTemplate:
    """Create or update `template` after the model's checks; once coupons of it are issued, its code, amount and
    minimum spend stay as the members' coupons were given."""
    if template.pk is not None and template.coupons.exists():
        issued = CouponTemplate.objects.select_for_update().get(pk=template.pk)
        changed = [name for name in TERMS_FIXED_ONCE_ISSUED if getattr(template, name) != getattr(issued, name)]
        if changed:
            message = _("Coupons of this template are already issued: create a new template to change it.")
            raise ValidationError({name: message for name in changed})
    template.full_clean()
    _save_unique(template, field="code")
    return template


def _save_unique(instance, *, field: str) -> None:
    """Save; full_clean saw the `field` value free, but another operator may have taken it since."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        message = _("Another one was just saved with this value; choose another.")
        raise ValidationError({field: message}) from None


def product_active_set(*, product: Product, is_active: bool) -> Product:
    """Deactivate (no longer offered for new campaign items; existing items keep it) or reactivate `product`."""
    product.is_active = is_active
    product.save(update_fields=["is_active"])
    return product


def coupon_template_active_set(*, template: CouponTemplate, is_active: bool) -> CouponTemplate:
    """Deactivate (no new batches; issued coupons stay valid) or reactivate `template`."""
    template.is_active = is_active
    template.save(update_fields=["is_active"])
    return template
