"""What community hooks into the floors below (connected in CommunityConfig.ready()). Each imports the services
only when called: `django.setup()` stays light (tests/architecture/test_startup.py), since the services reach
the members' services (phone numbers, filters)."""


def on_reminder_completed(sender, *, reminder_id, status, **kwargs) -> None:
    """campaigns.signals.reminder_completed: a removal reminder marked done removes the member."""
    from .services.violations import removal_carry_out

    removal_carry_out(reminder_id=reminder_id, status=status)


def on_memberships_changed(sender, *, joined=(), ended=(), **kwargs) -> None:
    """members.signals.memberships_changed: the alerts and the welcome reminder."""
    from .services.alerts import on_memberships_changed as handle

    handle(sender, joined=joined, ended=ended)


def group_context(group) -> dict[str, str]:
    """campaigns.playbooks' per-group placeholders {welcome} and {rules}."""
    from .services.alerts import group_context as context

    return context(group)
