"""The roles' permissions to read orders and campaigns (granted by the members app's roles migration
before each app granted its own). Rerunnable: it adds, never removes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "operator": ["view_campaign", "add_campaign", "change_campaign", "view_order"],
    "manager": ["view_campaign", "view_order"],
    "admin": None,  # every permission of the app
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    config = apps.get_app_config("campaigns")
    models_module = getattr(config, "models_module", None)
    config.models_module = models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(content_type__app_label="campaigns")
        if codenames is not None:
            permissions = permissions.filter(codename__in=codenames)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0008_drop_order_updated_at_index")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
