"""`manage.py rebuild_analytics`: recompute the analytics fact store from the source tables.

Never needed for correctness in normal operation (every read refreshes from what changed), but the way back
after a restore from backup, a bulk change that did not stamp `updated_at`, or a new release.
"""

import time

from django.core.management.base import BaseCommand

from analytics import store


class Command(BaseCommand):
    help = "Rebuild the analytics fact store (and its snapshot file) from orders and memberships."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        started = time.perf_counter()
        store.facts(using=options["database"], rebuild=True)
        stats = store.stats(using=options["database"])
        self.stderr.write(
            "rebuilt analytics: {orders} orders ({counting_orders} counting), {memberships} memberships, "
            "{pairs} member-group pairs in {seconds:.2f}s".format(seconds=time.perf_counter() - started, **stats)
        )
