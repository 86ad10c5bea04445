"""The roles' permissions on outreach: agents work their tasks; operators build and run lists and scripts;
managers read the numbers and the phone audit; admins everything. Rerunnable: it adds, never removes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "agent": ["work_calltask", "view_script"],
    "operator": [
        "view_calllist", "add_calllist", "change_calllist", "view_calltask", "change_calltask", "view_callattempt",
        "view_script", "add_script", "change_script", "delete_script",
    ],
    "manager": ["view_calllist", "view_calltask", "view_callattempt", "view_script", "view_phonereveal"],
    "admin": None,  # every permission of the app
}  # fmt: skip


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations; the roles need them now.
    config = apps.get_app_config("outreach")
    models_module = getattr(config, "models_module", None)
    config.models_module = models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(content_type__app_label="outreach")
        if codenames is not None:
            permissions = permissions.filter(codename__in=codenames)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
