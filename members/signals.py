"""Signals the members app sends for the floors above to act on (docs/architecture.md)."""

from django.dispatch import Signal

# A member's full phone number was shown to a user (kwargs: user, member). Outreach records it in the phone
# audit: every full number shown, wherever, is in the log managers read.
phone_shown = Signal()

# Memberships opened (an invited member joined, or a member was added active) or ended (left, removed, moved
# away), sent once the transaction that wrote them has committed, with their ids (kwargs: joined, ended: lists
# of Membership ids). Sent by `services.membership_*` and by the members import (one send per import). The
# floors above act on it: the welcome reminder on an actual join, the alert when a core member leaves, the
# capacity alerts.
memberships_changed = Signal()


def send_memberships_changed(*, joined=(), ended=()) -> None:
    """Send `memberships_changed` when the current transaction commits (at once outside one)."""
    from django.db import transaction

    joined, ended = list(joined), list(ended)
    if joined or ended:
        transaction.on_commit(lambda: memberships_changed.send(sender=None, joined=joined, ended=ended))
