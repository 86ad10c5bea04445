"""The recap by role (communityops/navigation.py): operators read it and write its retrospective (the menu
has shown them 复盘 all along), managers also regenerate a kept recap; admins hold every permission."""

from django.db import migrations

from core.grants import grant_role_permissions

GRANTS = {
    "operator": ["view_recap", "write_recapnote"],
    "manager": ["view_recap", "write_recapnote", "regenerate_recap"],
    "admin": ["view_recap", "write_recapnote", "regenerate_recap"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, "analytics", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_recaps"),
        ("members", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
