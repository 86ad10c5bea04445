"""The group lifecycle in the app: flash groups closing themselves, closed groups refusing members and
campaigns, the group form, ending or moving a membership from the group page, the legacy wizard (merge,
move the core members, dissolve) keeping every membership and order attribution, promotion to a KOC group."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Order
from core.dates import local_midnight
from core.roles import Role
from members import services
from members.models import Group, Membership
from members.services.reorganise import DISSOLVE, MERGE, MOVE_CORE
from members.tasks import close_ended_flash_groups
from tests.conftest import make_user
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The services' messages and stored reasons in English, to match them here (the UI speaks Chinese)."""
    with translation.override("en"):
        yield


def open_ids(group) -> set[int]:
    return set(Membership.objects.open().filter(group=group).values_list("member_id", flat=True))


def orders_per_group() -> dict:
    return dict(Order.objects.order_by().values_list("order_id", "group_id"))


# Flash groups close themselves; closed groups take no members and no campaigns.


def test_flash_groups_close_after_their_end_date_once_and_then_refuse_members_and_campaigns():
    now = local_midnight(date(2026, 12, 1)) + timedelta(hours=9)  # 09:00 in Shanghai
    ended = GroupFactory(code="F1", tier=Group.Tier.FLASH, flash_ends_on=date(2026, 11, 30))
    running = GroupFactory(code="F2", tier=Group.Tier.FLASH, flash_ends_on=date(2026, 12, 1))
    daily = GroupFactory(code="D1")
    member = MembershipFactory(group=ended).member

    assert services.flash_groups_close(now=now) == [ended.pk]
    assert services.flash_groups_close(now=now) == []  # idempotent
    ended.refresh_from_db()
    assert ended.closed_at == local_midnight(date(2026, 12, 1))
    assert ended.closure == Group.Closure.FLASH_ENDED
    assert not Group.objects.get(pk=running.pk).is_closed
    assert not ended.takes_new_members
    assert not ended.takes_campaigns
    assert set(Group.objects.taking_campaigns()) == {running, daily}
    with pytest.raises(services.GroupsFull):
        services.membership_invite(member=MemberFactory(), groups=[ended])
    with pytest.raises(ValidationError, match="closed"):
        services.membership_move(membership=MembershipFactory(group=daily), to=ended)
    assert Membership.objects.get(member=member, group=ended).is_open  # read-only: nothing ends by itself


def test_the_beat_task_closes_due_flash_groups_and_is_scheduled(settings):
    GroupFactory(tier=Group.Tier.FLASH, flash_ends_on=timezone.localdate() - timedelta(days=1))
    assert len(close_ended_flash_groups()["closed"]) == 1
    assert close_ended_flash_groups() == {"closed": []}
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "members.close_ended_flash_groups" in tasks


def test_a_closed_group_page_says_so_and_offers_no_membership_changes(client, operator):
    group = GroupFactory(tier=Group.Tier.FLASH, flash_ends_on=date(2026, 11, 1))
    membership = MembershipFactory(group=group)
    services.group_close(group=group, closure=Group.Closure.FLASH_ENDED)
    client.force_login(operator)
    html = client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    assert 'data-testid="group-closed"' in html
    assert f'data-testid="remove-{membership.pk}"' not in html
    remove = reverse("members:membership-action", args=[group.pk, membership.pk, "remove"])
    assert client.post(remove, {"reason": "x"}).status_code == 302
    assert Membership.objects.get(pk=membership.pk).is_open


# The group form.


