"""Absurd requests to the group lifecycle, as an outsider tries them: capacities of 0, −1 and 10^12, a flash end
date already past, a flash group that ended but is not closed yet (the task runs every few minutes, later while
the worker is down) as the target of a merge or a move, a legacy group merged into itself, a move into a full
group, the same member moved twice from two tabs, and a merge that fails on its very last write."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone, translation

from core.dates import local_date
from members import services
from members.models import Group, Membership
from members.services.reorganise import DISSOLVE, MERGE
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return local_date(timezone.now())


def group_form(**changes) -> dict:
    return {"code": "G1", "name": "成都VIP1群", "tier": "daily", "platform": "wechat", "region": "", "owner": "",
            "capacity": "500", "stage": "acquisition", "flash_ends_on": "", **changes}  # fmt: skip


def open_groups(member) -> set[str]:
    return set(Membership.objects.open().filter(member=member).values_list("group__code", flat=True))


def everything() -> list:
    return list(Membership.objects.order_by("pk").values_list("pk", "group_id", "status", "left_at", "reason")) + list(
        Group.objects.order_by("pk").values_list("pk", "closed_at", "closure")
    )


# A group's settings.


@pytest.mark.parametrize("capacity", ["0", "-1", str(10**12), str(2**31)])
def test_an_absurd_capacity_is_refused_beside_its_field(client, operator, capacity):
    client.force_login(operator)
    response = client.post(reverse("members:group-create"), group_form(capacity=capacity))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["capacity"]  # beside the field, not a constraint's name above
    assert not Group.objects.exists()


def test_the_form_takes_the_capacities_the_groups_import_takes(client, operator):
    client.force_login(operator)
    assert client.post(reverse("members:group-create"), group_form(capacity="1")).status_code == 302
    response = client.post(reverse("members:group-create"), group_form(code="G2", capacity=str(Group.MAX_CAPACITY)))
    assert response.status_code == 302
    assert sorted(Group.objects.values_list("capacity", flat=True)) == [1, Group.MAX_CAPACITY]


def test_a_flash_end_date_already_past_is_refused_beside_its_field(client, operator):
    client.force_login(operator)
    yesterday = today() - dt.timedelta(days=1)
    response = client.post(reverse("members:group-create"), group_form(tier="flash", flash_ends_on=yesterday))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["flash_ends_on"]
    assert yesterday.isoformat() in response.context["form"].errors["flash_ends_on"][0]
    assert not Group.objects.exists()
    response = client.post(reverse("members:group-create"), group_form(tier="flash", flash_ends_on=today()))
    assert response.status_code == 302
    assert Group.objects.get().takes_new_members  # its last day is today


def test_a_flash_group_that_ended_keeps_its_date_when_its_other_settings_are_edited(client, operator):
    ended = today() - dt.timedelta(days=3)
    group = GroupFactory(code="F1", tier=Group.Tier.FLASH, flash_ends_on=ended)
    services.flash_groups_close()
    client.force_login(operator)
    edit = reverse("members:group-edit", args=[group.pk])
    response = client.post(edit, group_form(code="F1", name="改名", tier="flash", flash_ends_on=ended))
    assert response.status_code == 302
    assert Group.objects.get(pk=group.pk).name == "改名"
    response = client.post(edit, group_form(code="F1", tier="flash", flash_ends_on=ended - dt.timedelta(days=1)))
    assert list(response.context["form"].errors) == ["flash_ends_on"]


# A flash group past its end date, before the task has closed it.


@pytest.fixture
def ended_flash():
    return GroupFactory(
        code="F1", name="双11快闪群", tier=Group.Tier.FLASH, flash_ends_on=today() - dt.timedelta(days=1)
    )


def test_a_flash_group_past_its_end_date_takes_nobody_before_the_task_closes_it(ended_flash):
    legacy = GroupFactory(code="L1", tier=Group.Tier.LEGACY)
    MembershipFactory(group=legacy)
    daily = MembershipFactory()
    before = everything()
    assert not ended_flash.is_closed
    assert not ended_flash.takes_new_members
    assert not Group.objects.taking_new_members().filter(pk=ended_flash.pk).exists()
    with translation.override("en"):
        with pytest.raises(ValidationError, match="ended on"):
            services.legacy_reorganise(group=legacy, action=MERGE, target=ended_flash)
        with pytest.raises(ValidationError, match="ended on"):
            services.membership_move(membership=daily, to=ended_flash)
        with pytest.raises(services.GroupsFull):
            services.membership_invite(member=MemberFactory(), groups=[ended_flash])
    assert everything() == before


def test_the_legacy_wizard_refuses_to_merge_into_a_flash_group_that_ended(client, operator, ended_flash):
    legacy = GroupFactory(code="L1", tier=Group.Tier.LEGACY)
    for _ in range(3):
        MembershipFactory(group=legacy)
    before = everything()
    client.force_login(operator)
    url = reverse("members:legacy-wizard", args=[legacy.pk])
    confirm = {"action": MERGE, "target": ended_flash.pk, "confirm": "1", "previewed": f"merge:{ended_flash.pk}"}
    for data in ({"action": MERGE, "target": ended_flash.pk}, confirm):
        response = client.post(url, data)
        assert response.status_code == 400
        assert "已于" in response.context["form"].errors["target"][0]
    assert everything() == before


def test_a_legacy_group_cannot_be_merged_into_itself(client, operator):
    legacy = GroupFactory(code="L1", tier=Group.Tier.LEGACY)
    MembershipFactory(group=legacy)
    before = everything()
    client.force_login(operator)
    url = reverse("members:legacy-wizard", args=[legacy.pk])
    response = client.post(
        url, {"action": MERGE, "target": legacy.pk, "confirm": "1", "previewed": f"merge:{legacy.pk}"}
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["target"]
    with pytest.raises(ValidationError) as refused:
        services.legacy_reorganise(group=legacy, action=MERGE, target=legacy)
    assert list(refused.value.message_dict) == ["target"]
    assert everything() == before


def test_moving_a_member_into_a_full_group_from_the_page_changes_nothing(client, operator):
    full = GroupFactory(code="FULL", capacity=1)
    MembershipFactory(group=full)
    membership = MembershipFactory(group=GroupFactory(code="A"))
    before = everything()
    client.force_login(operator)
    url = reverse("members:membership-action", args=[membership.group_id, membership.pk, "move"])
    response = client.post(url, {"to": full.pk})
    assert response.status_code == 400
    assert "1/1" in " ".join(response.context["form"].non_field_errors())
    assert everything() == before


def test_a_member_moved_from_two_tabs_at_once_ends_up_in_one_group(operator):
    """Two tabs opened the same member's move; the second request's copy of the membership is stale (the first
    has ended it). It must be refused, not open a second membership elsewhere."""
    membership = MembershipFactory(group=GroupFactory(code="A"))
    stale = Membership.objects.get(pk=membership.pk)
    services.membership_move(membership=membership, to=GroupFactory(code="B"))
    with translation.override("en"), pytest.raises(ValidationError, match="no longer in"):
        services.membership_move(membership=stale, to=GroupFactory(code="C"))
    assert open_groups(membership.member) == {"B"}


# A merge interrupted on its very last write.

FAIL_ON = {
    # the legacy group closing as merged: the last statement of the merge
    "closing the group": "BEFORE UPDATE OF closed_at ON members_group WHEN NEW.id = {legacy} AND NEW.closed_at NOTNULL",
    # the new memberships in the target
    "the new memberships": "BEFORE INSERT ON members_membership WHEN NEW.group_id = {target}",
}


@pytest.mark.parametrize("where", sorted(FAIL_ON))
@pytest.mark.parametrize("action", [MERGE, DISSOLVE])
def test_a_merge_that_fails_on_its_last_write_leaves_nothing_half_written(
    where, action, django_capture_on_commit_callbacks
):
    assert connection.vendor == "sqlite", "the failure is injected with an SQLite trigger"
    legacy = GroupFactory(code="L1", tier=Group.Tier.LEGACY)
    target = GroupFactory(code="T1")
    for _ in range(5):
        MembershipFactory(group=legacy)
    before = everything()
    when = FAIL_ON[where].format(legacy=legacy.pk, target=target.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TRIGGER injected_failure {when} BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            if action == MERGE or where == "closing the group":
                with pytest.raises(DatabaseError, match="injected failure"):
                    services.legacy_reorganise(group=legacy, action=action, target=target)
            else:
                services.legacy_reorganise(group=legacy, action=action)  # a dissolve opens no membership
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER injected_failure")
    if action == DISSOLVE and where == "the new memberships":
        assert not Membership.objects.open().filter(group=legacy).exists()
        return
    assert everything() == before  # every membership still open in the legacy group, the group still open
    assert callbacks == []  # and nobody was told memberships changed
