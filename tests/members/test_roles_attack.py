"""Another role's URLs called directly: an agent or a manager POSTing to every endpoint of the group lifecycle
(create and edit a group, leave / remove / move a member, the legacy merge, promotion) with a valid CSRF token of
their own session is refused and changes nothing (the operator's same requests go through); an anonymous visitor
gets the login page on every URL of the app."""

import pytest
from django.urls import reverse

from members.models import Group
from members.services.reorganise import MERGE
from tests.members.factories import GroupFactory, MembershipFactory
from tests.role_attack import (
    assert_posts_go_through,
    assert_posts_refused,
    csrf_client,
    database_state,
    namespace_paths,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(operator):
    group = GroupFactory(code="G1", owner=operator)
    leaving, removed, moved = (MembershipFactory(group=group) for _ in range(3))
    target = GroupFactory(code="T1")
    legacy = GroupFactory(code="L1", tier=Group.Tier.LEGACY)
    MembershipFactory(group=legacy)
    koc = GroupFactory(code="K1", tier=Group.Tier.SUPER_USER)
    return {"group": group, "leaving": leaving, "removed": removed, "moved": moved, "target": target,
            "legacy": legacy, "koc": koc, "operator": operator}  # fmt: skip


def operator_posts(world) -> list[tuple[str, str, dict]]:
    group, target = world["group"], world["target"]
    settings = {"code": "G1", "name": "改名", "tier": "daily", "platform": "wechat", "capacity": 400,
                "stage": "acquisition"}  # fmt: skip

    def action(membership, name):
        return reverse("members:membership-action", args=[group.pk, membership.pk, name])

    return [
        ("group-create", reverse("members:group-create"), {**settings, "code": "NEW"}),
        ("group-edit", reverse("members:group-edit", args=[group.pk]), settings),
        ("leave", action(world["leaving"], "leave"), {"reason": "搬走了"}),
        ("remove", action(world["removed"], "remove"), {"reason": "发广告"}),
        ("move", action(world["moved"], "move"), {"to": target.pk}),
        ("legacy-merge", reverse("members:legacy-wizard", args=[world["legacy"].pk]),
         {"action": MERGE, "target": target.pk, "confirm": "1", "previewed": f"{MERGE}:{target.pk}"}),
        ("promote", reverse("members:member-promote", args=[world["leaving"].member_id]), {"group": world["koc"].pk}),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_an_agent_or_manager_posting_to_the_group_lifecycle_is_refused_and_nothing_changes(request, world, role):
    assert_posts_refused(csrf_client(request.getfixturevalue(role)), operator_posts(world))


def test_the_same_posts_by_the_operator_go_through(world):
    assert_posts_go_through(csrf_client(world["operator"]), operator_posts(world))


@pytest.mark.parametrize(("name", "path"), sorted(namespace_paths("members").items()))
def test_anonymous_gets_the_login_page_on_every_url(client, world, name, path):
    before = database_state()
    for response in (client.get(path), client.post(path, {"reason": "x", "to": world["target"].pk})):
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name
    assert database_state() == before
