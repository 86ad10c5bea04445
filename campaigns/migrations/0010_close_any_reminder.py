"""Issue 11: who may close a reminder. Operators close their own and their groups' (campaigns.change_reminder);
managers and admins may close anyone's (the new campaigns.close_any_reminder, granted here). Rerunnable: it
adds, never removes."""

from core.grants import grant_role_permissions
from django.db import migrations

GRANTS = ("manager", "admin")


def grant(apps, schema_editor):
    grant_role_permissions(apps, "campaigns", {role: ["close_any_reminder"] for role in GRANTS})


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
