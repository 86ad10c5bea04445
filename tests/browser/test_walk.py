"""Issue 15, acceptance 1: each role walks every page of its menu, and the main pages those link to, in a real
Chromium at 1440×900 and at 390×844, with the demo loaded (the data a team sees on its first day).

The pages come from the menu itself (`communityops.navigation`, the role × page matrix), so a page added to
the menu joins the walk. From each menu page the walk follows the first link matching the detail patterns
below (a group, a member, a campaign and its live page, a call list, a live code, ...). A page fails on: a
console or page error, a 4xx/5xx answer (the page or anything it loads), a template placeholder left in the
visible text (`{name}`, `{{`, `{%`), an English word outside ALLOWED_WORDS while the UI is Chinese, or a
page wider than the phone at 390 px. Every page's screenshot at both sizes goes to the browser artifacts
(walk/<role>/<page>-<width>.png), failing or not.

One browser for the whole module; each role logs in once and its phone context reuses the login's cookies. The
demo is loaded once for the module and served by a live server of the module's own (see `demo_site`); each
role's walk runs in a transaction rolled back at its end, so every role walks the demo as loaded.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from pytest_django.live_server_helper import LiveServer

from communityops.navigation import admin_menu_for, menu_for
from core.roles import Role
from demo import loader as demo_loader
from demo.story import DEMO_USERS
from tests.browser.conftest import replay_data_migrations

# Each walk in a transaction rolled back when it ends (the live server shares the test's connection to the in-memory
# test database): what one role's walk writes (its login, say) is gone before the next role's.
pytestmark = pytest.mark.django_db

TIMEOUT_MS = 20_000
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# Latin words that are the team's own vocabulary in Chinese, so the UI uses them as they are.
ALLOWED_WORDS = {
    "GMV",  # the sales figure every report names so
    "AOV",  # 客单价's abbreviation in the metrics' definitions
    "SKU",  # product codes
    "CSV",  # file formats offered for download
    "XLSX",
    "PDF",
    "PNG",
    "SVG",
    "API",  # the page linking the API documentation
    "KOC",  # the key-opinion-customer groups, named so in the trade
    "VIP",  # the VIP groups' tier, in their names as well
    "ID",  # WeChat IDs
    "ISO",  # the ISO week shown beside a week's days
    "QR",  # QR codes on the live-code pages
    "SOP",  # the standard operating procedure of a playbook
    "QQ",  # a group platform, a brand name (腾讯QQ) written so in Chinese
    "Excel",  # the program operators save their files with, named so in Chinese
    "Ctrl",  # a key, as printed on the keyboard
    "Redis",  # a server's name on the system health page (admins only)
}
ALLOWED_UPPER = {word.upper() for word in ALLOWED_WORDS}  # a CSS text-transform may capitalise them

# From a menu page, the detail pages to open: the first link on the pages seen so far whose path matches.
DETAILS: dict[str, tuple[str, ...]] = {
    "groups": (r"/groups/\d+/", r"/groups/\d+/rules/", r"/groups/legacy/"),
    "members": (r"/members/\d+/", r"/members/selections/", r"/members/codebook/"),
    "rules": (r"/groups/\d+/rules/",),
    "calls": (r"/calls/tasks/\d+/",),
    "outreach": (r"/call-lists/\d+/", r"/scripts/", r"/questionnaires/", r"/questionnaires/\d+/", r"/phone-audit/"),
    "campaigns": (
        r"/campaigns/\d+/",
        r"/campaigns/\d+/live/",
        r"/playbooks/",
        r"/playbooks/\d+/",
        r"/coupons/",
        r"/products/",
    ),
    "livecodes": (r"/live-codes/\d+/", r"/live-codes/rewards/"),
    "reminders": (r"/reminders/calendar/",),
    "analytics": (r"/analytics/groups/[^/]+/", r"/analytics/platform/", r"/analytics/decomposition/"),
    "imports": (r"/imports/\d+/",),
    "users": (r"/users/\d+/",),
}
# Django's own admin is Django's UI, not ours (its model names are our code's); the rest of the user menu walks.
SKIPPED_MENU = {"admin"}

# The visible text, less what <code> and <kbd> show: literal syntax a user types (a script's {name}, an import
# file's column headers, a key), which is neither an unfilled placeholder nor a word to translate.
VISIBLE_TEXT = """() => {
  const literal = [...document.querySelectorAll("code, kbd")].map(el => [el, el.style.display]);
  literal.forEach(([el]) => { el.style.display = "none"; });
  const text = document.body.innerText;
  literal.forEach(([el, display]) => { el.style.display = display; });
  return text;
}"""
PAGE_WIDTH = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
PLACEHOLDER = re.compile(r"\{\{|\{%|%\}|\}\}|\{[A-Za-z_][A-Za-z0-9_.]*\}")
# Two letters or more: a single capital is a code (tag V, grade A, option B, 维生素C), not a word.
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Data, not UI words: addresses, e-mail, codes with digits or separators (CD-VIP, VIP-20261105, daily_x).
DATA_TOKEN = re.compile(r"^\S*(?:[/@_.:=?]|\d|[A-Za-z]-[A-Za-z0-9])\S*$")


@dataclass
class Walk:
    """What went wrong on the pages of one role, one line per problem."""

    base: str
    problems: list[str] = field(default_factory=list)
    current: str = ""

    def watch(self, page, size: str):
        netloc = urlparse(self.base).netloc

        def on_response(response):
            if urlparse(response.url).netloc == netloc and response.status >= 400:
                self.problems.append(f"{self.current} @{size}: {response.status} {response.url}")

        def on_console(message):
            if message.type == "error":
                self.problems.append(f"{self.current} @{size}: console error: {message.text}")

        def on_failed(request):
            if "ERR_ABORTED" not in (request.failure or ""):
                self.problems.append(f"{self.current} @{size}: request failed {request.url} ({request.failure})")

        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{self.current} @{size}: page error: {error}"))
        page.on("requestfailed", on_failed)


def english_words(text: str, data_words: set[str]) -> set[str]:
    words = set()
    for token in text.split():
        if DATA_TOKEN.match(token):
            continue
        for word in LATIN_WORD.findall(token):
            if word.upper() not in ALLOWED_UPPER and word.lower() not in data_words:
                words.add(word)
    return words


def demo_data_words() -> set[str]:
    """Latin names that are data the demo typed in (login names), not words of the UI."""
    return {name.lower() for name in User.objects.values_list("username", flat=True)}


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


def check_page(page, walk: Walk, size: str, data_words: set[str]):
    text = page.evaluate(VISIBLE_TEXT)
    for match in sorted(set(PLACEHOLDER.findall(text))):
        walk.problems.append(f"{walk.current} @{size}: unrendered placeholder {match!r}")
    words = english_words(text, data_words)
    if words:
        walk.problems.append(f"{walk.current} @{size}: English words {sorted(words)}")
    if size == "390":
        scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
        if scroll_width > inner_width:
            walk.problems.append(f"{walk.current} @{size}: scrolls sideways ({scroll_width} px > {inner_width} px)")


def open_page(page, url: str):
    response = page.goto(url, wait_until="load")
    settle(page)
    return response


def settle(page):
    """Charts draw and htmx swaps in the frames after load; an error there belongs to this page."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


