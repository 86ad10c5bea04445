"""The roles' permissions on outreach: agents work their tasks; operators build and run lists and scripts;
managers read the numbers and the phone audit; admins everything. Rerunnable: it adds, never removes."""

from core.grants import grant_role_permissions
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
    grant_role_permissions(apps, "outreach", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
