"""The Monday recap (`analytics.deliver_weekly_recap`, Monday 09:00 Asia/Shanghai): last week's recap, kept as
the page keeps it, e-mailed as PDF to every active manager with the headline numbers in the body, and put in
each manager's inbox as a notice linking to the recap page.

Exactly one e-mail per manager and week, also when the job is killed and run again: each (week, manager) has a
`RecapDelivery` row, claimed by a conditional UPDATE that commits on its own before the e-mail goes out, and
marked sent, again on its own, once the SMTP server has accepted the message. A rerun skips sent rows and
takes over a claimed one only after its lease ran out (its job died). The job must run in autocommit (the
Celery task, the command), never inside a transaction, or the claims would not be committed before sending.

The crash window that remains: a job killed after the SMTP server accepted a message and before the row was
marked sent (the time of one UPDATE) leaves the row `sending`; once its lease runs out the next run sends that
manager a second copy. It carries the same Message-ID, so mail systems that drop duplicates drop it. The
other way round (marking sent before sending) would lose the e-mail instead; a missing recap is the worse.
"""

import datetime as dt
import logging
import smtplib
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.models import Reminder
from core.money import yuan
from core.roles import Role

from ..models import RecapDelivery
from . import present, snapshots
from .pdf import render_pdf
from .periods import RecapPeriod, last_complete_week

log = logging.getLogger(__name__)

# The numbers of the e-mail's body, in this order (keys of `snapshots.headline`).
HEADLINE_KEYS = [
    "campaign_gmv", "target", "attainment", "platform.gmv", "platform.delta", "platform.orders", "platform.buyers",
    "platform.core_members", "platform.repurchases", "platform.aov", "rate.churn_rate",
    "problems.reminders_late", "problems.reminders_missed", "problems.sold_out", "problems.rising_churn",
]  # fmt: skip


@dataclass
class DeliveryReport:
    period: str
    sent: list[str] = field(default_factory=list)  # addresses
    already_sent: int = 0
    busy: int = 0  # claimed by another run whose lease has not run out
    no_address: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # address: error

    def summary(self) -> str:
        return (
            f"{self.period}: sent {len(self.sent)}, already sent {self.already_sent}, claimed elsewhere {self.busy}, "
            f"no address {self.no_address}, failed {len(self.failed)}"
        )


def recap_managers():
    """The active users holding the manager role, who get the Monday recap."""
    return get_user_model().objects.filter(is_active=True, groups__name=Role.MANAGER).distinct().order_by("pk")


def recap_page_path(period: RecapPeriod) -> str:
    return f"{reverse('analytics:recap')}?period={period.key}"


def headline_rows(doc: dict) -> list[tuple[str, str]]:
    """(label, value as the recap shows it) for the e-mail's body; a change of money signed, as on the page."""
    numbers = snapshots.headline(doc)

    def shown(key: str) -> str:
        if key == "platform.delta":
            return yuan(numbers.get(key), signed=True)
        return present.show(numbers.get(key), present.headline_unit(key))

    return [(present.headline_label(key), shown(key)) for key in HEADLINE_KEYS]


def _message_parts(doc: dict, period: RecapPeriod) -> dict:
    total = doc["targets"]["total"]
    link = settings.SITE_URL.rstrip("/") + recap_page_path(period)
    context = {"period": doc["period"], "rows": headline_rows(doc), "link": link,
               "sentence": doc["groups"]["platform"]["sentence"]}  # fmt: skip
    subject = _("Recap %(period)s: campaign GMV %(gmv)s against %(target)s (%(attainment)s)") % {
        "period": doc["period"]["label"],
        "gmv": present.show(total["gmv"], "money"),
        "target": present.show(total["target"], "money"),
        "attainment": present.show(total["attainment"], "ratio"),
    }
    return {
        "subject": subject,
        "text": render_to_string("analytics/recap/email.txt", context),
        "html": render_to_string("analytics/recap/email.html", context),
    }


def _inbox_notice(*, user, period: RecapPeriod, doc: dict, now: dt.datetime) -> Reminder:
    """The manager's inbox item linking to the recap page; its unique key makes a rerun add nothing."""
    lines = [f"{label}: {value}" for label, value in headline_rows(doc)[:5]]
    notice, _created = Reminder.objects.get_or_create(
        key=f"analytics:recap:{period.key}:u{user.pk}",
        defaults={
            "kind": Reminder.Kind.NOTICE, "title": _("The recap of %(period)s is ready") % {"period": period.label},
            "text": "\n".join(lines), "link": recap_page_path(period), "assignee": user,
            "channel": Reminder.Channel.INBOX, "due_at": now, "next_attempt_at": now,
        },
    )  # fmt: skip
    return notice


