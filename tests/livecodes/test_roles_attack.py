"""Another role's URLs called directly: an agent or a manager POSTing to every operator endpoint of the live codes
with a valid CSRF token of their own session is refused and changes nothing (the operator, with the same requests,
is not: the requests are good ones); an anonymous visitor gets the login page everywhere but the member's pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils import timezone

from livecodes.models import Referral
from livecodes.services import referral_link_for
from members.models import Group, Member
from tests.hostile_files import png
from tests.role_attack import (
    assert_posts_go_through,
    assert_posts_refused,
    csrf_client,
    database_state,
    namespace_paths,
)

from .helpers import live_code_with

pytestmark = pytest.mark.django_db

PUBLIC = {"livecodes:public", "livecodes:referral-submit", "livecodes:qr-image", "livecodes:contact-image"}


@pytest.fixture(autouse=True)
def _no_redis(settings, tmp_path):
    settings.LIVECODE_REDIS_URL = ""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(operator):
    code = live_code_with(operator, [("A", 500, 0)])
    entry = code.entries.get()
    spare = Group.objects.create(code="B", name="B群", tier=Group.Tier.PRECISE)
    referrer = Member.objects.create(external_id="R1", phone="+8613800138001")
    newcomer = Member.objects.create(external_id="N1", phone="+8613800138002", referred_by=referrer)
    Referral.objects.create(referrer=referrer, phone=newcomer.phone, newcomer=newcomer, joined_at=timezone.now(),
                            reward="10.00", live_code=code)  # fmt: skip
    referral_link_for(referrer)
    return {"code": code, "entry": entry, "spare": spare, "referrer": referrer, "operator": operator}


def operator_posts(world) -> list[tuple[str, str, dict]]:
    """(name, url, a valid form) of every POST endpoint of the operator's live code pages."""
    code, entry = world["code"], world["entry"]
    live_code_form = {"slug": "vip", "name": "VIP", "owner": world["operator"].pk, "margin": 0, "is_active": "on"}
    image = SimpleUploadedFile("qr.png", png(), content_type="image/png")
    return [
        ("livecode-create", reverse("livecodes:livecode-create"), {**live_code_form, "slug": "new"}),
        ("livecode-edit", reverse("livecodes:livecode-edit", args=[code.pk]), {**live_code_form, "name": "taken"}),
        ("pool-add", reverse("livecodes:pool-add", args=[code.pk]), {"group": world["spare"].pk}),
        ("pool-toggle", reverse("livecodes:pool-toggle", args=[code.pk, entry.pk]), {}),
        ("image-upload", reverse("livecodes:image-upload", args=[code.pk, entry.pk]),
         {f"e{entry.pk}-image": image, f"e{entry.pk}-days": 7}),
        ("referral-link", reverse("livecodes:referral-link", args=[code.pk]), {"member": "R1"}),
        ("member-referral-link", reverse("livecodes:member-referral-link", args=[world["referrer"].pk]), {}),
        ("reward-pay", reverse("livecodes:reward-pay", args=[world["referrer"].pk]), {}),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_an_agent_or_manager_posting_to_the_operator_endpoints_is_refused_and_nothing_changes(request, world, role):
    assert_posts_refused(csrf_client(request.getfixturevalue(role)), operator_posts(world))


def test_the_same_posts_by_the_operator_go_through(world):
    # The referral links shown are ones that already exist: nothing to write.
    assert_posts_go_through(csrf_client(world["operator"]), operator_posts(world), statuses=(200, 302),
                            unchanged=("referral-link", "member-referral-link"))  # fmt: skip


def test_without_the_token_even_the_operator_is_refused(world):
    client = csrf_client(world["operator"])
    name, url, data = operator_posts(world)[2]
    before = database_state()
    response = client.post(url, data)
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert database_state() == before


def test_only_the_members_pages_are_open_without_a_login():
    views = {name: resolve(path).func for name, path in namespace_paths("livecodes").items()}
    assert {name for name, view in views.items() if getattr(view, "login_required", True) is False} == PUBLIC


@pytest.mark.parametrize(
    ("name", "path"), sorted((name, path) for name, path in namespace_paths("livecodes").items() if name not in PUBLIC)
)
def test_anonymous_gets_the_login_page_everywhere_but_the_members_pages(client, world, name, path):
    before = database_state()
    for response in (client.get(path), client.post(path, {"group": world["spare"].pk})):
        assert response.status_code == 302, (name, response.status_code)
        assert response["Location"].startswith(reverse("login")), name
    assert database_state() == before
