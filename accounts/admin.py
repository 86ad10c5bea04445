"""The Django admin's users and roles in the team's words: a role column and filter on the users, roles listed as
角色 with their Chinese names, never as 群 (the catalogue's word for a WeChat group, which is also what Django
calls an auth group)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from core.roles import Role, role_label
from core.users import user_display_name

from .models import RoleGroup

User = get_user_model()

admin.site.unregister(User)
admin.site.unregister(Group)


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class TeamUserAdmin(UserAdmin):
    list_display = ["username", "name", "roles", "is_active", "is_staff", "last_login"]
    list_filter = [RoleFilter, "is_active", "is_staff", "is_superuser"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("name"))
    def name(self, user) -> str:
        return user_display_name(user)

    @admin.display(description=_("roles"))
    def roles(self, user) -> str:
        return "、".join(role_label(group.name) for group in user.groups.all()) or "—"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["label"] = _("roles")
            kwargs["help_text"] = _("Each role gives the permissions of its work (运营, 客服, 经理, 管理员).")
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = lambda group: role_label(group.name)
        return field


@admin.register(RoleGroup)
class RoleAdmin(GroupAdmin):
    list_display = ["role", "name"]

    @admin.display(description=_("role"), ordering="name")
    def role(self, group) -> str:
        return role_label(group.name)
