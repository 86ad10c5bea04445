"""The roles' permissions on rules and strikes: operators apply and edit rules and record violations; managers
read them; agents none (they invite, they do not police groups); admins everything. Rerunnable: it adds, never
removes."""

from core.grants import grant_role_permissions
from django.db import migrations

GRANTS = {
    "operator": [
        "view_rule", "add_rule", "change_rule", "view_violation", "add_violation", "view_removal",
        "view_groupwelcome", "change_groupwelcome",
    ],
    "manager": ["view_rule", "view_violation", "view_removal", "view_groupwelcome"],
    "admin": None,  # every permission of the app
}  # fmt: skip


def grant(apps, schema_editor):
    grant_role_permissions(apps, "community", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0001_rules_violations_alerts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
