"""Give the admin role every permission on django-axes' records (login throttling, communityops/logins.py), so
an admin can see failed logins and unblock a user or an address in the Django admin by deleting its access
attempts. Rerunnable: it adds, and adding a permission a role already has is a no-op."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_config = apps.get_app_config("axes")
    # Permissions are normally created after all migrations; the role needs them now. (Restore the flag:
    # the browser tests replay this with the historical registry.)
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module

    group = Group.objects.filter(name="admin").first()
    if group is not None:
        group.permissions.add(*Permission.objects.filter(content_type__app_label="axes"))


class Migration(migrations.Migration):
    dependencies = [
        ("axes", "0010_accessattemptexpiration"),
        ("members", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
