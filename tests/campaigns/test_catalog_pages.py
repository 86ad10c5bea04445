"""Products and coupon templates on the app's own pages (issue 15): operators create, edit, deactivate; managers
read; agents get 403. Bad input is refused beside its field and writes nothing; money stays Decimal."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns.models import CouponTemplate, Product
from campaigns.services import coupon_batch_issue
from campaigns.services.catalog import coupon_template_save
from core.roles import Role
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.members.factories import MemberFactory

GOOD_PRODUCT = {
    "sku": "VC-100",
    "name": "维生素C片",
    "lowest_public_price": "39.90",
    "unit_cost": "21.50",
    "stock": "300",
}
GOOD_TEMPLATE = {"code": "back20", "name": "回购券", "kind": "repurchase", "amount": "20", "min_spend": "199",
                 "valid_days": "14"}  # fmt: skip


@pytest.fixture
def catalog(db):
    return {"product": ProductFactory(sku="OLD-1", name="口罩"), "template": CouponTemplate.objects.create(
        code="new10", name="新客券", kind="new", amount=Decimal("10"))}  # fmt: skip


def pages(catalog) -> dict[str, str]:
    return {
        "product-list": reverse("campaigns:product-list"),
        "product-create": reverse("campaigns:product-create"),
        "product-edit": reverse("campaigns:product-edit", args=[catalog["product"].pk]),
        "coupon-template-create": reverse("campaigns:coupon-template-create"),
        "coupon-template-edit": reverse("campaigns:coupon-template-edit", args=[catalog["template"].pk]),
    }


ACCESS = {
    Role.OPERATOR: {"product-list": 200, "product-create": 200, "product-edit": 200, "coupon-template-create": 200,
                    "coupon-template-edit": 200},
    Role.MANAGER: {"product-list": 200, "product-create": 403, "product-edit": 403, "coupon-template-create": 403,
                   "coupon-template-edit": 403},
    Role.AGENT: {"product-list": 403, "product-create": 403, "product-edit": 403, "coupon-template-create": 403,
                 "coupon-template-edit": 403},
    Role.ADMIN: {"product-list": 200, "product-create": 200, "product-edit": 200, "coupon-template-create": 200,
                 "coupon-template-edit": 200},
}  # fmt: skip


@pytest.mark.parametrize("role", list(ACCESS))
def test_catalog_pages_access_by_role(client, role_users, catalog, role):
    client.force_login(role_users[role])
    for page, url in pages(catalog).items():
        assert client.get(url).status_code == ACCESS[role][page], (role, page)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT])
def test_catalog_writes_are_forbidden_to_readers(client, role_users, catalog, role):
    client.force_login(role_users[role])
    product, template = catalog["product"], catalog["template"]
    posts = {
        reverse("campaigns:product-create"): GOOD_PRODUCT,
        reverse("campaigns:product-edit", args=[product.pk]): {**GOOD_PRODUCT, "sku": "OLD-1"},
        reverse("campaigns:product-active", args=[product.pk]): {"action": "deactivate"},
        reverse("campaigns:coupon-template-create"): GOOD_TEMPLATE,
        reverse("campaigns:coupon-template-active", args=[template.pk]): {"action": "deactivate"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert Product.objects.count() == 1
    assert Product.objects.get().is_active
    assert CouponTemplate.objects.count() == 1
    assert CouponTemplate.objects.get().is_active


def test_catalog_manager_reads_products_without_edit_buttons(client, manager, catalog):
    client.force_login(manager)
    html = client.get(reverse("campaigns:product-list")).content.decode()
    assert "口罩" in html
    assert reverse("campaigns:product-edit", args=[catalog["product"].pk]) not in html
    assert reverse("campaigns:product-create") not in html


def test_catalog_operator_creates_and_edits_a_product_with_exact_money(client, operator, db):
    client.force_login(operator)
    response = client.post(reverse("campaigns:product-create"), GOOD_PRODUCT)
    assert response.status_code == 302
    product = Product.objects.get(sku="VC-100")
    assert product.lowest_public_price == Decimal("39.90")
    assert product.unit_cost == Decimal("21.50")
    assert product.stock == 300
    client.post(reverse("campaigns:product-edit", args=[product.pk]), {**GOOD_PRODUCT, "lowest_public_price": "35.10"})
    product.refresh_from_db()
    assert product.lowest_public_price == Decimal("35.10")
    assert "¥35.10" in client.get(reverse("campaigns:product-list")).content.decode()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"lowest_public_price": "-1"}, "lowest_public_price", "大于或等于0"),
        ({"unit_cost": "-0.01"}, "unit_cost", "大于或等于0"),
        ({"lowest_public_price": "abc"}, "lowest_public_price", "数字"),
        ({"lowest_public_price": "1.234"}, "lowest_public_price", "小数不超过 2 位"),
        ({"lowest_public_price": "99999999999"}, "lowest_public_price", "小数点前不超过 10 位"),
        ({"stock": "-5"}, "stock", "大于或等于0"),
        ({"stock": "9" * 30}, "stock", "小于或等于"),
        ({"name": ""}, "name", "必填"),
        ({"sku": "OLD-1"}, "sku", "已存在"),
    ],
)
def test_catalog_product_bad_input_is_said_beside_the_field(client, operator, catalog, change, field, says):
    client.force_login(operator)
    response = client.post(reverse("campaigns:product-create"), {**GOOD_PRODUCT, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert says in " ".join(errors[field])
    assert says in response.content.decode()
    assert Product.objects.count() == 1


def test_catalog_deactivated_product_is_no_longer_offered_for_campaign_items(client, operator, catalog):
    client.force_login(operator)
    product = catalog["product"]
    campaign = CampaignFactory(owner=operator)
    detail = reverse("campaigns:campaign-detail", args=[campaign.pk])
    assert f'<option value="{product.pk}"' in client.get(detail).content.decode()
    client.post(reverse("campaigns:product-active", args=[product.pk]), {"action": "deactivate"})
    product.refresh_from_db()
    assert not product.is_active
    assert f'<option value="{product.pk}"' not in client.get(detail).content.decode()
    assert "已停用" in client.get(reverse("campaigns:product-list")).content.decode()
    client.post(reverse("campaigns:product-active", args=[product.pk]), {"action": "reactivate"})
    product.refresh_from_db()
    assert product.is_active


def test_catalog_operator_creates_a_coupon_template_from_the_coupon_page(client, operator, db):
    client.force_login(operator)
    page = client.get(reverse("campaigns:coupon-list")).content.decode()
    assert "admin" not in page.lower().replace("/admin", "")  # no detour to a page operators cannot open
    assert reverse("campaigns:coupon-template-create") in page
    response = client.post(reverse("campaigns:coupon-template-create"), GOOD_TEMPLATE)
    assert response["Location"] == reverse("campaigns:coupon-list")
    template = CouponTemplate.objects.get(code="back20")
    assert template.amount == Decimal("20.00")
    assert template.min_spend == Decimal("199.00")
    assert template.kind == CouponTemplate.Kind.REPURCHASE
    assert "回购券" in client.get(reverse("campaigns:coupon-list")).content.decode()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"amount": "0"}, "amount", "大于或等于0.01"),
        ({"amount": "-3"}, "amount", "大于或等于0.01"),
        ({"amount": "1.005"}, "amount", "小数不超过 2 位"),
        ({"min_spend": "-1"}, "min_spend", "大于或等于0"),
        ({"valid_days": "0"}, "valid_days", "大于或等于1"),
        ({"valid_days": "40000"}, "valid_days", "小于或等于"),
        ({"code": "new 10"}, "code", "字母"),
        ({"code": "new10"}, "code", "已存在"),
        ({"kind": "birthday"}, "kind", "有效的选项"),
    ],
)
def test_catalog_coupon_template_bad_input_is_said_beside_the_field(client, operator, catalog, change, field, says):
    client.force_login(operator)
    response = client.post(reverse("campaigns:coupon-template-create"), {**GOOD_TEMPLATE, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert says in " ".join(errors[field])
    assert CouponTemplate.objects.count() == 1


def test_catalog_issued_template_keeps_its_terms(client, operator, catalog):
    template = catalog["template"]
    coupon_batch_issue(template=template, members=[MemberFactory()])
    client.force_login(operator)
    url = reverse("campaigns:coupon-template-edit", args=[template.pk])
    assert "disabled" in client.get(url).content.decode().split('name="amount"')[1].split(">")[0]
    data = {"code": "new10", "name": "新客立减券", "kind": "new", "amount": "99", "min_spend": "0", "valid_days": "30"}
    assert client.post(url, data).status_code == 302
    template.refresh_from_db()
    assert template.name == "新客立减券"
    assert template.valid_days == 30
    assert template.amount == Decimal("10.00")  # a disabled field keeps its value, whatever is posted
    template.amount = Decimal("99")
    with pytest.raises(ValidationError) as refused:
        coupon_template_save(template)
    assert "amount" in refused.value.message_dict
    template.refresh_from_db()
    assert template.amount == Decimal("10.00")


def test_catalog_deactivated_template_issues_no_more(client, operator, catalog):
    template = catalog["template"]
    client.force_login(operator)
    client.post(reverse("campaigns:coupon-template-active", args=[template.pk]), {"action": "deactivate"})
    template.refresh_from_db()
    assert not template.is_active
    page = client.get(reverse("campaigns:coupon-list")).content.decode()
    assert f'<option value="{template.pk}"' not in page
    with pytest.raises(ValidationError):
        coupon_batch_issue(template=template, members=[MemberFactory()])
