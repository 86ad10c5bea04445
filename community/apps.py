from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Group rules and alerts")

    def ready(self) -> None:
        # What community adds to the floors below: the rules part of the group page, the {welcome} and {rules}
        # of playbook steps, the member removed once the owner did it, the alerts when memberships change.
        from campaigns import playbooks
        from campaigns.signals import reminder_completed
        from members import panels
        from members.signals import memberships_changed

        from . import receivers
        from .permissions import VIEW_RULES
        from .selectors import group_rules_panel

        panels.register(
            "group",
            panels.Panel(
                key="rules", perms=(VIEW_RULES,), data=group_rules_panel, position=-10,
                templates={"side": "community/panels/_group_rules.html"},
            ),
        )  # fmt: skip
        playbooks.register_group_context(receivers.group_context)
        reminder_completed.connect(receivers.on_reminder_completed, dispatch_uid="community.removal_carry_out")
        memberships_changed.connect(receivers.on_memberships_changed, dispatch_uid="community.alerts")
