"""Create the four roles as auth groups with their permissions on the members app. Rerunnable. Each app
grants the roles its own permissions in its own migration (campaigns, imports, analytics), so this one
knows nothing of the apps above."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "members.view_member", "members.view_group", "members.view_membership", "members.view_tag",
    "members.view_tagcategory",
]
ROLE_PERMISSIONS = {
    "operator": VIEW_ALL + [
        "members.add_member", "members.change_member", "members.add_group", "members.change_group",
        "members.add_membership", "members.change_membership", "members.add_tag", "members.change_tag",
        "members.add_tagcategory", "members.change_tagcategory",
    ],
    "agent": ["members.view_member", "members.view_group", "members.view_tag", "members.view_tagcategory"],
    "manager": VIEW_ALL,
    "admin": None,  # every permission of the members app, plus user management (full phone numbers included)
}
ADMIN_APPS = ["members", "auth"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations; roles need them now.
    for label in ADMIN_APPS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if names is None:
            perms = Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
        else:
            pairs = [name.split(".") for name in names]
            perms = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in pairs]
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("members", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
