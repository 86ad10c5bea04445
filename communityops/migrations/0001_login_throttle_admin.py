"""Give the admin role every permission on django-axes' records (login throttling, communityops/logins.py), so
an admin can see failed logins and unblock a user or an address in the Django admin by deleting its access
attempts. Rerunnable: it adds, and adding a permission a role already has is a no-op."""

from core.grants import grant_role_permissions
from django.db import migrations


def grant(apps, schema_editor):
    grant_role_permissions(apps, "axes", {"admin": None})


class Migration(migrations.Migration):
    dependencies = [
        ("axes", "0010_accessattemptexpiration"),
        ("members", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