def test_operators_create_and_edit_groups_with_errors_beside_the_fields(client, operator):
    client.force_login(operator)
    url = reverse("members:group-create")
    base = {"code": "VIP9", "name": "成都VIP9群", "tier": "flash", "platform": "wechat", "region": "四川/成都",
            "capacity": "200", "stage": "retention", "owner": str(operator.pk)}  # fmt: skip
    response = client.post(url, base)  # a flash group without its end date
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"flash_ends_on"}
    assert 'invalid-feedback d-block">' in response.content.decode()  # said beside the field
    assert not Group.objects.filter(code="VIP9").exists()
    # An end date ahead of whatever day the suite runs: one already past is refused (a fixed date would be).
    ends_on = timezone.localdate() + timedelta(days=30)
    response = client.post(url, {**base, "flash_ends_on": ends_on.isoformat()})
    group = Group.objects.get(code="VIP9")
    assert response.url == reverse("members:group-detail", args=[group.pk])
    assert (group.tier, group.capacity, group.owner) == ("flash", 200, operator)
    assert group.flash_ends_on == ends_on

    for _ in range(3):
        MembershipFactory(group=group)
    edit = reverse("members:group-edit", args=[group.pk])
    response = client.post(edit, {**base, "tier": "daily", "capacity": "2", "flash_ends_on": ends_on.isoformat()})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"capacity", "flash_ends_on"}
    response = client.post(edit, {**base, "tier": "daily", "capacity": "300", "flash_ends_on": ""})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.tier, group.capacity, group.flash_ends_on) == ("daily", 300, None)


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_agents_and_managers_may_not_create_or_edit_groups_nor_change_memberships(client, role):
    group = GroupFactory()
    membership = MembershipFactory(group=group)
    client.force_login(make_user("someone", role))
    for url in (
        reverse("members:group-create"),
        reverse("members:group-edit", args=[group.pk]),
        reverse("members:membership-action", args=[group.pk, membership.pk, "remove"]),
        reverse("members:legacy-list"),
    ):
        assert client.get(url).status_code == 403, url
    remove = reverse("members:membership-action", args=[group.pk, membership.pk, "remove"])
    assert client.post(remove, {"reason": "x"}).status_code == 403
    assert Membership.objects.get(pk=membership.pk).is_open


# Leave, remove, move from the group page.


def test_an_operator_removes_and_moves_members_from_the_group_page(client, operator):
    group, other = GroupFactory(code="A"), GroupFactory(code="B", capacity=1)
    removed, moved, blocked = (MembershipFactory(group=group) for _ in range(3))
    client.force_login(operator)
    page = client.get(reverse("members:group-detail", args=[group.pk])).content.decode()
    remove_url = reverse("members:membership-action", args=[group.pk, removed.pk, "remove"])
    assert remove_url in page  # the first click
    response = client.post(remove_url, {"reason": "发广告两次"})  # the second
    assert response.url == reverse("members:group-detail", args=[group.pk])
    removed.refresh_from_db()
    assert (removed.status, removed.reason) == (Membership.Status.REMOVED, "发广告两次")
    assert removed.left_at is not None

    move_url = reverse("members:membership-action", args=[group.pk, moved.pk, "move"])
    assert client.post(move_url, {"to": other.pk}).status_code == 302
    assert Membership.objects.get(pk=moved.pk).status == Membership.Status.LEFT
    assert open_ids(other) == {moved.member_id}

    # B is full now: the error is said on the form, and nothing changes.
    response = client.post(reverse("members:membership-action", args=[group.pk, blocked.pk, "move"]), {"to": other.pk})
    assert response.status_code == 400
    assert "1/1" in response.content.decode()
    assert Membership.objects.get(pk=blocked.pk).is_open
    legacy = GroupFactory(tier=Group.Tier.LEGACY)
    response = client.post(reverse("members:membership-action", args=[group.pk, blocked.pk, "move"]), {"to": legacy.pk})
    assert response.status_code == 400
    assert "legacy" in response.content.decode() or "老群" in response.content.decode()
    assert Membership.objects.get(pk=blocked.pk).is_open

    gone = client.get(reverse("members:group-detail", args=[group.pk]) + "?show=gone").content.decode()
    assert "发广告两次" in gone


# The legacy groups and their wizard.


