import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


def reinstall_triggers(sender, using="default", **kwargs) -> None:
    """After every migrate: Django's SQLite schema editor rebuilds a table (new table, copy, drop the old,
    rename) for many ALTERs, and dropping the old table drops its triggers with it. Put back any that are
    missing (install() then logs "everything changed", so no store trusts the unlogged meantime)."""
    from django.db import connections

    from . import triggers

    connection = connections[using]
    if not triggers.supported(connection) or not triggers.log_exists(connection):
        return  # migrated back before the change log, or not there yet
    created = triggers.install(connection)
    if created:
        logger.warning("analytics: re-installed the change-log triggers %s", ", ".join(created))


def absorb_import(sender, **kwargs) -> None:
    """An import committed (`imports.signals.import_written`): orders or memberships may have changed."""
    import time

    from . import store

    started = time.perf_counter()
    store.absorb_writes()
    logger.info("analytics: took in the %s import in %.2f s", sender, time.perf_counter() - started)


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # What analytics adds to the floors below: segments for the members pages and filters; the groups list's
        # flag of a churn rate rising three weeks running; the store
        # caught up as soon as an import commits (so the next page or command maps a current snapshot); the
        # change-log triggers put back after every migrate.
        from imports.signals import import_written
        from members import panels, segments

        from .churn_flags import churn_rising_flags
        from .selectors import SegmentProvider

        segments.register(SegmentProvider())
        panels.register_group_flags(
            panels.ListFlags(key="churn_rising", flags=churn_rising_flags, perms=("analytics.view_dashboard",))
        )
        import_written.connect(absorb_import, dispatch_uid="analytics.absorb_import")
        post_migrate.connect(reinstall_triggers, sender=self, dispatch_uid="analytics.reinstall_triggers")
