import pytest


@pytest.fixture(autouse=True)
def _fresh_store(fresh_analytics_store):
    """Each analytics test starts from an empty store."""
    return fresh_analytics_store
