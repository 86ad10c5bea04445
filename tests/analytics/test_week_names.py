"""Managers read weeks by their days ('1月5日–11日', the ISO week second), the pickers offer the week that is
running, the transition table's corner is Chinese, and the group page says why its two core-member counts
differ."""

import re

import pytest
from django.utils import timezone

from core.dates import current_week_monday, week_label, week_name
from tests.conftest import PASSWORD

from .story import build_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    build_story()
    client.login(username=manager.username, password=PASSWORD)
    return client


def options(html: str) -> dict[str, str]:
    select = re.search(r'<select name="week".*?</select>', html, re.S).group(0)
    return dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select))


@pytest.mark.parametrize("url", ["/analytics/", "/analytics/groups/CD-VIP/", "/analytics/platform/"])
def test_week_pickers_name_weeks_by_their_days_and_offer_the_current_week(manager_client, url):
    html = manager_client.get(url).content.decode()
    choices = options(html)
    current = current_week_monday(timezone.now())
    assert choices[week_label(current)] == f"{week_name(current)} · {week_label(current)}（本周，进行中）"
    assert all(re.match(r"^\d+月\d+日–", text) or re.match(r"^\d{4}年", text) for text in choices.values())


def test_ranking_title_shows_the_days_first(manager_client):
    html = manager_client.get("/analytics/?week=2026-W02").content.decode()
    title = re.search(r'<h2 class="page-title">(.*?)</h2>', html, re.S).group(1)
    assert "1月5日–11日" in title
    assert title.index("1月5日–11日") < title.index("2026-W02")


def test_group_page_names_both_core_counts_and_the_transition_corner(manager_client):
    html = manager_client.get("/analytics/groups/CD-VIP/?week=2026-W02").content.decode()
    assert "From" not in html
    assert "周初 ↓ · 周末 →" in html
    assert "主力客户（当周）" in html
    assert "主力客户分层（近 " in html
    note = re.sub(r"\s+", "", re.search(r'data-testid="core-week-definition">(.*?)</div>', html, re.S).group(1))
    assert "当周下单至少2次" in note
    assert "近30天" in note or "近28天" in note
    assert "两个人数不同" in note
    # Week rows and chart categories are named by their days.
    assert "2026-W01</td>" not in html
    assert "2025年12月29日–2026年1月4日" in html  # a week across two years names both


def test_recap_names_its_week_and_its_transition_corner(manager_client):
    html = manager_client.get("/analytics/recap/?period=2026-W02").content.decode()
    title = re.search(r'<h2 class="page-title">(.*?)</h2>', html, re.S).group(1)
    assert "1月5日–11日" in title
    assert "From" not in html
    assert "期初 ↓ · 期末 →" in html
