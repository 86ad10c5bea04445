"""The numbers pages: who may open them, what they show, the exports."""

import io

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from tests.conftest import PASSWORD

from .story import build_story

PAGES = [
    "/analytics/",
    "/analytics/?week=2026-W02",
    "/analytics/?start=2026-01-05&until=2026-01-11",
    "/analytics/?week=2026-W02&sort=aov&order=asc",
    "/analytics/platform/?week=2026-W02",
    "/analytics/decomposition/?after-week=2026-W02",
    "/analytics/decomposition/?after-week=2026-W02&group=CD-VIP",
    "/analytics/decomposition/?after-start=2026-01-05&after-until=2026-01-11&before-start=2025-12-01&before-until=2025-12-31",
    "/analytics/groups/CD-VIP/?week=2026-W02",
    "/analytics/groups/EMPTY/?week=2026-W02&weeks=8",
]


@pytest.fixture
def story(db):
    return build_story()


def login(client, user):
    client.login(username=user.username, password=PASSWORD)


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ["manager", "operator", "admin_user"])
def test_pages_open_for_the_roles_that_read_numbers(client, story, url, role, request):
    login(client, request.getfixturevalue(role))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # Each page shows the story's numbers, not an empty shell: the group it is about (or the story's VIP
    # group among the others), and money in yuan.
    marker = "EMPTY" if "/EMPTY/" in url else 'data-testid="high-value-groups"' if "platform" in url else "CD-VIP"
    assert marker in html
    assert "¥" in html


@pytest.mark.parametrize("url", ["/analytics/", "/analytics/platform/", "/analytics/groups/CD-VIP/"])
def test_agents_get_403(client, story, agent, url):
    login(client, agent)
    assert client.get(url).status_code == 403


def test_unknown_group_is_404(client, story, manager):
    login(client, manager)
    assert client.get("/analytics/groups/NOPE/").status_code == 404


def test_ranking_shows_the_week_and_a_dash_for_empty_ratios(client, story, manager):
    login(client, manager)
    html = client.get("/analytics/?week=2026-W02").content.decode()
    assert "¥775.50" in html  # the platform row
    assert "¥620.00" in html  # CD-VIP
    row = html[html.index('data-group="EMPTY"') :]
    row = row[: row.index("</tr>")]
    assert "—" in row


def test_ranking_sorts(client, story, manager):
    login(client, manager)
    html = client.get("/analytics/?week=2026-W02&sort=gmv&order=desc").content.decode()
    assert html.index('data-group="CD-VIP"') < html.index('data-group="CD-DAILY"') < html.index('data-group="EMPTY"')
    html = client.get("/analytics/?week=2026-W02&sort=gmv&order=asc").content.decode()
    assert html.index('data-group="EMPTY"') < html.index('data-group="CD-DAILY"') < html.index('data-group="CD-VIP"')
    # An empty ratio sorts last both ways.
    for order in ("asc", "desc"):
        html = client.get(f"/analytics/?week=2026-W02&sort=aov&order={order}").content.decode()
        assert html.index('data-group="CD-VIP"') < html.index('data-group="EMPTY"')


def test_ranking_exports_csv_and_xlsx(client, story, manager):
    login(client, manager)
    response = client.get("/analytics/?week=2026-W02&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "CD-VIP,成都VIP群,620.00,4,3,1,2.0000,250.00,500.00,120.00" in text
    response = client.get("/analytics/?week=2026-W02&export=xlsx")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    flat = [r for r in rows if r and r[0] == "CD-VIP"]
    assert flat[0][2] == 620.0
    assert flat[0][7] == 250.0


def test_group_page_shows_the_sentence_matrix_and_forecast_assumption(client, story, manager):
    login(client, manager)
    html = client.get("/analytics/groups/CD-VIP/?week=2026-W02").content.decode()
    assert 'data-testid="transition-matrix"' in html
    assert 'data-testid="forecast-assumption"' in html
    assert "营业额 " in html  # the manager's sentence, in Chinese
    for chart in ("gmv", "factors", "segments", "rates", "forecast"):
        assert f'id="{chart}-data"' in html


def test_decomposition_page_sentence(client, story, manager):
    login(client, manager)
    html = client.get("/analytics/decomposition/?after-week=2026-W02").content.decode()
    assert 'data-testid="sentence"' in html
    assert "营业额 +¥" in html


def test_member_ids_in_segment(story):
    from analytics.selectors import member_ids_in_segment, member_segments
    from members import segments

    from .story import local

    a, b, c, d = story["members"]
    at = local(2026, 1, 12)
    assert member_ids_in_segment(group=story["vip"], segment="core", at=at) == [a.pk]
    assert member_ids_in_segment(group=story["vip"], segment="new", at=at) == [c.pk]
    assert segments.member_ids(group=story["daily"], segment="core", at=at) == [c.pk]  # through the registry
    assert member_segments(member=c, at=at) == {story["vip"].pk: "new", story["daily"].pk: "core"}
    assert member_segments(member=b, at=timezone.now()) == {}
    with pytest.raises(ValueError, match="unknown segment"):
        member_ids_in_segment(group=story["vip"], segment="vip", at=at)
