"""Segments everywhere: each member's segment per group on the member pages, the segment filter of the members
list, and saved selections ("every dormant member of the Chengdu VIP group who bought ≥ ¥5,000")."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Group, Member, SavedSelection
from members.selections import selection_members
from members.selectors import pk_in
from tests.conftest import PASSWORD
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, OrderFactory

MEMBERS = reverse("members:member-list")
SELECTIONS = reverse("members:selection-list")
CREATE = reverse("members:selection-create")


pytestmark = pytest.mark.usefixtures("fresh_analytics_store")


def shown_ids(response) -> set[str]:
    return set(re.findall(r'<span class="co-cell-sub ms-1">(M[\w-]+)</span>', response.content.decode()))


@pytest.fixture
def world(db):
    """Segments now (window 28 days, core = 2+ orders in it), worked out by hand:

    | member | cumulative | 成都VIP1 (super-user tier) | 成都日常群 (daily tier) |
    | M-A    | ¥6,000     | core (2 orders this month)  |                         |
    | M-B    | ¥8,000     | dormant (bought 60 days ago)| core                    |
    | M-C    | ¥9,000     | potential (never bought)    |                         |
    | M-D    | ¥1,000     | dormant                     |                         |
    | M-E    | ¥7,000     |                             | dormant                 |
    """
    now = timezone.now()
    vip = GroupFactory(code="CD-VIP1", name="成都VIP1", tier=Group.Tier.SUPER_USER)
    daily = GroupFactory(code="CD-DAILY", name="成都日常群", tier=Group.Tier.DAILY)
    members = {
        key: MemberFactory(external_id=f"M-{key}", cumulative_purchase=Decimal(amount))
        for key, amount in {"A": "6000", "B": "8000", "C": "9000", "D": "1000", "E": "7000"}.items()
    }
    joined = now - timedelta(days=200)
    for key in "ABCD":
        MembershipFactory(member=members[key], group=vip, joined_at=joined)
    for key in "BE":
        MembershipFactory(member=members[key], group=daily, joined_at=joined)

    def buy(key, group, days_ago):
        OrderFactory(member=members[key], group=group, placed_at=now - timedelta(days=days_ago))

    buy("A", vip, 3), buy("A", vip, 10)
    buy("B", vip, 60)
    buy("B", daily, 2), buy("B", daily, 5)
    buy("D", vip, 90)
    buy("E", daily, 45)
    return {"vip": vip, "daily": daily, **members}


def login(client, user):
    client.login(username=user.username, password=PASSWORD)


def test_segment_filter_is_per_group_and_combines_with_the_others(client, world, operator):
    login(client, operator)
    vip = world["vip"].pk
    assert shown_ids(client.get(MEMBERS, {"group": vip, "segment": "dormant"})) == {"M-B", "M-D"}
    # The sentence: dormant in the Chengdu VIP group and bought ≥ ¥5,000.
    assert shown_ids(client.get(MEMBERS, {"group": vip, "segment": "dormant", "min_purchase": 5000})) == {"M-B"}
    assert shown_ids(client.get(MEMBERS, {"group": vip, "segment": "potential"})) == {"M-C"}
    assert shown_ids(client.get(MEMBERS, {"group": world["daily"].pk, "segment": "core"})) == {"M-B"}
    # Without a group: in any group (B is dormant in one, core in the other, so both lists hold B).
    assert shown_ids(client.get(MEMBERS, {"segment": "dormant"})) == {"M-B", "M-D", "M-E"}
    assert shown_ids(client.get(MEMBERS, {"segment": "core"})) == {"M-A", "M-B"}
    # With a tier: in the groups of that tier only.
    assert shown_ids(client.get(MEMBERS, {"tier": "daily", "segment": "dormant"})) == {"M-E"}
    assert shown_ids(client.get(MEMBERS, {"tier": "super_user", "segment": "dormant"})) == {"M-B", "M-D"}


def test_an_unknown_segment_is_flagged_like_any_invalid_filter(client, world, operator):
    login(client, operator)
    response = client.get(MEMBERS, {"segment": "vip"})
    assert response.status_code == 200
    assert "segment" in response.context["filter"].errors
    assert 'class="form-select is-invalid"' in response.content.decode()


def test_member_pages_show_the_segment_in_each_group_in_chinese(client, world, operator):
    login(client, operator)
    html = client.get(reverse("members:member-detail", args=[world["B"].pk])).content.decode()
    cells = re.findall(r'data-testid="membership-segment">(.*?)</td>', html)
    assert sorted(re.sub(r"<[^>]+>", "", c) for c in cells) == ["主力客户", "沉睡客户"]
    html = client.get(MEMBERS, {"group": world["vip"].pk}).content.decode()
    assert '成都VIP1 · <span data-segment="potential">潜在客户</span>' in html
    assert '成都日常群 · <span data-segment="core">主力客户</span>' in html


def test_segment_features_step_aside_without_the_provider(client, world, operator, segment_provider):
    segment_provider(None)
    login(client, operator)
    response = client.get(MEMBERS)
    assert response.status_code == 200
    assert 'name="segment"' not in response.content.decode()
    html = client.get(reverse("members:member-detail", args=[world["B"].pk])).content.decode()
    assert "沉睡客户" not in html


def test_pk_in_takes_more_ids_than_sqlite_takes_parameters(db):
    members = MemberFactory.create_batch(3)
    ids = [m.pk for m in members] + list(range(10**6, 10**6 + 40_000))
    assert set(Member.objects.filter(pk_in(ids)).values_list("pk", flat=True)) == {m.pk for m in members}


def test_save_a_selection_and_open_it_later_with_whoever_matches_then(client, world, operator):
    login(client, operator)
    query = f"group={world['vip'].pk}&segment=dormant&min_purchase=5000&page=3&utm=x"
    response = client.post(CREATE, {"name": "成都VIP沉睡≥5000", "query": query})
    selection = SavedSelection.objects.get()
    assert selection.query == f"group={world['vip'].pk}&segment=dormant&min_purchase=5000"
    assert selection.created_by == operator
    assert response.status_code == 302
    assert response["Location"].endswith(f"?{selection.query}")
    assert list(selection_members(selection).values_list("external_id", flat=True)) == ["M-B"]

    html = client.get(SELECTIONS).content.decode()
    assert "成都VIP沉睡≥5000" in html
    assert re.search(r'data-testid="selection-count">1<', html)
    assert "分层: 沉睡客户" in html
    assert "群: 成都VIP1" in html
    assert "累计采购 ≥: ¥5,000" in html
    # The members list offers it by name.
    assert "成都VIP沉睡≥5000" in client.get(MEMBERS).content.decode()

    # B buys twice in the VIP group: no longer dormant, so the selection no longer holds B.
    for days in (1, 2):
        OrderFactory(member=world["B"], group=world["vip"], placed_at=timezone.now() - timedelta(days=days))
    assert list(selection_members(selection)) == []
    assert re.search(r'data-testid="selection-count">0<', client.get(SELECTIONS).content.decode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "query": "segment=core"}, "名称"),
        ({"name": "x", "query": "sort=name"}, "至少"),
        ({"name": "x", "query": "min_purchase=abc"}, "累计采购"),
        ({"name": "x", "query": "segment=vip"}, "分层"),
    ],
)
def test_a_selection_that_cannot_be_saved_says_why_and_saves_nothing(client, world, operator, data, message):
    login(client, operator)
    response = client.post(CREATE, data, follow=True)
    assert not SavedSelection.objects.exists()
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1, errors
    assert message in errors[0], errors


def test_a_taken_name_is_refused_not_overwritten(client, world, operator):
    login(client, operator)
    client.post(CREATE, {"name": "VIP core", "query": "segment=core"})
    response = client.post(CREATE, {"name": "VIP core", "query": "segment=dormant"}, follow=True)
    assert SavedSelection.objects.get().query == "segment=core"
    assert "已存在" in str(list(response.context["messages"])[-1])


def test_who_may_save_open_and_delete(client, world, operator, agent, manager, admin_user):
    selection = SavedSelection.objects.create(name="核心", query="segment=core", created_by=operator)
    login(client, agent)
    assert client.get(SELECTIONS).status_code == 200  # agents open them (call lists come from them)
    assert client.post(CREATE, {"name": "mine", "query": "segment=core"}).status_code == 403
    assert client.post(reverse("members:selection-delete", args=[selection.pk])).status_code == 403
    login(client, manager)
    assert client.post(CREATE, {"name": "经理的", "query": "segment=new"}).status_code == 302
    assert client.post(reverse("members:selection-delete", args=[selection.pk])).status_code == 403
    login(client, operator)
    assert client.post(reverse("members:selection-delete", args=[selection.pk])).status_code == 302
    assert not SavedSelection.objects.filter(pk=selection.pk).exists()
    login(client, admin_user)
    other = SavedSelection.objects.get(name="经理的")
    response = client.post(reverse("members:selection-delete", args=[other.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == SELECTIONS
    assert not SavedSelection.objects.exists()
