"""The index on Order.updated_at served only the analytics store's old freshness check (which read recently
stamped rows). The store now follows a change log its triggers write, so the index is dead weight: one
more B-tree to build on every million-row import."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_order_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="order", name="order_updated_at"),
    ]
