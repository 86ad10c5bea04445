"""Giving the roles an app's permissions from its data migrations: the one helper they all call.

Permissions are normally created after all migrations (post_migrate); a role needs them at once, so they are
created here from the migration's historical models first. Rerunnable: it adds, never removes.
"""

from django.contrib.auth.management import create_permissions


def grant_role_permissions(apps, app_label: str, grants: dict[str, list[str] | None]) -> None:
    """`grants` maps a role (auth group) name to the codenames it gets in `app_label`, or None for all."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    config = apps.get_app_config(app_label)
    models_module = getattr(config, "models_module", None)
    config.models_module = models_module or True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    for role, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(content_type__app_label=app_label)
        if codenames is not None:
            permissions = permissions.filter(codename__in=codenames)
        group.permissions.add(*permissions)
