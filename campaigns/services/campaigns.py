"""Writing campaigns: creating, scheduling and publishing them, their items and groups, weekly series,
moving them draft → live → ended, watching their stock. Each is a transaction; views, tasks and commands
call these."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Group

from .. import playbooks as pb
from ..checks import Problem, campaign_groups_check, campaign_problems
from ..models import Campaign, CampaignItem, CampaignSeries, Order, OrderLine, Playbook, PlaybookStep, Reminder
from .playbooks import _anchor_for, _reminder_for, playbook_apply, reminders_cancel


class CampaignNotPublishable(Exception):
    """Publishing refused; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


# ---------------------------------------------------------------- campaigns


@transaction.atomic
def campaign_create(
    *,
    code: str,
    name: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    groups: Iterable[Group] = (),
    gmv_target=None,
    loss_cap=None,
    landing_url: str = "",
    owner=None,
    preview_at: dt.datetime | None = None,
    series: CampaignSeries | None = None,
) -> Campaign:
    """Create a draft campaign for the given groups."""
    campaign = Campaign(
        code=code, name=name, starts_at=starts_at, ends_at=ends_at, landing_url=landing_url, owner=owner,
        preview_at=preview_at, series=series,
    )  # fmt: skip
    if gmv_target is not None:
        campaign.gmv_target = gmv_target
    if loss_cap is not None:
        campaign.loss_cap = loss_cap
    groups = list(groups)
    campaign_groups_check(groups)
    campaign.full_clean()
    campaign.save()
    campaign.groups.set(groups)
    return campaign


def campaign_item_add(
    *,
    campaign: Campaign,
    product,
    price,
    expected_quantity: int = 0,
    supplier_cap: int | None = None,
    is_clearance: bool = False,
    second_discount_rate=None,
) -> CampaignItem:
    """Put a product into a campaign at the campaign price (the price check runs at publishing)."""
    position = campaign.items.count()
    item = CampaignItem(
        campaign=campaign, product=product, price=price, expected_quantity=expected_quantity,
        supplier_cap=supplier_cap, is_clearance=is_clearance, second_discount_rate=second_discount_rate,
        position=position,
    )  # fmt: skip
    item.full_clean()
    item.save()
    return item


def campaign_item_remove(*, campaign: Campaign, item_pk: int) -> bool:
    """Take an item out of a draft campaign; False when there is no such item or the campaign is not a draft."""
    deleted, _by_model = CampaignItem.objects.filter(
        pk=item_pk, campaign=campaign, campaign__status=Campaign.Status.DRAFT
    ).delete()
    return bool(deleted)


