"""One definition of 在群人数 everywhere: the members who joined (status 在群). An invitation holds a place, so the
places taken are 在群 + 已邀请, and the group page says so beside the numbers (168 beside 172 / 500 no longer
reads as a contradiction)."""

import re

import pytest
from django.urls import reverse

from members.models import Membership
from tests.conftest import PASSWORD

from .factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    group = GroupFactory(name="成都VIP群", capacity=500)
    MembershipFactory.create_batch(5, group=group)
    MembershipFactory.create_batch(2, group=group, status=Membership.Status.INVITED)
    MembershipFactory(group=group, status=Membership.Status.LEFT)
    return group


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_group_page_counts_add_up_and_say_what_they_count(client, operator, group):
    client.login(username=operator.username, password=PASSWORD)
    html = client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    assert re.search(r'data-testid="group-active">5<', html)
    assert re.search(r'data-testid="group-capacity">7 / 500<', html)
    page = text(html)
    assert "在群人数 5 另有 2 人已邀请未入群 · 1 人已退群或被移出" in page
    assert "名额占用 7 / 500" in page
    assert "在群 5 + 已邀请 2（邀请也占名额）" in page


def test_groups_list_uses_the_same_words(client, operator, group):
    client.login(username=operator.username, password=PASSWORD)
    html = client.get(reverse("members:group-list")).content.decode()
    headers = re.findall(r"<th[^>]*>([^<]+)</th>", html)
    assert "在群人数" in headers
    assert "名额占用" in headers
    row = text(re.search(r"<tbody>.*?</tbody>", html, re.S).group(0))
    assert re.search(r"\b5 7 / 500\b", row), row  # 在群人数 5, then places 7 / 500
