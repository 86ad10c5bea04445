"""The roles' permissions on imports: operators and admins import files; managers see the imports made.
Rerunnable: it adds, never removes."""

from core.grants import grant_role_permissions
from django.db import migrations

GRANTS = {
    "operator": ["import_data", "view_importjob", "add_importjob"],
    "manager": ["view_importjob"],
    "admin": None,  # every permission of the app
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, "imports", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_import_jobs"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
