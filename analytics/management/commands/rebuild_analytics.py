"""`manage.py rebuild_analytics`: recompute the analytics fact store from the source tables.

Not needed in normal operation: the database logs every change to orders and memberships itself (triggers),
and every read catches up from that log. It is the way back after restoring a backup — the log then
describes a past that the database no longer has — and it gives the database a new instance token, so every
running process (web, worker) drops its copy too, and old snapshot files are ignored.
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