@pytest.fixture
def roles():
    """Not the browser tests' own (a transactional database per test, emptied after each): `demo_site` gives the
    walks their data."""


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    """The demo loaded and committed once for the module, and a live server of the module's own serving it.

    pytest-django's `live_server` comes with a transactional database per test, which empties the tables after
    each, so each role loaded the demo again. Here the database is the module's until its last walk ends; then it
    is emptied and the data migrations' rows are put back, as the browser tests leave it (tests/browser/conftest.py).
    """
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)  # whatever the tests before left
        replay_data_migrations()
        started = time.perf_counter()
        demo_loader.demo_load(log=lambda line: None)
        load_seconds = time.perf_counter() - started
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()  # what pytest-django does around each live_server test
        try:
            yield {"url": server.url, "load_seconds": load_seconds}
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            replay_data_migrations()


def walk_role(browser, base: str, role: str, artifacts) -> tuple[Walk, list[str]]:
    login = next(user for user in DEMO_USERS if user.role == role)
    user = User.objects.get(username=login.username)
    data_words = demo_data_words()
    walk = Walk(base)
    folder = artifacts / "walk" / role
    shutil.rmtree(folder, ignore_errors=True)  # only this run's pages (ids change from run to run)
    folder.mkdir(parents=True)

    desktop_context = browser.new_context(locale="zh-CN", viewport=DESKTOP)
    desktop_context.set_default_timeout(TIMEOUT_MS)
    desktop = desktop_context.new_page()
    walk.watch(desktop, "1440")
    walk.current = "login"
    desktop.goto(base + reverse("login"))
    desktop.fill("#id_username", login.username)
    desktop.fill("#id_password", login.password)
    with desktop.expect_navigation():
        desktop.click("[data-testid=login-submit]")
    assert desktop.evaluate("document.documentElement.lang").startswith("zh")

    phone_context = browser.new_context(
        locale="zh-CN", viewport=PHONE, is_mobile=True, storage_state=desktop_context.storage_state()
    )
    phone_context.set_default_timeout(TIMEOUT_MS)
    phone = phone_context.new_page()
    walk.watch(phone, "390")

    menu = [entry for entry in menu_for(user) + admin_menu_for(user) if entry.key not in SKIPPED_MENU]
    menu_hrefs = desktop.eval_on_selector_all("a[data-nav]", "els => els.map(e => e.getAttribute('href'))")
    for entry in menu:
        assert entry.url in menu_hrefs, f"{role}: the menu lacks {entry.url} the matrix gives it"
    visited: list[str] = []

    def visit(path: str):
        walk.current = path
        visited.append(path)
        for page, size in ((desktop, "1440"), (phone, "390")):
            response = open_page(page, base + path)
            if response is None or response.status != 200:
                walk.problems.append(f"{path} @{size}: answered {response.status if response else 'nothing'}")
                continue
            check_page(page, walk, size, data_words)
            page.screenshot(path=str(folder / f"{slug(path)}-{size}.png"), full_page=True)

    for entry in menu:
        visit(entry.url)
        seen_links: list[str] = []
        seen_links += desktop.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for pattern in DETAILS.get(entry.key, ()):
            target = re.compile(rf"^{pattern}$")
            path = next((urlparse(h).path for h in seen_links if target.match(urlparse(h).path or "")), None)
            if path is None or path in visited:
                continue
            visit(path)
            seen_links += desktop.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    desktop_context.close()
    phone_context.close()
    return walk, visited


