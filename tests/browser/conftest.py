"""Browser tests: Python Playwright driving Debian's Chromium (no browser download) against pytest-django's
live server. Every test here is marked `browser`; run them alone with `pytest -m browser`."""

import os
import shutil
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
    """The roles with every permission the data migrations give them (and the other rows they ship).

    Browser tests need committed data (the live server reads it from another thread), so they run in transactional
    tests, which empty the database after each test; flushing re-creates permissions (post_migrate) but not the
    roles. Serialized rollback cannot restore them here: Playwright's event loop gives the test its own connection
    object, without the serialized copy. So the data migrations run again (they are rerunnable by our rules).
    """
    replay_data_migrations()


# Transactional tests empty the database when they end, data-migration rows included (the roles, the shipped
# playbooks, ...). pytest-django runs them after the ordinary database tests, but before the tests that use the
# database without a marker (module fixtures through django_db_blocker, such as tests/communityops/test_demo.py).
# So after the last browser test, the data migrations are replayed (they are rerunnable by our rules).
_BLOCKER: list = []


@pytest.fixture(autouse=True, scope="session")
def _keep_db_blocker(django_db_blocker):
    _BLOCKER[:] = [django_db_blocker]


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def replay_data_migrations() -> None:
    """Run every RunPython operation of the applied migrations again, in order, with its historical models."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(connection)
    for key in _plan(loader):
        migration = loader.graph.nodes[key]
        operations = [op for op in migration.operations if isinstance(op, RunPython)]
        if not operations:
            continue
        state = loader.project_state(key, at_end=False)
        for operation in operations:
            with connection.schema_editor(atomic=True) as editor:
                operation.code(state.apps, editor)


def _plan(loader) -> list:
    """Every migration in dependency order (each leaf's plan lists its dependencies first)."""
    plan: list = []
    for leaf in loader.graph.leaf_nodes():
        for key in loader.graph.forwards_plan(leaf):
            if key not in plan:
                plan.append(key)
    return plan


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if nextitem is None or not _BLOCKER or not _is_transactional(item) or _is_transactional(nextitem):
        return
    with _BLOCKER[0].unblock():
        replay_data_migrations()
