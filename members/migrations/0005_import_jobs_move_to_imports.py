"""Import jobs move to the `imports` app (the ground floor): their rows are copied to its table, ids kept,
then members' table goes. Reversible only as far as the rows go back: the copy is undone by the reverse."""

from django.core.management.color import no_style
from django.db import migrations

COLUMNS = [
    "id", "kind", "file", "original_name", "skip_invalid", "status", "rows_total", "rows_done", "report",
    "created_by_id", "created_at", "finished_at",
]


def copy_jobs(apps, schema_editor):
    Old = apps.get_model("members", "ImportJob")
    New = apps.get_model("imports", "ImportJob")
    if Old._meta.db_table not in schema_editor.connection.introspection.table_names():
        return  # replayed after the move (data migrations are rerunnable): nothing left to copy
    rows = [New(**{column: getattr(job, column) for column in COLUMNS}) for job in Old.objects.all()]
    New.objects.bulk_create(rows, batch_size=500)
    if rows:
        # Explicit ids leave a sequence behind on PostgreSQL: move it past them.
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [New]):
                cursor.execute(sql)


def drop_moved_permissions(apps, schema_editor):
    """The permissions that moved with the jobs (imports.import_data, imports.*_importjob) leave members."""
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="members", content_type__model="importjob").delete()
    Permission.objects.filter(content_type__app_label="members", codename="import_data").delete()


def copy_back(apps, schema_editor):
    Old = apps.get_model("members", "ImportJob")
    New = apps.get_model("imports", "ImportJob")
    Old.objects.bulk_create([Old(**{column: getattr(job, column) for column in COLUMNS}) for job in New.objects.all()])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_savedselection_roles"),
        ("imports", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(copy_jobs, copy_back),
        migrations.RunPython(drop_moved_permissions, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="member",
            options={
                "ordering": ["external_id"],
                "permissions": [("view_phone", "Can see members' full phone numbers")],
                "verbose_name": "member",
                "verbose_name_plural": "members",
            },
        ),
        migrations.DeleteModel(name="ImportJob"),
    ]
