"""Issue 11, item 10: the response headers (Content-Security-Policy, Cache-Control: no-store, the framing, sniffing,
referrer and HSTS headers), the pages without inline code a strict policy needs, the API schema and docs behind
the login, and the proxy's SSL header trusted only when settings say a proxy is in front."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob
from tests.campaigns.factories import ItemFactory
from tests.communityops.test_settings import run_manage
from tests.conftest import Client
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.fixture
def world():
    group = GroupFactory(code="G-VIP", name="成都药店VIP群")
    member = MemberFactory(name="赵敏", phone="+8613812348000")
    MembershipFactory(member=member, group=group)
    return {"member": member, "group": group}


@pytest.fixture
def import_errors_url(client, operator):
    """An import's errors as CSV: members' rows (an export of member data)."""
    client.force_login(operator)
    upload = SimpleUploadedFile("m.csv", "external_id,name,phone\nKH1,张三,12345\n".encode(), content_type="text/csv")
    client.post(reverse("imports:import-list"), {"kind": "members", "file": upload})
    client.logout()
    return reverse("imports:import-errors", args=[ImportJob.objects.get().pk])


def assert_security_headers(response, *, hsts: bool):
    assert policy(response) == POLICY
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if hsts:
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    else:
        assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("secure", [True, False], ids=["https", "http"])
def test_a_page_an_export_and_an_api_response_carry_the_security_headers(
    settings, world, manager, operator, import_errors_url, secure
):
    # Production's HSTS (the test settings turn it off for the plain-HTTP live server); it applies to HTTPS only.
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    client = Client()  # SecurityMiddleware reads the HSTS settings when a client's handler starts
    client.force_login(manager)
    page = client.get(reverse("members:group-detail", args=[world["group"].pk]), secure=secure)
    export = client.get("/analytics/?week=2026-W02&export=csv", secure=secure)
    api = client.get("/api/v1/metrics/", {"start": "2026-01-05", "end": "2026-01-12"}, secure=secure)
    client.force_login(operator)
    member_export = client.get(import_errors_url, secure=secure)
    for response in (page, export, api, member_export):
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert_security_headers(response, hsts=secure)
    assert export["Content-Type"].startswith("text/csv")
    assert member_export["Content-Type"].startswith("text/csv")
    assert api["Content-Type"] == "application/json"


def test_member_and_group_pages_lists_exports_and_the_api_are_not_stored(
    client, world, manager, operator, import_errors_url
):
    client.force_login(manager)
    urls = [
        reverse("members:member-list"),
        reverse("members:member-list") + "?q=赵",
        reverse("members:member-detail", args=[world["member"].pk]),
        reverse("members:group-list"),
        reverse("members:group-detail", args=[world["group"].pk]),
        "/analytics/?week=2026-W02",
        "/analytics/?week=2026-W02&export=xlsx",
        "/api/v1/rates/?week=2026-W02",
        "/api/v1/campaigns/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url
    # An htmx partial of the members list, and the member export of an import.
    partial = client.get(reverse("members:member-list"), {"q": "赵"}, HTTP_HX_REQUEST="true")
    assert "no-store" in partial.headers["Cache-Control"]
    client.force_login(operator)
    assert "no-store" in client.get(import_errors_url).headers["Cache-Control"]


def test_the_login_page_and_redirects_are_not_stored_either(client):
    # One rule for every response Django renders: the login page carries a CSRF token.
    assert "no-store" in client.get(reverse("login")).headers["Cache-Control"]
    assert "no-store" in client.get(reverse("members:member-list")).headers["Cache-Control"]


# --- no inline code in the templates: what the strict policy needs ---------------------------------------------

TEMPLATE_DIRS = [ROOT / "templates", *sorted(p for p in ROOT.glob("*/templates") if p.is_dir())]
COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)
INLINE = [
    # a <script> that is neither a file (src=) nor data (type="application/json")
    ("inline <script>", re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)),
    ("<style> element", re.compile(r"<style\b", re.I)),
    ("style= attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("inline event handler", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("htmx hx-on handler", re.compile(r"\shx-on", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
]


# Documents that are never an app page under the policy, so their CSS must be inside them: the recap written to a
# file and downloaded as an attachment (opened from disk, offline, with the vendored scripts inside), the HTML
# WeasyPrint lays out into the recap's PDF (in process, no browser), and the recap e-mail's HTML part (mail
# programs honour only inline styles).
STANDALONE_DOCUMENTS = {
    "analytics/templates/analytics/recap/file.html",
    "analytics/templates/analytics/recap/pdf.html",
    "analytics/templates/analytics/recap/email.html",
}


def test_templates_have_no_inline_script_style_or_event_handler():
    assert len(TEMPLATE_DIRS) >= 2, TEMPLATE_DIRS
    found = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if str(path.relative_to(ROOT)) in STANDALONE_DOCUMENTS:
                continue
            text = COMMENTS.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8"))
            for what, pattern in INLINE:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {match.group(0)}")
    assert not found, "\n".join(found)


def test_pages_with_bars_and_charts_render_without_inline_style(client, operator):
    """The bars that had style="width: …" are <progress> elements; the policy would drop the inline widths."""
    campaign = ItemFactory(supplier_cap=50).campaign  # a GMV target and a supplier cap: two bars
    client.force_login(operator)
    live = client.get(reverse("campaigns:campaign-live", args=[campaign.pk]))
    assert live.status_code == 200
    assert live.content.decode().count("<progress") == 2
    calendar = client.get(reverse("campaigns:reminder-calendar"))
    assert calendar.status_code == 200
    for response in (live, calendar):
        assert " style=" not in response.content.decode()


# --- the API schema and docs ------------------------------------------------------------------------------------


def test_the_api_schema_and_docs_are_not_public(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 403
    assert b"openapi" not in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith(reverse("login"))
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 302


def test_the_api_schema_and_docs_open_for_logged_in_users(client, agent):
    client.force_login(agent)
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"openapi:" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert_security_headers(docs, hsts=False)
    assert "/api/v1/docs/?script=" in html  # Swagger UI's start-up script is a file ...
    assert not re.search(r"<script>|<style", html)  # ... and nothing is inline
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# --- the proxy's SSL header -------------------------------------------------------------------------------------

PROBE = (
    "from django.conf import settings; from django.test import Client; "
    "r = Client().get('/members/', HTTP_X_FORWARDED_PROTO='https'); "
    "print(settings.SECURE_PROXY_SSL_HEADER, r.status_code, r.headers.get('Location'))"
)


def production(tmp_path, **extra):
    return {
        "SECRET_KEY": "a-real-production-secret-" + "x9Qz" * 12,
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_DEBUG": "0",
        "COMMUNITYOPS_VAR_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",  # production refuses the filesystem broker (issue 11)
        **extra,
    }


def test_without_a_proxy_a_clients_x_forwarded_proto_is_not_trusted(tmp_path):
    result = run_manage("shell", "-c", PROBE, **production(tmp_path))
    assert result.returncode == 0, result.stderr
    # Plain HTTP claiming to be HTTPS is still plain HTTP: redirected to HTTPS, not served.
    assert result.stdout.splitlines()[-1].split() == ["None", "301", "https://testserver/members/"]


def test_behind_a_proxy_its_x_forwarded_proto_is_trusted(tmp_path):
    result = run_manage("shell", "-c", PROBE, **production(tmp_path, BEHIND_PROXY="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "302",
        "/accounts/login/?next=/members/",
    ]


def test_check_deploy_is_clean_behind_a_proxy_too(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **production(tmp_path, ALLOWED_HOSTS="ops.example.com")
    )
    assert result.returncode == 0, result.stderr + result.stdout
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **production(tmp_path, ALLOWED_HOSTS="ops.example.com", BEHIND_PROXY="1"),
    )
    assert result.returncode == 0, result.stderr + result.stdout
