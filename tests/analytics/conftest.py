import pytest

from tests.analytics.recap_demo import recap_demo  # noqa: F401 - a fixture for the recap tests


@pytest.fixture(autouse=True)
def _fresh_store(fresh_analytics_store):
    """Each analytics test starts from an empty store."""
    return fresh_analytics_store
