"""Signals the campaigns app sends for the floors above to act on (docs/architecture.md)."""

from django.db import transaction
from django.dispatch import Signal

# A reminder was closed by a person (kwargs: reminder_id, status "done" or "skipped", by_id), sent once the
# closing has committed. `community` acts on it: a removal reminder marked done removes the member.
reminder_completed = Signal()


def send_reminder_completed(*, reminder_id: int, status: str, by_id: int | None) -> None:
    """Send `reminder_completed` when the current transaction commits (at once outside one)."""
    transaction.on_commit(
        lambda: reminder_completed.send(sender=None, reminder_id=reminder_id, status=status, by_id=by_id)
    )
