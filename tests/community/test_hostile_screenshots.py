"""An outsider's files as a strike's screenshot, through the group page's form: every one that is not an image is
refused saying why and records no strike; an image is stored under a name of its real format whatever it was
called, and served only after the access check, as the image it is."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.views.static import serve

from community.models import Removal, Violation
from members.models import Membership
from tests.community.factories import group_with_rules, rule
from tests.hostile_files import HOSTILE_NAMES, REFUSED, png, png_then_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(operator):
    group, memberships = group_with_rules(owner=operator, name="成都VIP①")
    return group, memberships[0]


def record(client, group, membership, name: str, content: bytes):
    screenshot = SimpleUploadedFile(name, content, content_type="image/png")
    data = {"membership": membership.pk, "rule": rule(group, "vote").pk, "screenshot": screenshot}
    return client.post(reverse("community:violation-record", args=[group.pk]), data, follow=True)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_screenshot_is_refused_saying_why_and_no_strike_is_recorded(client, operator, world, media, name):
    group, membership = world
    content, reason = REFUSED[name]
    client.force_login(operator)
    response = record(client, group, membership, name, content)
    said = " ".join(str(message) for message in response.context["messages"])
    assert "截图" in said
    assert reason in said, said
    assert not Violation.objects.exists()
    assert not Removal.objects.exists()
    assert Membership.objects.get(pk=membership.pk).strikes == 0
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_screenshot_is_stored_and_served_as_the_image_it_is_whatever_its_name(client, operator, world, media, name):
    group, membership = world
    client.force_login(operator)
    record(client, group, membership, name, png_then_html())
    violation = Violation.objects.get()
    name_pattern = rf"community/violations/\d{{4}}/\d{{2}}/m{membership.pk}(_\w+)?\.png"
    assert re.fullmatch(name_pattern, violation.screenshot.name)
    served = client.get(reverse("community:violation-screenshot", args=[violation.pk]))
    assert (served["Content-Type"], served["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert b"".join(served.streaming_content) == png_then_html()
    by_extension = serve(RequestFactory().get("/"), violation.screenshot.name, document_root=media)
    assert by_extension["Content-Type"] == "image/png"


def test_the_screenshot_of_a_strike_needs_a_login_and_the_right_role(client, operator, agent, world, media):
    group, membership = world
    client.force_login(operator)
    record(client, group, membership, "a.png", png())
    url = reverse("community:violation-screenshot", args=[Violation.objects.get().pk])
    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    client.force_login(agent)
    assert client.get(url).status_code == 403
    for absurd in (0, 10**30):
        client.force_login(operator)
        assert client.get(reverse("community:violation-screenshot", args=[absurd])).status_code == 404
