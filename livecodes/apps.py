from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivecodesConfig(AppConfig):
    name = "livecodes"
    verbose_name = _("Live codes")

    def ready(self) -> None:
        from members.signals import memberships_changed

        from . import receivers

        memberships_changed.connect(receivers.on_memberships_changed, dispatch_uid="livecodes.memberships_changed")
