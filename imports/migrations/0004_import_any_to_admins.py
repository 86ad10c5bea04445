"""Admins may open, confirm and retry anyone's import jobs (`import_any`); operators only their own.
Rerunnable: it adds, never removes."""

from core.grants import grant_role_permissions
from django.db import migrations


def grant(apps, schema_editor):
    grant_role_permissions(apps, "imports", {"admin": ["import_any"]})


class Migration(migrations.Migration):
    dependencies = [("imports", "0003_job_owner_lease_sweep")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
