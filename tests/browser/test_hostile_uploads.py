"""In a real Chromium: files an outsider uploads as images never run script on our origin. Through the operator's
pages, an SVG with a script is refused; a real PNG carrying a page with a script (named evil.html) is kept, and
is then opened directly, as a member's phone or a curious visitor would: the live code's QR URL, the strike's
screenshot URL, and the media folder served by a plain file server (what a web server's /media/ location does).
Each is an image to the browser, no dialog opens and the page's title stays its own."""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from community.models import Rule, Violation
from core.roles import Role
from livecodes.models import QRImage
from tests.browser.test_campaign_reminders import TIMEOUT_MS, log_in
from tests.community.factories import group_with_rules
from tests.conftest import make_user
from tests.hostile_files import png_then_html, svg_with_script
from tests.livecodes.helpers import live_code_with

pytestmark = pytest.mark.django_db(transaction=True)

LOOK = "() => ({type: document.contentType, title: document.title, images: document.images.length})"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def media_server(settings, tmp_path):
    """The media folder served by extension, by Python's own file server."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(settings.MEDIA_ROOT)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield settings.MEDIA_ROOT, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def new_page(browser, dialogs: list):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return context, page


def assert_only_an_image(page, url: str, dialogs: list) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    looked = page.evaluate(LOOK)
    assert looked["type"].startswith("image/"), (url, looked)
    assert looked["title"] != "pwned", url
    assert dialogs == [], url


def test_browser_hostile_uploads_never_run_script_on_our_origin(browser, live_server, media_server, settings):
    settings.LIVECODE_REDIS_URL = ""
    media, media_url = media_server
    operator = make_user("yunying", Role.OPERATOR)
    code = live_code_with(operator, [("VIP1", 500, 0)])
    entry = code.entries.get()
    group, memberships = group_with_rules(owner=operator, name="成都VIP①")
    dialogs: list = []
    context, page = new_page(browser, dialogs)
    try:
        log_in(page, live_server.url, operator.username)
        detail = live_server.url + reverse("livecodes:livecode-detail", args=[code.pk])
        for name, content in (("qr.svg", svg_with_script()), ("evil.html", png_then_html())):
            page.goto(detail)
            form = page.locator("[data-testid=image-upload]")
            form.locator("input[type=file]").set_input_files({"name": name, "mimeType": "image/png", "buffer": content})
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
            if name == "qr.svg":
                assert "不是图片" in page.locator("[data-testid=image-upload]").inner_text()
        assert page.locator(".alert-success").count() == 1
        image = QRImage.objects.filter(entry=entry).latest("pk")
        assert image.image.name.endswith(".png")

        page.goto(live_server.url + reverse("members:group-detail", args=[group.pk]))
        form = page.locator("[data-testid=violation-form]")
        form.locator("select[name=membership]").select_option(str(memberships[0].pk))
        form.locator("summary").click()
        form.locator("input[name=screenshot]").set_input_files(
            {"name": "evil.html", "mimeType": "text/html", "buffer": png_then_html()}
        )
        vote = Rule.objects.get(group=group, template_key="vote")
        with page.expect_navigation():
            form.locator(f"button[name=rule][value='{vote.pk}']").click()
        violation = Violation.objects.get()
        assert_only_an_image(page, live_server.url + reverse("community:violation-screenshot", args=[violation.pk]),
                             dialogs)  # fmt: skip
    finally:
        context.close()

    context, page = new_page(browser, dialogs)  # a member's phone: no login
    try:
        page.goto(f"{live_server.url}/j/vip/")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => document.querySelector('img.co-livecode-qr').naturalWidth") > 0
        assert dialogs == []
        assert_only_an_image(page, f"{live_server.url}/j/vip/qr/{image.pk}/", dialogs)
        stored = sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())
        assert stored
        assert all(name.endswith(".png") for name in stored), stored
        for name in stored:
            assert_only_an_image(page, media_url + name, dialogs)
    finally:
        context.close()
