"""The roles' permissions on live codes: operators run them and pay referral rewards; managers read them;
agents have nothing to do here; admins everything. Rerunnable: it adds, never removes."""

from core.grants import grant_role_permissions
from django.db import migrations

GRANTS = {
    "operator": [
        "view_livecode", "add_livecode", "change_livecode", "view_referral", "change_referral",
    ],
    "manager": ["view_livecode", "view_referral"],
    "admin": None,  # every permission of the app
}  # fmt: skip


def grant(apps, schema_editor):
    grant_role_permissions(apps, "livecodes", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("livecodes", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
