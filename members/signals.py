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

# Groups whose settings changed (capacity, tier, stage, flash end date, closed), sent once the transaction that
# wrote them has committed, with their ids (kwargs: groups: list of Group ids). Sent for every save of a Group
# (the app's forms, the admin, closing) and by the groups import (one send per import). Live codes decide from
# the database again, so a group just closed or made smaller is not shown from a cached pool.
groups_changed = Signal()


def _send_on_commit(signal: Signal, **kwargs) -> None:
    from django.db import transaction

    transaction.on_commit(lambda: signal.send(sender=None, **kwargs))


def send_groups_changed(groups) -> None:
    """Send `groups_changed` when the current transaction commits (at once outside one)."""
    groups = list(groups)
    if groups:
        _send_on_commit(groups_changed, groups=groups)


def send_memberships_changed(*, joined=(), ended=()) -> None:
    """Send `memberships_changed` when the current transaction commits (at once outside one)."""
    joined, ended = list(joined), list(ended)
    if joined or ended:
        _send_on_commit(memberships_changed, joined=joined, ended=ended)