def _claim(row: RecapDelivery) -> str | None:
    """Take the row for this run (committed at once, autocommit): pending, or sending under a lease that ran out."""
    token = uuid.uuid4().hex
    claimed_at = timezone.now()
    free = Q(status=RecapDelivery.Status.PENDING) | Q(status=RecapDelivery.Status.SENDING, lease_until__lt=claimed_at)
    taken = (
        RecapDelivery.objects.filter(free, pk=row.pk)
        .update(
            status=RecapDelivery.Status.SENDING, claim_token=token, attempts=F("attempts") + 1,
            lease_until=claimed_at + dt.timedelta(seconds=settings.RECAP_DELIVERY_LEASE_SECONDS),
        )
    )  # fmt: skip
    return token if taken else None


def _rows(period: RecapPeriod, managers) -> list[RecapDelivery]:
    rows = []
    for user in managers:
        address = (user.email or "").strip()
        row, _created = RecapDelivery.objects.get_or_create(
            period=period.key, user=user,
            defaults={"address": address,
                      "status": RecapDelivery.Status.PENDING if address else RecapDelivery.Status.NO_ADDRESS},
        )  # fmt: skip
        if row.status == RecapDelivery.Status.NO_ADDRESS and address:
            # An address added since a previous run: this run sends.
            RecapDelivery.objects.filter(pk=row.pk, status=RecapDelivery.Status.NO_ADDRESS).update(
                status=RecapDelivery.Status.PENDING, address=address
            )
            row.refresh_from_db()
        rows.append(row)
    return rows


def recap_week_deliver(*, period: RecapPeriod | None = None, now: dt.datetime | None = None) -> DeliveryReport:
    """E-mail last week's recap (or `period`'s) to every active manager once, and put it in their inboxes."""
    now = now or timezone.now()
    period = period or last_complete_week(now)
    with translation.override(settings.LANGUAGE_CODE):
        doc = snapshots.recap_get(period, now=now).document
        managers = list(recap_managers())
        for user in managers:
            _inbox_notice(user=user, period=period, doc=doc, now=now)
        report = DeliveryReport(period=period.key)
        parts, attachment = None, None
        with get_connection(fail_silently=False) as connection:
            for row in _rows(period, managers):
                if row.status == RecapDelivery.Status.SENT:
                    report.already_sent += 1
                    continue
                if row.status == RecapDelivery.Status.NO_ADDRESS:
                    report.no_address += 1
                    continue
                token = _claim(row)
                if token is None:
                    report.busy += 1
                    continue
                if parts is None:  # built once, and only when someone is still to be sent the recap
                    parts, attachment = _message_parts(doc, period), render_pdf(doc, base=settings.SITE_URL)
                _send(row, token, parts, attachment, connection, period, report)
    log.info("recap e-mail %s", report.summary())
    return report


def _send(row, token, parts, attachment, connection, period, report) -> None:
    key = f"recap-{period.key}-{row.user_id}"
    message = EmailMultiAlternatives(
        subject=parts["subject"], body=parts["text"], from_email=settings.DEFAULT_FROM_EMAIL, to=[row.address],
        connection=connection,
        # The same Message-ID on a resend (the crash window above) lets mail systems drop the copy.
        headers={"Message-ID": f"<{key}@communityops>", "X-Idempotency-Key": key},
    )  # fmt: skip
    message.attach_alternative(parts["html"], "text/html")
    message.attach(f"recap-{period.key}.pdf", attachment, "application/pdf")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        RecapDelivery.objects.filter(pk=row.pk, claim_token=token).update(
            status=RecapDelivery.Status.PENDING, claim_token="", lease_until=None, last_error=str(error)[:1000]
        )
        report.failed[row.address] = str(error)
        log.warning("recap e-mail to %s failed: %s", row.address, error)
        return
    marked = RecapDelivery.objects.filter(pk=row.pk, claim_token=token).update(
        status=RecapDelivery.Status.SENT, sent_at=timezone.now(), claim_token="", lease_until=None, last_error=""
    )
    if not marked:  # slower than the lease: another run may have sent it too; this one did send it
        RecapDelivery.objects.filter(pk=row.pk).update(status=RecapDelivery.Status.SENT, sent_at=timezone.now())
        log.warning("recap e-mail to %s sent after its lease ran out", row.address)
    report.sent.append(row.address)
