"""Give the roles their permissions on the campaigns models added by issue 6. Rerunnable: it adds, and
adding a permission a role already has is a no-op.

operator: plans and runs campaigns, playbooks, reminders and coupons; manager: reads them; agent: nothing;
admin: everything.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = [
    "product", "campaignseries", "campaign", "campaignitem", "playbook", "playbookstep", "playbookassignment",
    "reminder", "delivery", "webhookrobot", "orderline", "coupontemplate", "couponbatch", "coupon",
]
OPERATOR_EXTRA_DELETE = ["campaignitem", "playbookstep"]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_config = apps.get_app_config("campaigns")
    # Permissions are normally created after all migrations; the roles need them now. (Restore the flag:
    # tests call this with the real app registry.)
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module

    def perms(*codenames):
        return list(Permission.objects.filter(content_type__app_label="campaigns", codename__in=codenames))

    wanted = {
        "operator": perms(
            *[f"{action}_{model}" for model in MODELS for action in ("view", "add", "change")],
            *[f"delete_{model}" for model in OPERATOR_EXTRA_DELETE],
        ),
        "manager": perms(*[f"view_{model}" for model in MODELS]),
        "admin": list(Permission.objects.filter(content_type__app_label="campaigns")),
    }
    for role, permissions in wanted.items():
        group = Group.objects.filter(name=role).first()
        if group is not None:
            group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_reminder_sweep_indexes"),
        ("members", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