@pytest.fixture
def legacy_world(db):
    legacy = GroupFactory(code="OLD", name="老粉群", tier=Group.Tier.LEGACY, capacity=500)
    target = GroupFactory(code="VIP", name="成都VIP群", tier=Group.Tier.DAILY, capacity=6)
    members = [MemberFactory() for _ in range(5)]
    memberships = [MembershipFactory(member=m, group=legacy) for m in members]
    MembershipFactory(member=members[0], group=target)  # already in the target
    MembershipFactory(group=target)  # someone else
    history = MembershipFactory(member=MemberFactory(), group=legacy, status=Membership.Status.LEFT)
    for m in members[:3]:
        OrderFactory(member=m, group=legacy)
    OrderFactory(member=members[0], group=target)
    return {"legacy": legacy, "target": target, "members": members, "memberships": memberships, "history": history}


def test_legacy_merge_keeps_every_membership_and_order_attribution(legacy_world):
    legacy, target, members = legacy_world["legacy"], legacy_world["target"], legacy_world["members"]
    orders_before = orders_per_group()
    memberships_before = set(Membership.objects.values_list("pk", flat=True))

    plan = services.legacy_plan(group=legacy, action=MERGE, target=target)
    assert (len(plan.ending), len(plan.opening), plan.already_in_target, plan.target_room_after) == (5, 4, 1, 0)
    services.legacy_reorganise(group=legacy, action=MERGE, target=target)

    assert orders_per_group() == orders_before  # every order keeps its group
    assert memberships_before <= set(Membership.objects.values_list("pk", flat=True))  # nothing deleted
    assert open_ids(target) == {m.pk for m in members} | {
        m.member_id for m in Membership.objects.filter(group=target) if m.member_id not in {x.pk for x in members}
    }
    assert Membership.objects.open().filter(group=target, member=members[0]).count() == 1  # not duplicated
    ended = Membership.objects.filter(pk__in=[m.pk for m in legacy_world["memberships"]])
    assert {(m.status, m.reason) for m in ended} == {("left", "merged into 成都VIP群")}
    legacy.refresh_from_db()
    assert (legacy.is_closed, legacy.closure) == (True, Group.Closure.MERGED)
    assert Group.objects.filter(pk=legacy.pk).exists()


def test_legacy_merge_into_a_group_without_room_writes_nothing(legacy_world):
    legacy, target = legacy_world["legacy"], legacy_world["target"]
    target.capacity = 5
    target.save()
    before = list(Membership.objects.order_by("pk").values_list("pk", "status", "group_id"))
    with pytest.raises(ValidationError, match="room for 3"):
        services.legacy_reorganise(group=legacy, action=MERGE, target=target)
    assert list(Membership.objects.order_by("pk").values_list("pk", "status", "group_id")) == before
    assert not Group.objects.get(pk=legacy.pk).is_closed


