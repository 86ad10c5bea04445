"""What outreach does when a lower floor signals (connected in OutreachConfig.ready; kept light, as it loads with
Django)."""

from .models import PhoneReveal


def record_phone_shown(sender, *, user, member, **kwargs) -> None:
    """members.signals.phone_shown: a full number shown on a page of a lower floor (an admin's member page)."""
    PhoneReveal.objects.create(user=user, member=member, action=PhoneReveal.Action.VIEW)
