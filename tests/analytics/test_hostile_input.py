"""Issue 11, item 9: absurd periods on the numbers pages are refused beside the field, never a 500, and the API
answers them (and any error) in JSON."""

import pytest

from tests.conftest import PASSWORD, Client

from .story import build_story


@pytest.fixture
def story(db):
    return build_story()


@pytest.fixture
def manager_client(manager):
    # Server errors come back as responses (what a browser would get), so a 500 is asserted, not raised.
    client = Client(raise_request_exception=False)
    assert client.login(username=manager.username, password=PASSWORD)
    return client


ABSURD_PAGES = [
    "/analytics/?start=0001-01-01&until=0001-01-01",
    "/analytics/?start=0001-01-01&until=9999-12-31",
    "/analytics/?start=9999-12-31&until=9999-12-31",
    "/analytics/?start=0001-01-01&until=0001-01-02&export=csv",
    "/analytics/decomposition/?after-start=0001-01-01&after-until=0001-01-01",
    "/analytics/decomposition/?after-start=2026-01-05&after-until=2026-01-11&before-start=0001-01-01&before-until=0001-01-07",
    "/analytics/platform/?week=9999-W52&weeks=99999999999",
    "/analytics/groups/CD-VIP/?week=0001-W01&weeks=-1",
]


@pytest.mark.parametrize("url", ABSURD_PAGES)
def test_absurd_periods_are_refused_beside_the_field(manager_client, story, url):
    response = manager_client.get(url)
    assert response.status_code == 200, url
    if "export" not in url:
        assert 'data-testid="field-error"' in response.content.decode(), "the page says why"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/metrics/?start=0001-01-01&end=0001-01-02",
        "/api/v1/metrics/?start=2026-01-05&end=9999-12-31",
        "/api/v1/rates/?week=9999-W52",
        "/api/v1/rates/?week=0001-W01",
        "/api/v1/rates/?week=2026-W02&group=" + "x" * 1000,
    ],
)
def test_api_refuses_absurd_periods_in_json(manager_client, story, url):
    response = manager_client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rates/?week=9999",  # a 400
        "/api/v1/no-such-endpoint/",  # a 404 outside any API view
        "/api/v1/rates/?week=9999&format=api",  # the browsable (HTML) renderer
    ],
)
def test_api_errors_are_json_even_for_a_browser(manager_client, story, url):
    response = manager_client.get(url, headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json() or "week" in response.json()
