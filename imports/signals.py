"""`import_written(sender=kind, report=ImportReport)`: sent once an import's rows are committed, so the apps
above can bring what they derive from them up to date at once (analytics absorbs the orders), rather than
on the first page a user opens."""

from django.dispatch import Signal

import_written = Signal()
