import pytest

from analytics import store


@pytest.fixture(autouse=True)
def _fresh_store(settings):
    """Each test starts from an empty in-memory store and writes no snapshot file (unless it asks to)."""
    settings.ANALYTICS_SNAPSHOT_DIR = None
    store.clear()
    yield
    store.clear()
