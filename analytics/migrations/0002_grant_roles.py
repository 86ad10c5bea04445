"""Give the roles the analytics permissions: the numbers to operators, managers and admins, the recap to
managers and admins. Rerunnable: it adds, never removes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "view_dashboard": ["operator", "manager", "admin"],
    "view_recap": ["manager", "admin"],
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations; the roles need them now.
    config = apps.get_app_config("analytics")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    for codename, roles in GRANTS.items():
        permission = Permission.objects.get(content_type__app_label="analytics", codename=codename)
        for role in roles:
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_access_permissions"),
        ("members", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
