"""The change log of the tables the fact store copies: a table written only by triggers on orders and
memberships (SQLite: per row; PostgreSQL: per statement, with transition tables), and its one-row state.

The triggers are vendor SQL, kept in `analytics.triggers`; `install()` is idempotent and also runs after
every migrate, because a table rebuilt by SQLite's schema editor loses its triggers."""

from django.db import migrations, models


def install(apps, schema_editor):
    from analytics import triggers

    triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from analytics import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_grant_roles"),
        ("campaigns", "0008_drop_order_updated_at_index"),
        ("members", "0004_savedselection_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="SourceChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "source",
                    models.PositiveSmallIntegerField(choices=[(1, "orders"), (2, "memberships")]),
                ),
                ("row_id", models.BigIntegerField(null=True)),
                ("xact", models.BigIntegerField(null=True)),
            ],
            options={
                "verbose_name": "source change",
                "verbose_name_plural": "source changes",
                "default_permissions": (),
                "indexes": [
                    models.Index(
                        condition=models.Q(("xact__isnull", False)), fields=["xact"], name="sourcechange_xact"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ChangeLogState",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("instance", models.CharField(blank=True, default="", max_length=32)),
                ("pruned_through", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "change log state",
                "verbose_name_plural": "change log state",
                "default_permissions": (),
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="changelogstate_one_row")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
