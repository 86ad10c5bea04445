"""The members and groups pages: each filter narrows the list, the count, pagination, htmx fragments,
details, query counts, and that every asset is served by the app itself."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Order
from core.roles import Role
from members.models import Group, Membership
from tests.conftest import make_user
from tests.members.factories import (
    CampaignFactory,
    GroupFactory,
    MemberFactory,
    MembershipFactory,
    OrderFactory,
    TagCategoryFactory,
    TagFactory,
)

MEMBERS = reverse("members:member-list")
GROUPS = reverse("members:group-list")


@pytest.fixture
def operator_client(client, db):
    client.force_login(make_user("op", Role.OPERATOR))
    return client


def shown_ids(response) -> set[str]:
    """External ids of the members in the list (each row links to its member with the id beside it)."""
    return set(re.findall(r'<span class="co-cell-sub ms-1">(M[\w-]+)</span>', response.content.decode()))


def count_of(response) -> int:
    return int(re.search(r'data-testid="result-count" data-count="(\d+)"', response.content.decode()).group(1))


@pytest.fixture
def world(db):
    now = timezone.now()
    concern = TagCategoryFactory(code="concern", name="关注点")
    acne, chronic, kids = (
        TagFactory(code="3", name="皮肤", category=concern),
        TagFactory(code="2", name="慢病", category=concern),
        TagFactory(code="4", name="儿科", category=concern),
    )
    daily = GroupFactory(code="G-DAILY", name="成都日常群", tier=Group.Tier.DAILY, region="四川/成都")
    flash = GroupFactory(code="G-FLASH", name="周四快闪群", tier=Group.Tier.FLASH, region="四川/绵阳")
    m = {
        "a": MemberFactory(
            external_id="M-A",
            name="王建国",
            store_name="康宁大药房",
            region="四川/成都",
            wechat_nickname="老王",
            cumulative_purchase=Decimal("50000.00"),
            last_active_at=now - timedelta(days=2),
            tags=[acne],
        ),
        "b": MemberFactory(
            external_id="M-B",
            name="李秀英",
            store_name="仁心诊所",
            region="四川/绵阳",
            cumulative_purchase=Decimal("8000.00"),
            last_active_at=now - timedelta(days=40),
            tags=[chronic, kids],
        ),
        "c": MemberFactory(
            external_id="M-C",
            name="张伟",
            store_name="百姓药店",
            region="四川/成都",
            cumulative_purchase=Decimal("20000.00"),
            last_active_at=None,
        ),
        "d": MemberFactory(
            external_id="M-D",
            name="刘芳",
            store_name="康宁卫生室",
            region="四川/德阳",
            cumulative_purchase=Decimal("0.00"),
            last_active_at=now - timedelta(days=10),
        ),
    }
    MembershipFactory(member=m["a"], group=daily)
    MembershipFactory(member=m["b"], group=flash, status=Membership.Status.INVITED)
    MembershipFactory(member=m["c"], group=flash, status=Membership.Status.LEFT)  # left: not in the group any more
    MembershipFactory(member=m["d"], group=daily)
    return {"members": m, "tags": {"acne": acne, "chronic": chronic, "kids": kids}, "daily": daily, "flash": flash}


def test_views_member_list_shows_all_with_the_count(operator_client, world):
    response = operator_client.get(MEMBERS)
    assert response.status_code == 200
    assert shown_ids(response) == {"M-A", "M-B", "M-C", "M-D"}
    assert count_of(response) == 4
    assert "4 位客户" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "四川/成都"}, {"M-A", "M-C"}),
        ({"tags": ["acne", "kids"]}, {"M-A", "M-B"}),  # any of
        ({"tags": ["chronic"]}, {"M-B"}),
        ({"group": "daily"}, {"M-A", "M-D"}),
        ({"group": "flash"}, {"M-B"}),  # M-C left the flash group
        ({"tier": "flash"}, {"M-B"}),
        ({"tier": "daily"}, {"M-A", "M-D"}),
        ({"tier": "precise"}, set()),
        ({"min_purchase": "20000"}, {"M-A", "M-C"}),
        ({"min_purchase": "20000.01"}, {"M-A"}),
        ({"active_within": "7"}, {"M-A"}),
        ({"active_within": "30"}, {"M-A", "M-D"}),
        ({"q": "王建国"}, {"M-A"}),
        ({"q": "康宁"}, {"M-A", "M-D"}),  # store name
        ({"q": "m-b"}, {"M-B"}),  # external id, any case
        ({"q": "老王"}, {"M-A"}),  # WeChat nickname
        ({"region": "四川/成都", "min_purchase": "30000"}, {"M-A"}),  # filters combine
        ({"tier": "daily", "q": "刘"}, {"M-D"}),
    ],
)
def test_views_member_filters_narrow_the_list(operator_client, world, params, expected):
    params = dict(params)
    if "tags" in params:
        params["tags"] = [world["tags"][name].pk for name in params["tags"]]
    if "group" in params:
        params["group"] = world[params["group"]].pk
    response = operator_client.get(MEMBERS, params)
    assert response.status_code == 200
    assert shown_ids(response) == expected
    assert count_of(response) == len(expected)


def test_views_member_list_sort_by_purchase(operator_client, world):
    html = operator_client.get(MEMBERS, {"sort": "-purchase"}).content.decode()
    order = re.findall(r'<span class="co-cell-sub ms-1">(M[\w-]+)</span>', html)
    assert order == ["M-A", "M-C", "M-B", "M-D"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"min_purchase": "abc"}, "输入一个数字。"),
        ({"active_within": "-3"}, "确保该值大于或等于1。"),
        ({"group": "999999"}, "选择一个有效的选项： 该选择不在可用的选项中。"),
        ({"page": "x"}, None),
    ],
)
def test_views_member_list_bad_parameters_say_why_and_list_everyone(operator_client, world, params, error):
    response = operator_client.get(MEMBERS, params)
    assert response.status_code == 200
    errors = re.findall(r'data-testid="filter-error">([^<]*)<', response.content.decode())
    assert errors == ([error] if error else [])
    assert shown_ids(response) == {"M-A", "M-B", "M-C", "M-D"}  # the bad filter is not applied


def test_views_member_list_paginates_by_50(operator_client, db):
    MemberFactory.create_batch(120)
    first = operator_client.get(MEMBERS)
    assert len(shown_ids(first)) == 50
    assert count_of(first) == 120
    third = operator_client.get(MEMBERS, {"page": 3})
    assert len(shown_ids(third)) == 20
    assert shown_ids(first).isdisjoint(shown_ids(third))
    # Page links keep the filters.
    filtered = operator_client.get(MEMBERS, {"min_purchase": "0", "page": 1}).content.decode()
    assert "min_purchase=0&amp;page=2" in filtered


def test_views_member_list_htmx_gets_only_the_results(operator_client, world):
    response = operator_client.get(MEMBERS, {"region": "四川/成都"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="member-results"')
    assert shown_ids(response) == {"M-A", "M-C"}
    assert "HX-Request" in response["Vary"]
    # The full page includes the same fragment, inside a form that htmx submits to the same URL.
    page = operator_client.get(MEMBERS).content.decode()
    assert '<div id="member-results"' in page
    assert 'hx-get="/members/"' in page
    assert 'hx-push-url="true"' in page


def test_views_member_list_history_restore_gets_the_whole_page(operator_client, world):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = operator_client.get(MEMBERS, headers=headers)
    assert "<html" in response.content.decode()


def test_views_member_list_queries_do_not_grow_with_rows(operator_client, db, django_assert_max_num_queries):
    tag = TagFactory()
    groups = GroupFactory.create_batch(3)
    for i in range(60):
        member = MemberFactory(tags=[tag])
        MembershipFactory(member=member, group=groups[i % 3])
    operator_client.get(MEMBERS)  # the first request in a process builds the analytics store (segments)
    # Fixed costs beyond the page: the analytics freshness check (4 index reads of orders, 1 of memberships;
    # inside the test transaction it runs on every request) and the saved selections menu.
    with django_assert_max_num_queries(20):
        response = operator_client.get(MEMBERS)
    assert len(shown_ids(response)) == 50


def test_views_member_list_shows_groups_and_tags(operator_client, world):
    html = operator_client.get(MEMBERS).content.decode()
    assert "成都日常群" in html
    assert "周四快闪群" in html
    assert "3 皮肤" in html


def test_views_member_detail(operator_client, world):
    a = world["members"]["a"]
    MemberFactory(name="推荐来的", referred_by=a)
    referrer = MemberFactory(name="推荐人")
    a.referred_by = referrer
    a.save(update_fields=["referred_by"])
    campaign = CampaignFactory(name="周四10点特惠")
    OrderFactory(member=a, group=world["daily"], amount=Decimal("300.00"), campaign=campaign, order_id="OD-1")
    OrderFactory(member=a, group=world["daily"], amount=Decimal("120.50"), order_id="OD-2")
    OrderFactory(member=a, amount=Decimal("999.00"), status=Order.Status.REFUNDED, order_id="OD-3")
    m = Membership.objects.get(member=a)
    m.strikes = 1
    m.group_nickname = "成都-康宁大药房"
    m.save(update_fields=["strikes", "group_nickname"])

    response = operator_client.get(reverse("members:member-detail", args=[a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ["王建国", "康宁大药房", "四川/成都", "老王", "¥50,000.00", "3 皮肤", "成都日常群", "成都-康宁大药房"]:
        assert text in html, text
    assert "推荐人" in html
    assert "推荐来的" in html
    assert "OD-1" in html
    assert "OD-2" in html
    assert "OD-3" in html
    assert "周四10点特惠" in html
    assert re.search(r'data-testid="orders-total">¥420.50<', html)  # paid only: the refund counts nowhere
    assert "已退款" in html


def test_views_member_detail_unknown_is_404(operator_client, db):
    assert operator_client.get(reverse("members:member-detail", args=[424242])).status_code == 404


def test_views_group_list_capacity_and_counts(operator_client, world):
    GroupFactory(code="G-FULL", name="满员群", capacity=2, tier=Group.Tier.PRECISE)
    full = Group.objects.get(code="G-FULL")
    MembershipFactory.create_batch(2, group=full)
    response = operator_client.get(GROUPS)
    html = response.content.decode()
    assert count_of(response) == 3
    assert "2 / 2" in html
    assert "100%" in html
    assert "co-bar-red" in html
    # daily: two active members of 500
    assert "2 / 500" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "flash"}, {"周四快闪群"}),
        ({"region": "四川/成都"}, {"成都日常群"}),
        ({"stage": "retention"}, {"留存群"}),
        ({"q": "快闪"}, {"周四快闪群"}),
        ({"q": "g-daily"}, {"成都日常群"}),
        ({"owner": "owner"}, {"留存群"}),
    ],
)
def test_views_group_filters(operator_client, world, params, expected):
    owner = make_user("groupowner", Role.OPERATOR)
    GroupFactory(code="G-RET", name="留存群", stage=Group.Stage.RETENTION, owner=owner, region="四川/乐山")
    params = dict(params)
    if params.get("owner") == "owner":
        params["owner"] = owner.pk
    response = operator_client.get(GROUPS, params)
    html = response.content.decode()
    names = set(re.findall(r'class="co-cell-title">([^<]+)</a>', html))
    assert names == expected
    assert count_of(response) == len(expected)


def test_views_group_list_htmx_fragment(operator_client, world):
    response = operator_client.get(GROUPS, {"tier": "daily"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="group-results"')
    assert "成都日常群" in html
    assert "周四快闪群" not in html


def test_views_group_list_queries_do_not_grow_with_rows(operator_client, db, django_assert_max_num_queries):
    owner = make_user("owner", Role.OPERATOR)
    for _ in range(30):
        group = GroupFactory(owner=owner)
        MembershipFactory.create_batch(2, group=group)
    # 12, and 2 for analytics' churn flag reading its facts (inside the test's transaction it reads the tables).
    with django_assert_max_num_queries(14):
        response = operator_client.get(GROUPS)
    assert response.status_code == 200
    assert 'data-testid="result-count" data-count="30"' in response.content.decode()


def test_views_group_detail(operator_client, world):
    daily = world["daily"]
    gone = MemberFactory(name="已退群的人")
    MembershipFactory(member=gone, group=daily, status=Membership.Status.REMOVED, strikes=2)
    OrderFactory(member=world["members"]["a"], group=daily, amount=Decimal("1000.00"))
    OrderFactory(
        member=world["members"]["a"],
        group=daily,
        amount=Decimal("500.00"),
        placed_at=timezone.now() - timedelta(days=40),
    )
    url = reverse("members:group-detail", args=[daily.pk])
    html = operator_client.get(url).content.decode()
    assert "成都日常群" in html
    assert "日常群" in html
    assert "王建国" in html
    assert "刘芳" in html
    assert "已退群的人" not in html  # the default tab: who is in the group
    assert re.search(r'data-testid="group-capacity">2 / 500<', html)
    assert re.search(r'data-testid="group-gmv">¥1,000.00<', html)  # the last 28 days only
    gone_tab = operator_client.get(url, {"show": "gone"}, headers={"HX-Request": "true"}).content.decode()
    assert gone_tab.lstrip().startswith('<div id="group-roster"')
    assert "已退群的人" in gone_tab
    assert "王建国" not in gone_tab
    assert "已移出" in gone_tab


def test_views_pages_speak_chinese_by_default_and_english_on_request(operator_client, world):
    html = operator_client.get(MEMBERS).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "客户" in html
    assert "群" in html
    operator_client.post(reverse("set_language"), {"language": "en", "next": MEMBERS})
    html = operator_client.get(MEMBERS).content.decode()
    assert '<html lang="en">' in html
    assert "Members" in html


ASSET = re.compile(r'(?:src|href)=["\'](https?:)?//', re.I)


def test_views_pages_load_nothing_from_other_hosts(operator_client, world):
    urls = [
        MEMBERS,
        GROUPS,
        reverse("members:member-detail", args=[world["members"]["a"].pk]),
        reverse("members:group-detail", args=[world["daily"].pk]),
    ]
    for url in urls:
        html = operator_client.get(url).content.decode()
        assert not ASSET.search(html), url
        assert "@import" not in html
    operator_client.logout()
    assert not ASSET.search(operator_client.get(reverse("login")).content.decode())


@pytest.mark.parametrize(
    "path",
    [
        "css/app.css",
        "js/app.js",
        "vendor/noto-sans-sc/noto-sans-sc.css",
        "vendor/tabler/css/tabler.min.css",
        "vendor/htmx/htmx.min.js",
        "vendor/echarts/echarts.min.js",
    ],
)
def test_views_static_assets_are_vendored_and_local(path):
    found = finders.find(path)
    assert found, path
    text = open(found, encoding="utf-8").read()
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), path
    assert not re.search(r"@import\s+(url\()?['\"]?(https?:)?//", text), path


def test_views_region_choices_are_distinct_regions(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from members.selectors import region_choices

    MemberFactory.create_batch(12)  # six regions in rotation
    GroupFactory(region="四川/成都")
    with CaptureQueriesContext(connection) as queries:
        assert len(region_choices()) == 6
    # DISTINCT over the region alone: the database returns 6 rows, not one per member.
    assert all("external_id" not in q["sql"] for q in queries.captured_queries)


def test_views_every_icon_a_template_names_is_in_the_sprite():
    """`{% icon "name" %}` draws from static/vendor/tabler-icons/sprite.svg; a missing symbol draws nothing."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sprite = (root / "static/vendor/tabler-icons/sprite.svg").read_text(encoding="utf-8")
    have = set(re.findall(r'<symbol id="([\w-]+)"', sprite))
    used = {}
    for path in root.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        for name in re.findall(r'\{% icon ["\']([\w-]+)["\']', path.read_text(encoding="utf-8")):
            used.setdefault(name, str(path.relative_to(root)))
    missing = {name: where for name, where in used.items() if name not in have}
    assert not missing, f"icons missing from the sprite (add their <symbol> from @tabler/icons): {missing}"
