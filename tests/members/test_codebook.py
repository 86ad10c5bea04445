"""The codebook edited in the app: operators add and rename tags; agents and managers only read it."""

import pytest
from django.urls import reverse

from members.models import Tag, TagCategory

pytestmark = pytest.mark.django_db


def test_an_operator_adds_a_category_and_a_tag_and_renames_it(client, operator):
    client.force_login(operator)
    url = reverse("members:codebook")
    client.post(url, {"category-code": "concern", "category-name": "皮肤困扰", "category-position": 1})
    category = TagCategory.objects.get(code="concern")
    response = client.post(url, {"tag-code": "3", "tag-name": "痘痘", "tag-category": category.pk})
    assert response.status_code == 302
    tag = Tag.objects.get(code="3")
    client.post(reverse("members:tag-edit", args=[tag.pk]), {"code": "3", "name": "痤疮", "category": category.pk})
    tag.refresh_from_db()
    assert tag.name == "痤疮"
    page = client.get(url)
    assert "痤疮" in page.text


def test_a_taken_code_is_refused_with_the_field_named(client, operator):
    category = TagCategory.objects.create(code="c", name="类")
    Tag.objects.create(code="D", name="想祛痘", category=category)
    client.force_login(operator)
    response = client.post(
        reverse("members:codebook"), {"tag-code": "D", "tag-name": "别的", "tag-category": category.pk}
    )
    assert response.status_code == 400
    assert Tag.objects.count() == 1


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_agents_and_managers_read_but_cannot_edit(client, request, role):
    category = TagCategory.objects.create(code="c", name="类")
    tag = Tag.objects.create(code="D", name="想祛痘", category=category)
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("members:codebook")).status_code == 200
    response = client.post(reverse("members:codebook"), {"tag-code": "E", "tag-name": "x", "tag-category": category.pk})
    assert response.status_code == 403
    assert client.get(reverse("members:tag-edit", args=[tag.pk])).status_code == 403
