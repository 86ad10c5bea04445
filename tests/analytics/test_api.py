"""/api/v1/metrics/ and /api/v1/rates/: the commands' documents, for the roles that read numbers."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import PASSWORD

from .story import WEEK_METRICS, WEEK_RATES, build_story


def command_doc(*args):
    out = StringIO()
    call_command(*args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def story(db):
    return build_story()


@pytest.mark.parametrize("role", ["manager", "operator", "admin_user"])
def test_metrics_api_serves_the_command_document(client, story, role, request):
    client.login(username=request.getfixturevalue(role).username, password=PASSWORD)
    response = client.get("/api/v1/metrics/", {"start": "2026-01-05", "end": "2026-01-12"})
    assert response.status_code == 200
    assert response.json() == WEEK_METRICS
    assert response.json() == command_doc("metrics", "--start", "2026-01-05", "--end", "2026-01-12")


def test_metrics_api_one_group(client, story, manager):
    client.login(username=manager.username, password=PASSWORD)
    response = client.get("/api/v1/metrics/", {"start": "2026-01-05", "end": "2026-01-12", "group": "CD-VIP"})
    assert response.json()["groups"] == [WEEK_METRICS["groups"][1]]


def test_rates_api_serves_the_command_document(client, story, manager):
    client.login(username=manager.username, password=PASSWORD)
    response = client.get("/api/v1/rates/", {"week": "2026-W02"})
    assert response.status_code == 200
    assert response.json() == WEEK_RATES == command_doc("rates", "--week", "2026-W02")


@pytest.mark.parametrize("url", ["/api/v1/metrics/?start=2026-01-05&end=2026-01-12", "/api/v1/rates/?week=2026-W02"])
def test_agents_get_403(client, story, agent, url):
    client.login(username=agent.username, password=PASSWORD)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/api/v1/metrics/?start=2026-01-05&end=2026-01-12", "/api/v1/rates/?week=2026-W02"])
def test_anonymous_users_are_not_served(client, story, url):
    response = client.get(url)
    assert response.status_code in (302, 401, 403)
    assert b"CD-VIP" not in response.content


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/metrics/?start=2026-01-12&end=2026-01-05", 400),
        ("/api/v1/metrics/?start=nope&end=2026-01-05", 400),
        ("/api/v1/metrics/?start=2026-01-05&end=2026-01-12&group=NOPE", 404),
        ("/api/v1/rates/?week=2026-W99", 400),
        ("/api/v1/rates/", 400),
    ],
)
def test_bad_requests(client, story, manager, url, status):
    client.login(username=manager.username, password=PASSWORD)
    assert client.get(url).status_code == status
