"""Browser tests: Python Playwright driving Debian's Chromium (no browser download) against pytest-django's
live server. Every test here is marked `browser`; run them alone with `pytest -m browser`."""

import os
import shutil
from importlib import import_module
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a running
# loop unless told it is fine (it is: the loop only drives the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", Path(__file__).parent / "artifacts"))


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (the test command does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The four roles, as the data migration makes them.

    Browser tests need committed data (the live server reads it from another thread), so they run in transactional
    tests, which empty the database after each test; flushing re-creates permissions (post_migrate) but not the
    roles. Serialized rollback cannot restore them here: Playwright's event loop gives the test its own connection
    object, without the serialized copy. So the roles are rebuilt from the migration's own table.
    """
    from django.contrib.auth.models import Group, Permission

    migration = import_module("members.migrations.0002_roles")
    for role, names in migration.ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if names is None:
            perms = Permission.objects.filter(content_type__app_label__in=migration.ADMIN_APPS)
        else:
            perms = [
                Permission.objects.get(content_type__app_label=app, codename=code)
                for app, code in (name.split(".") for name in names)
            ]
        group.permissions.set(perms)
