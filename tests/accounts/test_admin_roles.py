"""The Django admin names roles as the team does (issue 15): 运营/客服/经理/管理员, under 角色, never 群 (which the
catalogue keeps for WeChat groups)."""

from django.urls import reverse

from core.roles import Role


def test_admin_user_list_has_a_role_column_and_filter_in_chinese(client, role_users):
    client.force_login(role_users[Role.ADMIN])
    html = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "column-roles" in html
    row = html.split(">alice</a>")[1].split("</tr>")[0]
    assert "运营" in row
    assert "operator" not in row
    filtered = client.get(reverse("admin:auth_user_changelist"), {"role": Role.MANAGER}).content.decode()
    assert ">carol</a>" in filtered
    assert ">alice</a>" not in filtered


def test_admin_user_form_calls_auth_groups_roles(client, role_users):
    client.force_login(role_users[Role.ADMIN])
    html = client.get(reverse("admin:auth_user_change", args=[role_users[Role.AGENT].pk])).content.decode()
    label = html.split('for="id_groups"')[1].split("</label>")[0]
    assert "角色" in label
    assert "群" not in label
    options = html.split('name="groups"')[1].split("</select>")[0]
    assert "客服" in options
    assert "经理" in options
    assert ">agent<" not in options


def test_admin_lists_roles_as_jiaose_with_their_chinese_names(client, role_users):
    client.force_login(role_users[Role.ADMIN])
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:accounts_rolegroup_changelist") in index
    assert "/admin/auth/group/" not in index
    html = client.get(reverse("admin:accounts_rolegroup_changelist")).content.decode()
    assert "角色" in html
    for label in ("运营", "客服", "经理", "管理员"):
        assert label in html