def test_a_dissolve_dated_before_a_join_is_refused_naming_the_shanghai_time(legacy_world):
    legacy = legacy_world["legacy"]
    Membership.objects.open().filter(group=legacy).update(joined_at=datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.legacy_reorganise(group=legacy, action=DISSOLVE, at=datetime(2026, 11, 30, 16, 10, tzinfo=UTC))
    assert "A member joined after 2026-12-01 00:10: they cannot have left before." in refused.value.messages
    assert Membership.objects.open().filter(group=legacy).count() == 5


def test_legacy_dissolve_ends_every_membership_and_closes_the_group(legacy_world, django_capture_on_commit_callbacks):
    legacy = legacy_world["legacy"]
    orders_before = orders_per_group()
    plan = services.legacy_reorganise(group=legacy, action=DISSOLVE)
    assert len(plan.ending) == 5
    assert not Membership.objects.open().filter(group=legacy).exists()
    assert set(Membership.objects.filter(group=legacy).values_list("reason", flat=True)) >= {"group dissolved"}
    assert Membership.objects.filter(group=legacy).count() == 6  # history kept
    assert orders_per_group() == orders_before
    assert Group.objects.get(pk=legacy.pk).closure == Group.Closure.DISSOLVED
    legacy.refresh_from_db()
    with pytest.raises(ValidationError, match="already closed"):
        services.legacy_plan(group=legacy, action=DISSOLVE)


def test_legacy_core_members_move_to_a_precise_group(legacy_world, fresh_analytics_store):
    legacy, members = legacy_world["legacy"], legacy_world["members"]
    precise = GroupFactory(code="P1", tier=Group.Tier.PRECISE)
    now = timezone.now()
    for m in members[3:]:  # two orders in the window: core members of the legacy group
        for days in (3, 5):
            OrderFactory(member=m, group=legacy, placed_at=now - timedelta(days=days))
    with pytest.raises(ValidationError, match="precise"):
        services.legacy_plan(group=legacy, action=MOVE_CORE, target=legacy_world["target"])
    orders_before = orders_per_group()
    plan = services.legacy_reorganise(group=legacy, action=MOVE_CORE, target=precise)
    assert sorted(plan.opening) == sorted(m.pk for m in members[3:])
    assert open_ids(precise) == {m.pk for m in members[3:]}
    assert open_ids(legacy) == {m.pk for m in members[:3]}  # the others stay
    assert not Group.objects.get(pk=legacy.pk).is_closed
    assert orders_per_group() == orders_before


def test_the_legacy_wizard_previews_then_confirms(client, operator, legacy_world):
    legacy, target = legacy_world["legacy"], legacy_world["target"]
    client.force_login(operator)
    listing = client.get(reverse("members:legacy-list")).content.decode()
    assert reverse("members:legacy-wizard", args=[legacy.pk]) in listing
    url = reverse("members:legacy-wizard", args=[legacy.pk])
    preview = client.post(url, {"action": MERGE, "target": target.pk, "preview": "1"})
    assert preview.status_code == 200
    assert preview.context["plan"].opening
    assert open_ids(legacy)  # a preview writes nothing
    # A confirm for another choice than the one previewed shows that choice's preview instead.
    other = client.post(url, {"action": DISSOLVE, "target": "", "confirm": "1", "previewed": f"merge:{target.pk}"})
    assert other.status_code == 200
    assert other.context["plan"].action == DISSOLVE
    assert open_ids(legacy)
    done = client.post(url, {"action": MERGE, "target": target.pk, "confirm": "1", "previewed": f"merge:{target.pk}"})
    assert done.url == reverse("members:legacy-list")
    assert not open_ids(legacy)
    listing = client.get(reverse("members:legacy-list")).content.decode()
    assert reverse("members:legacy-wizard", args=[legacy.pk]) not in listing  # reorganised: off the list


# Promotion to a super-user (KOC) group.


def test_promote_a_member_to_a_super_user_group_from_the_member_page(client, operator):
    koc = GroupFactory(code="KOC1", name="KOC群", tier=Group.Tier.SUPER_USER, capacity=1)
    daily = MembershipFactory()
    member = daily.member
    client.force_login(operator)
    page = client.get(reverse("members:member-detail", args=[member.pk])).content.decode()
    assert 'data-testid="promote-button"' in page
    response = client.post(reverse("members:member-promote", args=[member.pk]), {"group": koc.pk})
    assert response.status_code == 302
    assert open_ids(koc) == {member.pk}
    assert Membership.objects.get(pk=daily.pk).is_open  # other memberships stay

    other = MemberFactory()
    page = client.get(reverse("members:member-detail", args=[other.pk])).content.decode()
    assert 'data-testid="promote-button"' not in page  # the only KOC group is full
    response = client.post(reverse("members:member-promote", args=[other.pk]), {"group": koc.pk}, follow=True)
    assert any("1/1" in str(m) for m in response.context["messages"])
    assert open_ids(koc) == {member.pk}


def test_promotion_refuses_a_group_that_is_not_super_user():
    with pytest.raises(ValidationError, match="not a super-user"):
        services.membership_promote(member=MemberFactory(), group=GroupFactory())


def test_closing_at_a_given_moment(db):
    group = GroupFactory()
    at = datetime(2026, 11, 1, tzinfo=timezone.get_current_timezone())
    services.group_close(group=group, closure=Group.Closure.DISSOLVED, at=at)
    services.group_close(group=group, closure=Group.Closure.MERGED)
    group.refresh_from_db()
    assert (group.closed_at, group.closure) == (at, Group.Closure.DISSOLVED)
