"""Products and coupon templates on the app's own pages (operators edit, managers read, agents get 403): list,
create, edit, deactivate and reactivate. Thin: check access, call one service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import can, require_perms

from .catalog_forms import CatalogFilterForm, CouponTemplateForm, ProductForm
from .models import CouponTemplate, Product
from .permissions import ADD_COUPON_TEMPLATES, ADD_PRODUCTS, CHANGE_COUPON_TEMPLATES, CHANGE_PRODUCTS, VIEW_PRODUCTS
from .services import catalog

PAGE_SIZE = 50


def _save(form, save) -> bool:
    """Save the form's object through `save` (a service); its errors go beside the fields they name."""
    try:
        save(form.save(commit=False))
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    return True


# ---------------------------------------------------------------- products


@require_perms(VIEW_PRODUCTS)
def product_list(request):
    form = CatalogFilterForm(request.GET or None)
    products = Product.objects.order_by("-is_active", "sku")
    if form.is_valid():
        if query := form.cleaned_data["q"]:
            products = products.filter(Q(sku__icontains=query) | Q(name__icontains=query))
        if form.cleaned_data["active"]:
            products = products.filter(is_active=form.cleaned_data["active"] == "1")
    context = {
        "form": form,
        "page": Paginator(products, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_add": can(request.user, ADD_PRODUCTS),
        "can_change": can(request.user, CHANGE_PRODUCTS),
    }
    return render(request, "campaigns/product_list.html", context)


def _product_form(request, product: Product):
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid() and _save(form, catalog.product_save):
        messages.success(request, _("Product %(name)s saved.") % {"name": form.instance.name})
        return redirect("campaigns:product-list")
    return render(request, "campaigns/product_form.html", {"form": form, "product": product})


@require_perms(VIEW_PRODUCTS, ADD_PRODUCTS)
def product_create(request):
    return _product_form(request, Product())


@require_perms(VIEW_PRODUCTS, CHANGE_PRODUCTS)
def product_edit(request, pk: int):
    return _product_form(request, get_object_or_404(Product, pk=pk))


@require_POST
@require_perms(VIEW_PRODUCTS, CHANGE_PRODUCTS)
def product_active(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    is_active = request.POST.get("action") == "reactivate"
    catalog.product_active_set(product=product, is_active=is_active)
    if is_active:
        messages.success(request, _("%(name)s can be added to campaigns again.") % {"name": product.name})
    else:
        messages.success(request, _("%(name)s is deactivated: no new campaign items.") % {"name": product.name})
    return redirect("campaigns:product-list")


# ---------------------------------------------------------------- coupon templates


def _coupon_template_form(request, template: CouponTemplate):
    form = CouponTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid() and _save(form, catalog.coupon_template_save):
        messages.success(request, _("Coupon template %(name)s saved.") % {"name": form.instance.name})
        return redirect("campaigns:coupon-list")
    return render(request, "campaigns/coupon_template_form.html", {"form": form, "template": template})


@require_perms(ADD_COUPON_TEMPLATES)
def coupon_template_create(request):
    return _coupon_template_form(request, CouponTemplate())


@require_perms(CHANGE_COUPON_TEMPLATES)
def coupon_template_edit(request, pk: int):
    return _coupon_template_form(request, get_object_or_404(CouponTemplate, pk=pk))


@require_POST
@require_perms(CHANGE_COUPON_TEMPLATES)
def coupon_template_active(request, pk: int):
    template = get_object_or_404(CouponTemplate, pk=pk)
    is_active = request.POST.get("action") == "reactivate"
    catalog.coupon_template_active_set(template=template, is_active=is_active)
    if is_active:
        messages.success(request, _("%(name)s can be issued again.") % {"name": template.name})
    else:
        messages.success(
            request, _("%(name)s is deactivated: no new batches; coupons already issued stay valid.") % {
                "name": template.name
            }
        )  # fmt: skip
    return redirect("campaigns:coupon-list")
