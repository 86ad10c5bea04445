import pytest

from tests.analytics.recap_demo import recap_demo  # noqa: F401 - a fixture for the recap tests
from tests.campaigns.conftest import smtp_server  # noqa: F401 - the local SMTP server, for the Monday recap


@pytest.fixture(autouse=True)
def _fresh_store(fresh_analytics_store):
    """Each analytics test starts from an empty store."""
    return fresh_analytics_store
