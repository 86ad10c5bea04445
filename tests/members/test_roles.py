"""Who may open what, role by role. The matrix below is the contract; communityops/access.py documents it too.

`200` opens, `403` is the styled forbidden page, `admin-login` is Django admin sending a non-staff user to its
own login page (it never shows them the admin).
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from core.roles import Role
from tests.conftest import PASSWORD, make_user
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory, OrderFactory

PAGES = ["member-list", "member-detail", "group-list", "group-detail", "admin", "admin-users"]

MATRIX = {
    Role.OPERATOR: {
        "member-list": 200,
        "member-detail": 200,
        "group-list": 200,
        "group-detail": 200,
        "admin": "admin-login",
        "admin-users": "admin-login",
    },
    Role.AGENT: {
        "member-list": 200,
        "member-detail": 200,
        "group-list": 200,
        "group-detail": 200,
        "admin": "admin-login",
        "admin-users": "admin-login",
    },
    Role.MANAGER: {
        "member-list": 200,
        "member-detail": 200,
        "group-list": 200,
        "group-detail": 200,
        "admin": "admin-login",
        "admin-users": "admin-login",
    },
    Role.ADMIN: {
        "member-list": 200,
        "member-detail": 200,
        "group-list": 200,
        "group-detail": 200,
        "admin": 200,
        "admin-users": 200,
    },
    "no role": {
        "member-list": 403,
        "member-detail": 403,
        "group-list": 403,
        "group-detail": 403,
        "admin": "admin-login",
        "admin-users": "admin-login",
    },
}

# What parts of a page a role sees: a group's member roster and orders (members' and groups').
SECTIONS = {
    Role.OPERATOR: {"roster": True, "orders": True},
    Role.AGENT: {"roster": False, "orders": False},
    Role.MANAGER: {"roster": True, "orders": True},
    Role.ADMIN: {"roster": True, "orders": True},
}


@pytest.fixture
def world(db):
    group = GroupFactory(name="成都药店日常1群")
    member = MemberFactory(name="王建国")
    MembershipFactory(member=member, group=group)
    OrderFactory(member=member, group=group, order_id="ORDER-ROLE-1")
    return {"group": group, "member": member}


def url_for(page: str, world) -> str:
    return {
        "member-list": reverse("members:member-list"),
        "member-detail": reverse("members:member-detail", args=[world["member"].pk]),
        "group-list": reverse("members:group-list"),
        "group-detail": reverse("members:group-detail", args=[world["group"].pk]),
        "admin": reverse("admin:index"),
        "admin-users": reverse("admin:auth_user_changelist"),
    }[page]


def user_for(role: str) -> User:
    if role == "no role":
        return make_user("nobody")
    return make_user(f"u-{role}", role, is_staff=(role == Role.ADMIN))


@pytest.mark.parametrize("role", list(MATRIX))
@pytest.mark.parametrize("page", PAGES)
def test_roles_page_access_matrix(client, world, role, page):
    client.force_login(user_for(role))
    url = url_for(page, world)
    response = client.get(url)
    expected = MATRIX[role][page]
    if expected == "admin-login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected, f"{role} on {page}"
    if expected == 403:
        # The styled page in the base layout, not Django's bare "403 Forbidden".
        assert b'data-testid="error-403"' in response.content
        assert "不能打开这个页面" in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_roles_anonymous_is_sent_to_login(client, world, page):
    url = url_for(page, world)
    response = client.get(url)
    assert response.status_code == 302
    logins = (reverse("login"), reverse("admin:login")) if page.startswith("admin") else (reverse("login"),)
    assert response["Location"].startswith(logins)
    assert "next=" in response["Location"]


@pytest.mark.parametrize("role", list(SECTIONS))
def test_roles_sections_of_group_and_member_pages(client, world, role):
    client.force_login(user_for(role))
    group_page = client.get(url_for("group-detail", world)).content.decode()
    member_page = client.get(url_for("member-detail", world)).content.decode()
    assert ('data-testid="group-roster"' in group_page) is SECTIONS[role]["roster"]
    assert ('data-testid="group-orders"' in group_page) is SECTIONS[role]["orders"]
    assert ("ORDER-ROLE-1" in member_page) is SECTIONS[role]["orders"]
    # Every role sees which groups the member is in (an agent must know before inviting).
    assert "成都药店日常1群" in member_page


def test_roles_agent_roster_is_forbidden_even_through_htmx(client, world):
    client.force_login(user_for(Role.AGENT))
    response = client.get(url_for("group-detail", world) + "?show=all", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "王建国" not in response.content.decode()


def test_roles_user_without_role_gets_403_on_home(client, db):
    client.force_login(make_user("nobody"))
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "还没有角色" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.OPERATOR, "members:group-list"),
        (Role.MANAGER, "members:group-list"),
        (Role.ADMIN, "members:group-list"),
        (Role.AGENT, "outreach:my-calls"),
    ],
)
def test_roles_home_sends_each_role_to_its_start_page(client, db, role, landing):
    client.force_login(user_for(role))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)


NAV = {
    Role.OPERATOR: {"groups", "members"},
    Role.AGENT: {"groups", "members"},
    Role.MANAGER: {"groups", "members"},
    Role.ADMIN: {"groups", "members", "users", "admin"},
}


@pytest.mark.parametrize("role", list(NAV))
def test_roles_navigation_shows_only_what_the_role_may_open(client, db, role):
    client.force_login(user_for(role))
    html = client.get(reverse("members:member-list")).content.decode()
    import re

    shown = set(re.findall(r'data-nav="([\w-]+)"', html))
    # Pages built later (imports, campaigns, ...) appear once their URL exists; the fixed part is checked here.
    assert shown >= NAV[role]
    assert ("admin" in shown) is (role == Role.ADMIN)
    assert ("users" in shown) is (role == Role.ADMIN)
    if "imports" in shown:
        assert role in (Role.OPERATOR, Role.ADMIN)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AGENT, Role.MANAGER, Role.ADMIN])
def test_roles_layout_names_the_user_and_their_roles(client, db, role):
    user = user_for(role)
    client.force_login(user)
    html = client.get(reverse("members:member-list")).content.decode()
    label = {Role.OPERATOR: "运营", Role.AGENT: "客服", Role.MANAGER: "经理", Role.ADMIN: "管理员"}[role]
    assert user.username in html
    assert label in html
    assert 'action="/accounts/logout/"' in html


def test_roles_login_form_logs_in_and_lands_by_role(client, db):
    make_user("alice", Role.OPERATOR)
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "登录" in page.content.decode()
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("members:group-list")
    assert response.status_code == 200


def test_roles_login_with_a_wrong_password_says_so(client, db):
    make_user("alice", Role.OPERATOR)
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b'data-testid="login-error"' in response.content


def test_roles_logout_is_a_post_and_ends_the_session(client, db):
    client.force_login(make_user("alice", Role.OPERATOR))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("members:member-list")).status_code == 302


def test_roles_unknown_member_is_a_styled_404(client, db):
    client.force_login(user_for(Role.ADMIN))
    response = client.get(reverse("members:member-detail", args=[999999]))
    assert response.status_code == 404
    assert b'data-testid="error-404"' in response.content
