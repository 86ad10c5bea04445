"""Issue 11: who may close a reminder. Operators close their own and their groups' (campaigns.change_reminder);
managers and admins may close anyone's (the new campaigns.close_any_reminder, granted here). Rerunnable: it
adds, never removes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = ("manager", "admin")


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    config = apps.get_app_config("campaigns")
    # Permissions are normally created after all migrations; the roles need this one now.
    models_module = getattr(config, "models_module", None)
    config.models_module = models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    permission = Permission.objects.get(content_type__app_label="campaigns", codename="close_any_reminder")
    for role in GRANTS:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0009_order_roles")]

    operations = [
        migrations.AlterModelOptions(
            name="reminder",
            options={
                "ordering": ["due_at", "id"],
                "permissions": [("close_any_reminder", "Can close anyone's reminder")],
                "verbose_name": "reminder",
                "verbose_name_plural": "reminders",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
