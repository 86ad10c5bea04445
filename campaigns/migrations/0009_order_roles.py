"""The roles' permissions to read orders and campaigns (granted by the members app's roles migration
before each app granted its own). Rerunnable: it adds, never removes."""

from core.grants import grant_role_permissions
from django.db import migrations

GRANTS = {
    "operator": ["view_campaign", "add_campaign", "change_campaign", "view_order"],
    "manager": ["view_campaign", "view_order"],
    "admin": None,  # every permission of the app
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, "campaigns", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0008_drop_order_updated_at_index")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
