"""Another role's URLs called directly: an agent or a manager POSTing to every endpoint of the rules and strikes
with a valid CSRF token of their own session is refused and changes nothing (the operator's same requests go
through); an anonymous visitor gets the login page on every URL of the app."""

import pytest
from django.urls import reverse

from tests.community.factories import group_with_rules, rule
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
    group, memberships = group_with_rules(owner=operator, name="成都VIP①")
    return {"group": group, "membership": memberships[0], "operator": operator}


def operator_posts(world) -> list[tuple[str, str, dict]]:
    group, vote = world["group"], rule(world["group"], "vote")
    return [
        ("rules-apply-tier", reverse("community:rules-apply-tier"), {"tier": "daily"}),
        ("rule-edit", reverse("community:rule-edit", args=[vote.pk]),
         {f"rule{vote.pk}-title": "不许拉票", f"rule{vote.pk}-text": "x", f"rule{vote.pk}-strike_limit": 3}),
        ("group-rules-apply", reverse("community:group-rules-apply", args=[group.pk]), {}),
        ("welcome-save", reverse("community:welcome-save", args=[group.pk]), {"text": "欢迎"}),
        ("violation-record", reverse("community:violation-record", args=[group.pk]),
         {"membership": world["membership"].pk, "rule": vote.pk}),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_an_agent_or_manager_posting_to_the_rules_and_strikes_is_refused_and_nothing_changes(request, world, role):
    assert_posts_refused(csrf_client(request.getfixturevalue(role)), operator_posts(world))


def test_the_same_posts_by_the_operator_go_through(world):
    from tests.members.factories import GroupFactory

    GroupFactory(code="D1", tier="daily")  # for the tier's rules to be applied to
    # The group has every rule already: applying them writes nothing.
    assert_posts_go_through(csrf_client(world["operator"]), operator_posts(world), unchanged=("group-rules-apply",))


@pytest.mark.parametrize(("name", "path"), sorted(namespace_paths("community").items()))
def test_anonymous_gets_the_login_page_on_every_url(client, world, name, path):
    before = database_state()
    for response in (client.get(path), client.post(path, {"tier": "daily", "text": "x"})):
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name
    assert database_state() == before
