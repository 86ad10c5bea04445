"""Give the admin role every permission on the roles as the Django admin lists them (the RoleGroup proxy), as it
has on auth's groups. Rerunnable: it adds, never removes."""

from core.grants import grant_role_permissions
from django.db import migrations


def grant(apps, schema_editor):
    grant_role_permissions(apps, "accounts", {"admin": None})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_role_proxy"),
        ("members", "0007_group_lifecycle"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
