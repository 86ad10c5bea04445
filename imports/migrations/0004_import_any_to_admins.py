"""Admins may open, confirm and retry anyone's import jobs (`import_any`); operators only their own.
Rerunnable: it adds, never removes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations; the role needs the new one now.
    config = apps.get_app_config("imports")
    models_module = getattr(config, "models_module", None)
    config.models_module = models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="imports", codename="import_any"))


class Migration(migrations.Migration):
    dependencies = [("imports", "0003_job_owner_lease_sweep")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
