from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivecodesConfig(AppConfig):
    name = "livecodes"
    verbose_name = _("Live codes")

    def ready(self) -> None:
        from members import panels
        from members.signals import groups_changed, memberships_changed

        from . import receivers
        from .permissions import VIEW_REFERRALS
        from .selectors import member_referrals_panel

        memberships_changed.connect(receivers.on_memberships_changed, dispatch_uid="livecodes.memberships_changed")
        groups_changed.connect(receivers.on_groups_changed, dispatch_uid="livecodes.groups_changed")
        panels.register(
            "member",
            panels.Panel(
                key="referrals", perms=(VIEW_REFERRALS,), data=member_referrals_panel, position=10,
                templates={"main": "livecodes/panels/_member_referrals.html"},
            ),
        )  # fmt: skip
