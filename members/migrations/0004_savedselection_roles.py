"""Roles on saved selections: operators and managers save and share them, agents open them (their call
lists come from them); anyone may delete their own, admins any. Rerunnable: it adds."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

WANTED = {
    "operator": ["view", "add", "change"],
    "manager": ["view", "add", "change"],
    "agent": ["view"],
    "admin": ["view", "add", "change", "delete"],
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_config = apps.get_app_config("members")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    for role, actions in WANTED.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            codenames = [f"{action}_savedselection" for action in actions]
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="members", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("members", "0003_savedselection")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
