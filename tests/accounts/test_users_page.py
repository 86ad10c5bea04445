"""The admins' users page (issue 15): who may open it, creating a user with a role, setting roles, deactivating
and reactivating, resetting a password, and the guard that keeps one active admin."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.roles import Role, user_roles
from tests.conftest import PASSWORD, make_user

User = get_user_model()

PAGES = ["accounts:user-list", "accounts:user-create", "accounts:user-detail"]


def url(name: str, user=None) -> str:
    return reverse(name, args=[user.pk] if name != "accounts:user-list" and name != "accounts:user-create" else [])


def fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AGENT, Role.MANAGER])
def test_users_pages_are_forbidden_to_other_roles(client, role_users, role, page):
    client.force_login(role_users[role])
    response = client.get(url(page, role_users[Role.ADMIN]))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "action", ["accounts:user-profile", "accounts:user-roles", "accounts:user-active", "accounts:user-password"]
)
@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AGENT, Role.MANAGER])
def test_users_writes_are_forbidden_to_other_roles(client, role_users, role, action):
    client.force_login(role_users[role])
    target = role_users[Role.AGENT]
    data = {"roles": [Role.ADMIN], "action": "deactivate", "password": "Another-pass-9431", "name": "X", "email": ""}
    response = client.post(reverse(action, args=[target.pk]), data)
    assert response.status_code == 403
    target = fresh(target)
    assert target.is_active
    assert user_roles(target) == {Role.AGENT}
    assert target.check_password(PASSWORD)
    assert target.first_name == ""


@pytest.mark.parametrize("page", PAGES)
def test_users_pages_open_for_admins(client, role_users, page):
    client.force_login(role_users[Role.ADMIN])
    assert client.get(url(page, role_users[Role.OPERATOR])).status_code == 200


def test_users_menu_entry_is_for_admins_only(client, role_users):
    for role, user in role_users.items():
        client.force_login(user)
        html = client.get(reverse("members:member-list")).content.decode()
        assert (f'href="{reverse("accounts:user-list")}"' in html) is (role == Role.ADMIN), role


def test_users_list_shows_roles_status_and_last_login_in_chinese(client, role_users):
    make_user("gone", Role.AGENT, is_active=False)
    client.force_login(role_users[Role.ADMIN])
    html = client.get(reverse("accounts:user-list")).content.decode()
    alice = html.split('data-testid="user-row-alice"')[1].split("</tr>")[0]
    assert "运营" in alice
    assert "在用" in alice
    assert "从未" in alice
    gone = html.split('data-testid="user-row-gone"')[1].split("</tr>")[0]
    assert "客服" in gone
    assert "已停用" in gone
    dave = html.split('data-testid="user-row-dave"')[1].split("</tr>")[0]
    assert "管理员" in dave
    User.objects.create_superuser("root", password=PASSWORD)  # a superuser is an admin, with or without the role
    root = client.get(reverse("accounts:user-list")).content.decode().split('data-testid="user-row-root"')[1]
    assert "管理员" in root.split("</tr>")[0]
    filtered = client.get(reverse("accounts:user-list"), {"role": Role.AGENT, "active": "0"}).content.decode()
    assert 'data-testid="user-row-gone"' in filtered
    assert 'data-testid="user-row-alice"' not in filtered


def test_users_create_an_agent_with_a_typed_password_who_can_log_in(client, admin_user):
    client.force_login(admin_user)
    data = {"username": "kefu9", "name": "李娜", "email": "", "roles": [Role.AGENT], "password": "Spring-tea-4821"}
    response = client.post(reverse("accounts:user-create"), data)
    user = User.objects.get(username="kefu9")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user-detail", args=[user.pk])
    assert user_roles(user) == {Role.AGENT}
    assert user.is_active
    assert not user.is_staff
    client.logout()
    assert client.login(username="kefu9", password="Spring-tea-4821")


def test_users_create_with_a_generated_password_shows_it_once(client, admin_user):
    client.force_login(admin_user)
    data = {"username": "yunying9", "roles": [Role.OPERATOR, Role.MANAGER], "password": ""}
    response = client.post(reverse("accounts:user-create"), data)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    password = html.split('data-testid="generated-password" id="generated-password">')[1].split("<")[0]
    assert len(password) == 14
    user = User.objects.get(username="yunying9")
    assert user.check_password(password)
    assert user_roles(user) == {Role.OPERATOR, Role.MANAGER}
    assert password not in client.get(reverse("accounts:user-detail", args=[user.pk])).content.decode()


def test_users_create_an_admin_makes_them_staff(client, admin_user):
    client.force_login(admin_user)
    client.post(reverse("accounts:user-create"), {"username": "boss", "roles": [Role.ADMIN], "password": ""})
    assert User.objects.get(username="boss").is_staff


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"username": "", "roles": [Role.AGENT]}, "username", "该字段是必填项"),
        ({"username": "bad name!", "roles": [Role.AGENT]}, "username", "合法的用户名"),
        ({"username": "alice", "roles": [Role.AGENT]}, "username", "已存在"),
        ({"username": "new1", "roles": []}, "roles", "该字段是必填项"),
        ({"username": "new1", "roles": ["owner"]}, "roles", "owner"),
        ({"username": "new1", "roles": [Role.AGENT], "email": "not-an-email"}, "email", "合法的邮件地址"),
        ({"username": "new1", "roles": [Role.AGENT], "password": "12345678"}, "password", "太常见"),
        ({"username": "new1", "roles": [Role.AGENT], "password": "abc"}, "password", "太短"),
    ],
)
def test_users_create_refuses_bad_input_beside_the_field(client, admin_user, operator, data, field, says):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user-create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert says in " ".join(form.errors[field])
    assert says in response.content.decode()
    assert not User.objects.filter(username="new1").exists()
    assert User.objects.count() == 2


def test_users_set_roles_replaces_them_and_staff_follows_the_admin_role(client, admin_user, operator):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user-roles", args=[operator.pk]), {"roles": [Role.ADMIN]})
    assert response.status_code == 302
    operator = fresh(operator)
    assert user_roles(operator) == {Role.ADMIN}
    assert operator.is_staff
    client.post(reverse("accounts:user-roles", args=[operator.pk]), {"roles": [Role.MANAGER]})
    operator = fresh(operator)
    assert user_roles(operator) == {Role.MANAGER}
    assert not operator.is_staff


def test_users_set_roles_needs_one(client, admin_user, operator):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user-roles", args=[operator.pk]), {"roles": []})
    assert response.status_code == 200
    assert "roles" in response.context["roles_form"].errors
    assert user_roles(fresh(operator)) == {Role.OPERATOR}


def test_users_deactivate_ends_login_and_reactivate_restores_it(client, admin_user, agent):
    other = type(client)()
    other.force_login(agent)
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user-active", args=[agent.pk]), {"action": "deactivate"})
    assert response.status_code == 302
    assert not fresh(agent).is_active
    assert other.get(reverse("outreach:my-calls")).status_code == 302  # the open session is over: to the login
    assert not other.login(username="bob", password=PASSWORD)
    client.post(reverse("accounts:user-active", args=[agent.pk]), {"action": "reactivate"})
    assert fresh(agent).is_active
    assert other.login(username="bob", password=PASSWORD)


def test_users_last_admin_cannot_demote_or_deactivate_themselves(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user-roles", args=[admin_user.pk]), {"roles": [Role.OPERATOR]})
    assert response.status_code == 200
    assert "最后一个" in response.content.decode()
    assert user_roles(fresh(admin_user)) == {Role.ADMIN}
    assert fresh(admin_user).is_staff
    response = client.post(reverse("accounts:user-active", args=[admin_user.pk]), {"action": "deactivate"}, follow=True)
    assert fresh(admin_user).is_active
    assert "不能停用自己的账号" in response.content.decode()


def test_users_an_admin_may_step_down_when_another_admin_remains(client, admin_user):
    make_user("erin", Role.ADMIN, is_staff=True)
    client.force_login(admin_user)
    response = client.post(reverse("accounts:user-roles", args=[admin_user.pk]), {"roles": [Role.MANAGER]})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert user_roles(fresh(admin_user)) == {Role.MANAGER}


def test_users_the_other_last_admin_cannot_be_deactivated_or_demoted(client, admin_user):
    from accounts import services

    erin = make_user("erin", Role.ADMIN, is_staff=True)
    services.user_active_set(user=admin_user, is_active=False, by=erin)
    # dave is gone: erin is the last admin; a superuser without the role counts too once active.
    with pytest.raises(services.ValidationError, match="最后一个"):
        services.user_roles_set(user=erin, roles=[Role.AGENT], by=None)
    with pytest.raises(services.ValidationError, match="最后一个"):
        services.user_active_set(user=erin, is_active=False, by=None)
    root = User.objects.create_superuser("root", password=PASSWORD)
    services.user_roles_set(user=erin, roles=[Role.AGENT], by=root)
    assert user_roles(fresh(erin)) == {Role.AGENT}


def test_users_reset_password_typed_and_generated(client, admin_user, agent):
    client.force_login(admin_user)
    url_ = reverse("accounts:user-password", args=[agent.pk])
    response = client.post(url_, {"password": "short"})
    assert response.status_code == 200
    assert "太短" in " ".join(response.context["password_form"].errors["password"])
    assert fresh(agent).check_password(PASSWORD)
    response = client.post(url_, {"password": "Winter-rice-7730"})
    assert response.status_code == 302
    assert fresh(agent).check_password("Winter-rice-7730")
    response = client.post(url_, {"password": ""})
    password = response.content.decode().split('id="generated-password">')[1].split("<")[0]
    assert fresh(agent).check_password(password)


def test_users_reset_own_password_keeps_the_admin_logged_in(client, admin_user):
    client.force_login(admin_user)
    client.post(reverse("accounts:user-password", args=[admin_user.pk]), {"password": "Autumn-leaf-5519"})
    assert fresh(admin_user).check_password("Autumn-leaf-5519")
    assert client.get(reverse("accounts:user-list")).status_code == 200


def test_users_unknown_user_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("accounts:user-detail", args=[999999])).status_code == 404
    assert client.post(reverse("accounts:user-active", args=[999999]), {"action": "deactivate"}).status_code == 404


def test_users_detail_shows_the_account_while_the_header_keeps_the_viewer(client, admin_user, operator):
    client.force_login(admin_user)
    html = client.get(reverse("accounts:user-detail", args=[operator.pk])).content.decode()
    header = html.split('data-testid="user-roles">')[1].split("</div>")[0]
    assert header == "管理员"
    status = html.split('data-testid="user-status">')[1].split("</span>")[0]
    assert status == "在用"
    assert '<span class="badge bg-blue-lt">运营</span>' in html


def test_users_profile_corrects_name_and_email_beside_the_field(client, admin_user, agent):
    client.force_login(admin_user)
    url_ = reverse("accounts:user-profile", args=[agent.pk])
    response = client.post(url_, {"name": "刘芳", "email": "not-an-email"})
    assert response.status_code == 200
    assert "email" in response.context["profile_form"].errors
    assert fresh(agent).email == ""
    assert client.post(url_, {"name": "刘芳", "email": "liufang@example.com"}).status_code == 302
    agent = fresh(agent)
    assert (agent.first_name, agent.email) == ("刘芳", "liufang@example.com")
    assert "刘芳" in client.get(reverse("accounts:user-list")).content.decode()
