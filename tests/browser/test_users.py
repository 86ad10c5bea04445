"""Issue 15 in a real Chromium: an admin opens 用户 from the user menu, creates an agent with a generated password,
copies it from the page that shows it once, and that agent then logs in through the login form and lands on
their calls. A page error, a console error or a failed response fails the test. Screenshots go to the artifacts."""

from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.roles import Role, user_roles
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 20_000


def watch(page, problems: list[str]) -> None:
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}")
    )


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_admin_creates_an_agent_who_then_logs_in(browser, live_server, artifacts):
    make_user("dave", Role.ADMIN, is_staff=True)
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch(page, problems)

    log_in(page, live_server.url, "dave", PASSWORD)
    page.locator("[data-nav='users']").first.dispatch_event("click")  # the user menu's entry (a dropdown item)
    page.wait_for_url(f"**{reverse('accounts:user-list')}")
    page.click("[data-testid=user-create]")
    page.fill("#id_username", "kefu9")
    page.fill("#id_name", "李娜")
    page.check(f"input[name=roles][value={Role.AGENT}]")
    page.screenshot(path=str(artifacts / "users-create.png"), full_page=True)
    with page.expect_navigation():
        page.click("[data-testid=user-form] button[type=submit]")

    password = page.text_content("[data-testid=generated-password]").strip()
    page.click("[data-co-copy='#generated-password']")
    assert page.evaluate("navigator.clipboard.readText()") == password
    page.screenshot(path=str(artifacts / "users-password-shown.png"), full_page=True)
    user = get_user_model().objects.get(username="kefu9")
    assert user_roles(user) == {Role.AGENT}
    page.goto(live_server.url + reverse("accounts:user-list"))
    row = page.locator("[data-testid=user-row-kefu9]")
    assert "客服" in row.inner_text()
    assert password not in page.content()
    page.screenshot(path=str(artifacts / "users-list.png"), full_page=True)
    context.close()

    agent_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    agent_context.set_default_timeout(TIMEOUT_MS)
    agent_page = agent_context.new_page()
    watch(agent_page, problems)
    log_in(agent_page, live_server.url, "kefu9", password)
    assert urlparse(agent_page.url).path == reverse("outreach:my-calls")
    assert "李娜" in agent_page.content()
    agent_context.close()
    assert not problems, "\n".join(problems)