def campaign_publish(*, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Run every check; publish the draft, or raise CampaignNotPublishable listing every reason."""
    now = now or timezone.now()
    with transaction.atomic():
        problems = campaign_problems(campaign, now=now)
        if problems:
            raise CampaignNotPublishable(problems)
        # A concurrent publish of the same draft must not happen twice.
        updated = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.PUBLISHED, published_at=now
        )
        if updated != 1:
            raise CampaignNotPublishable([Problem("not_draft", _("Only a draft campaign can be published."))])
    campaign.refresh_from_db(fields=["status", "published_at"])
    return campaign


@transaction.atomic
def campaign_reschedule(
    *, campaign: Campaign, starts_at: dt.datetime, ends_at: dt.datetime, preview_at: dt.datetime | None = None
) -> int:
    """Move a campaign; its pending reminders move with it (and are re-rendered with the new time).

    Returns the number of reminders moved.
    """
    campaign.starts_at, campaign.ends_at = starts_at, ends_at
    if preview_at is not None:
        campaign.preview_at = preview_at
    campaign.full_clean()
    campaign.save(update_fields=["starts_at", "ends_at", "preview_at"])
    pending = list(
        campaign.reminders.filter(status=Reminder.Status.PENDING, step__isnull=False)
        .select_related("step", "group__owner")
        .exclude(step__anchor=PlaybookStep.Anchor.GROUP_CREATED)
    )
    context = pb.campaign_context(campaign)
    moved = []
    for reminder in pending:
        due = dict(pb.occurrences(reminder.step, _anchor_for(reminder.step, campaign, reminder.group, None)))
        if reminder.occurrence not in due:
            continue
        fresh = _reminder_for(reminder.step, campaign, reminder.group, reminder.occurrence, due[reminder.occurrence],
                              context, by=None)  # fmt: skip
        reminder.due_at = reminder.next_attempt_at = fresh.due_at
        reminder.title, reminder.text, reminder.red_packet_name = fresh.title, fresh.text, fresh.red_packet_name
        moved.append(reminder)
    Reminder.objects.bulk_update(moved, ["due_at", "next_attempt_at", "title", "text", "red_packet_name"])
    return len(moved)


@transaction.atomic
def campaign_groups_set(*, campaign: Campaign, groups: Iterable[Group], by=None, now=None) -> None:
    """Set the campaign's groups: a removed group's open reminders are cancelled, an added group gets the
    playbooks already applied to the campaign. Legacy groups take no campaign."""
    groups = list(groups)
    campaign_groups_check(groups)
    before = set(campaign.groups.values_list("pk", flat=True))
    campaign.groups.set(groups)
    removed = before - {group.pk for group in groups}
    if removed:
        reminders_cancel(campaign=campaign, group_ids=removed)
    added = [group for group in groups if group.pk not in before]
    if added:
        for playbook in Playbook.objects.filter(assignments__campaign=campaign).distinct():
            playbook_apply(playbook=playbook, campaign=campaign, groups=added, by=by, now=now)


@transaction.atomic
def campaign_schedule(
    *,
    campaign: Campaign,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    groups: Iterable[Group],
    by=None,
    gmv_target=None,
    loss_cap=None,
    landing_url: str | None = None,
) -> int:
    """Move a campaign, set its groups and (when given) its target, loss cap and link in one go (the campaign
    page's form); returns how many pending reminders moved with it."""
    plan = {"gmv_target": gmv_target, "loss_cap": loss_cap, "landing_url": landing_url}
    changed = [name for name, value in plan.items() if value is not None and getattr(campaign, name) != value]
    if changed:
        for name in changed:
            setattr(campaign, name, plan[name])
        campaign.full_clean()
        campaign.save(update_fields=changed)
    moved = 0
    if (starts_at, ends_at) != (campaign.starts_at, campaign.ends_at):
        moved = campaign_reschedule(campaign=campaign, starts_at=starts_at, ends_at=ends_at)
    campaign_groups_set(campaign=campaign, groups=groups, by=by)
    return moved


@transaction.atomic
def series_create(*, series: CampaignSeries, groups: Iterable[Group], by=None, now=None) -> list[Campaign]:
    """Save a new weekly series with its groups and create its campaigns."""
    groups = list(groups)
    campaign_groups_check(groups)
    series.full_clean()
    series.save()
    series.groups.set(groups)
    return campaign_series_create(series=series, by=by, now=now)


@transaction.atomic
def campaign_series_create(*, series: CampaignSeries, by=None, now=None) -> list[Campaign]:
    """Create (or complete) the series' weekly campaigns; rerunning creates nothing twice."""
    series.full_clean()
    tz = timezone.get_current_timezone()
    campaigns = []
    groups = list(series.groups.all())
    for number, day in enumerate(series.occurrence_dates(), start=1):
        code = f"{series.code}-{day:%Y%m%d}"
        starts_at = dt.datetime.combine(day, series.start_time, tzinfo=tz)
        preview_day = day - dt.timedelta(days=series.preview_days_before)
        campaign = Campaign.objects.filter(code=code).first()
        if campaign is None:
            campaign = campaign_create(
                code=code,
                name=series.campaign_name(number=number, day=day),
                starts_at=starts_at,
                ends_at=starts_at + series.duration,
                groups=groups,
                gmv_target=series.gmv_target,
                loss_cap=series.loss_cap,
                landing_url=series.landing_url,
                owner=series.owner,
                preview_at=dt.datetime.combine(preview_day, series.preview_time, tzinfo=tz),
                series=series,
            )
        campaigns.append(campaign)
        if series.playbook_id:
            playbook_apply(playbook=series.playbook, campaign=campaign, groups=groups, by=by, now=now)
    return campaigns


def campaigns_advance(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Move published campaigns to live at their start and to ended at their end."""
    now = now or timezone.now()
    ended = Campaign.objects.filter(
        status__in=[Campaign.Status.PUBLISHED, Campaign.Status.LIVE], ends_at__lte=now
    ).update(status=Campaign.Status.ENDED)
    live = Campaign.objects.filter(status=Campaign.Status.PUBLISHED, starts_at__lte=now, ends_at__gt=now).update(
        status=Campaign.Status.LIVE
    )
    return {"live": live, "ended": ended}


def campaign_stock_watch(*, campaign: Campaign, now: dt.datetime | None = None) -> list[Reminder]:
    """Alert the campaign's owner once per item when sales reach the alert ratio (80%) of the supplier cap."""
    now = now or timezone.now()
    ratio = settings.CAMPAIGN_RESTOCK_ALERT_RATIO
    sold = dict(
        OrderLine.objects.filter(order__campaign=campaign, order__status=Order.Status.PAID)
        .values_list("product_id")
        .annotate(quantity=Sum("quantity"))
    )
    alerts = []
    for item in campaign.items.select_related("product").filter(supplier_cap__isnull=False, restock_alerted_at=None):
        quantity = sold.get(item.product_id, 0)
        if item.supplier_cap and quantity >= ratio * item.supplier_cap:
            with transaction.atomic():
                # Claim the alert on the item first: two watchers at once must not both create one.
                if not CampaignItem.objects.filter(pk=item.pk, restock_alerted_at=None).update(restock_alerted_at=now):
                    continue
                reminder, _created = Reminder.objects.get_or_create(
                    key=f"restock:{item.pk}",
                    defaults={
                        "campaign": campaign,
                        "kind": Reminder.Kind.RESTOCK,
                        "title": _("Tell the supplier to restock %(item)s") % {"item": item.product.name},
                        "text": _("%(sold)s sold of the supplier's %(cap)s (stock %(stock)s) in %(campaign)s.")
                        % {
                            "sold": quantity,
                            "cap": item.supplier_cap,
                            "stock": item.product.stock,
                            "campaign": campaign.name,
                        },
                        "assignee": campaign.owner,
                        "channel": Reminder.Channel.INBOX,
                        "due_at": now,
                        "next_attempt_at": now,
                    },
                )
                alerts.append(reminder)
    return alerts


def order_lines_record(*, order: Order, lines: Iterable[tuple]) -> int:
    """Record an order's lines as (product, quantity, amount); replaces earlier lines of that order."""
    with transaction.atomic():
        OrderLine.objects.filter(order=order).delete()
        objs = [OrderLine(order=order, product=product, quantity=qty, amount=amount) for product, qty, amount in lines]
        OrderLine.objects.bulk_create(objs)
    return len(objs)
