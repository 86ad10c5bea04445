"""Signals the members app sends for the floors above to act on (docs/architecture.md)."""

from django.dispatch import Signal

# A member's full phone number was shown to a user (kwargs: user, member). Outreach records it in the phone
# audit: every full number shown, wherever, is in the log managers read.
phone_shown = Signal()