EXPECTED_DETAILS = {
    # role: detail pages the walk must reach (a missing link is a page the role can no longer get to)
    Role.OPERATOR: [r"/groups/\d+/", r"/members/\d+/", r"/campaigns/\d+/", r"/call-lists/\d+/", r"/live-codes/\d+/"],
    Role.AGENT: [r"/groups/\d+/", r"/members/\d+/"],
    Role.MANAGER: [r"/groups/\d+/", r"/members/\d+/", r"/campaigns/\d+/", r"/call-lists/\d+/", r"/live-codes/\d+/"],
    Role.ADMIN: [r"/groups/\d+/", r"/members/\d+/", r"/campaigns/\d+/", r"/users/\d+/", r"/live-codes/\d+/"],
}


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AGENT, Role.MANAGER, Role.ADMIN])
def test_browser_walk_every_page_of_the_role(browser, demo_site, artifacts, role):
    started = time.perf_counter()
    walk, visited = walk_role(browser, demo_site["url"], role, artifacts)
    print(
        f"\n{role}: {len(visited)} pages × 2 sizes in {time.perf_counter() - started:.1f}s "
        f"(demo loaded in {demo_site['load_seconds']:.1f}s): {' '.join(visited)}"
    )
    for pattern in EXPECTED_DETAILS[role]:
        assert any(re.match(rf"^{pattern}$", path) for path in visited), f"{role} reached no page like {pattern}"
    assert not walk.problems, "\n".join(walk.problems)
