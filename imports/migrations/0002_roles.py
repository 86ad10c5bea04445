"""The roles' permissions on imports: operators and admins import files; managers see the imports made.
Rerunnable: it adds, never removes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "operator": ["import_data", "view_importjob", "add_importjob"],
    "manager": ["view_importjob"],
    "admin": None,  # every permission of the app
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations; the roles need them now.
    config = apps.get_app_config("imports")
    models_module = getattr(config, "models_module", None)
    config.models_module = models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(content_type__app_label="imports")
        if codenames is not None:
            permissions = permissions.filter(codename__in=codenames)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_import_jobs"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
