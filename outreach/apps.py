from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "outreach"
    verbose_name = _("Outreach: call lists, scripts, questionnaires")

    def ready(self) -> None:
        # What outreach adds to the floors below: every full phone number shown on their pages is audited.
        from members.signals import phone_shown

        from .receivers import record_phone_shown

        phone_shown.connect(record_phone_shown, dispatch_uid="outreach-phone-audit")
