"""An outsider's files where a live code asks for an image (a group's QR image, the service account's QR): what is
refused and why, what is stored under which name, and what the public URLs serve back, with which type."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.views.static import serve

from livecodes.models import LiveCode, QRImage
from tests.hostile_files import HOSTILE_NAMES, REFUSED, png, png_then_html

from .helpers import live_code_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.LIVECODE_REDIS_URL = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> set[str]:
    return {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()}


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def served_by_extension(media, name: str):
    """What a server that serves the media folder by file extension (Django's static view when DEBUG is on, a
    web server's /media/ location) would send for this stored file."""
    return serve(RequestFactory().get("/media/" + name), name, document_root=media)


def upload_qr(client, code, content: bytes, name: str):
    entry = code.entries.get()
    image = SimpleUploadedFile(name, content, content_type="image/png")
    url = reverse("livecodes:image-upload", args=[code.pk, entry.pk])
    return client.post(url, {f"e{entry.pk}-image": image, f"e{entry.pk}-days": 7})


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_qr_image_is_refused_saying_why_and_nothing_is_stored(client, operator, media, name):
    code = live_code_with(operator, [("A", 500, 0)])
    before_files, before_rows = stored_files(media), QRImage.objects.count()
    content, reason = REFUSED[name]
    client.force_login(operator)
    response = upload_qr(client, code, content, name)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert QRImage.objects.count() == before_rows
    assert stored_files(media) == before_files


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_qr_image_is_stored_and_served_as_what_its_bytes_are_never_by_its_name(client, operator, media, name):
    code = live_code_with(operator, [("A", 500, 0)])
    client.force_login(operator)
    assert upload_qr(client, code, png(), name).status_code == 302
    image = QRImage.objects.latest("pk")
    assert re.fullmatch(rf"livecodes/qr/e{image.entry_id}(_\w+)?\.png", image.image.name), image.image.name
    assert stored_files(media) == {i.image.name for i in QRImage.objects.all()}  # nothing lands elsewhere
    client.logout()
    served = client.get(f"/j/vip/qr/{image.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r'inline; filename="e\d+(_\w+)?\.png"', served["Content-Disposition"])
    assert body(served) == png()
    assert served_by_extension(media, image.image.name)["Content-Type"] == "image/png"


def test_a_png_carrying_a_page_is_only_ever_sent_as_an_image(client, operator, media):
    """A real PNG with a script after its end is a PNG (it is kept), but nothing may send it as a page."""
    code = live_code_with(operator, [("A", 500, 0)])
    client.force_login(operator)
    assert upload_qr(client, code, png_then_html(), "evil.html").status_code == 302
    image = QRImage.objects.latest("pk")
    assert image.image.name.endswith(".png")
    client.logout()
    served = client.get(f"/j/vip/qr/{image.pk}/")
    assert (served["Content-Type"], served["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert served_by_extension(media, image.image.name)["Content-Type"] == "image/png"


def contact_form(code, **changes) -> dict:
    return {"slug": code.slug, "name": code.name, "owner": code.owner_id, "margin": code.margin,
            "contact_text": code.contact_text, "is_active": "on", **changes}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_contact_image_is_refused_beside_its_field(client, operator, media, name):
    code = live_code_with(operator, [("A", 500, 200)])
    before = stored_files(media)
    content, reason = REFUSED[name]
    client.force_login(operator)
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = client.post(reverse("livecodes:livecode-edit", args=[code.pk]), contact_form(code, contact_image=upload))
    assert reason in " ".join(response.context["form"].errors.get("contact_image", []))
    assert not LiveCode.objects.get(pk=code.pk).contact_image
    assert stored_files(media) == before


@pytest.mark.parametrize("name", ["evil.html", "..\\..\\contact.svg", "<img src=x onerror=alert(1)>.png"])
def test_the_contact_image_is_stored_and_served_as_what_its_bytes_are(client, operator, media, name):
    code = live_code_with(operator, [("A", 500, 200)])  # full: the page shows the contact
    client.force_login(operator)
    upload = SimpleUploadedFile(name, png_then_html(), content_type="text/html")
    response = client.post(reverse("livecodes:livecode-edit", args=[code.pk]), contact_form(code, contact_image=upload))
    assert response.status_code == 302
    stored = LiveCode.objects.get(pk=code.pk).contact_image.name
    assert re.fullmatch(r"livecodes/contact/contact(_\w+)?\.png", stored), stored
    client.logout()
    assert "/j/vip/contact/" in client.get("/j/vip/").content.decode()
    served = client.get("/j/vip/contact/")
    assert (served["Content-Type"], served["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert served_by_extension(media, stored)["Content-Type"] == "image/png"
