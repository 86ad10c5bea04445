"""Write operations of the campaigns app. Each is a transaction; views, tasks and commands call these.

Reminder delivery (claiming, channels, retries) lives in `campaigns/delivery.py`.
"""

import datetime as dt
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members import segments as member_segments
from members.models import Group, Member, SavedSelection
from members.selectors import selection_members

from . import playbooks as pb
from .checks import Problem, campaign_problems
from .models import (
    Campaign,
    CampaignItem,
    CampaignSeries,
    Coupon,
    CouponBatch,
    CouponTemplate,
    Order,
    OrderLine,
    Playbook,
    PlaybookAssignment,
    PlaybookStep,
    Reminder,
)


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
    """Set the campaign's groups. A removed group's open reminders are cancelled (by the m2m signal in models);
    an added group gets the playbooks already applied to the campaign."""
    groups = list(groups)
    before = set(campaign.groups.values_list("pk", flat=True))
    campaign.groups.set(groups)  # the m2m signal cancels the removed groups' reminders
    added = [group for group in groups if group.pk not in before]
    if added:
        for playbook in Playbook.objects.filter(assignments__campaign=campaign).distinct():
            playbook_apply(playbook=playbook, campaign=campaign, groups=added, by=by, now=now)


@transaction.atomic
def campaign_series_create(*, series: CampaignSeries, by=None, now=None) -> list[Campaign]:
    """Create (or complete) the series' weekly campaigns; rerunning creates nothing twice."""
    series.full_clean()
    tz = timezone.get_current_timezone()
    campaigns = []
    groups = list(series.groups.all())
    for day in series.occurrence_dates():
        code = f"{series.code}-{day:%Y%m%d}"
        starts_at = dt.datetime.combine(day, series.start_time, tzinfo=tz)
        preview_day = day - dt.timedelta(days=series.preview_days_before)
        campaign = Campaign.objects.filter(code=code).first()
        if campaign is None:
            campaign = campaign_create(
                code=code,
                name=f"{series.name} {day.month}月{day.day}日",
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


# ---------------------------------------------------------------- playbooks


class PlaybookNeedsCampaign(ValidationError):
    pass


def _anchor_for(step: PlaybookStep, campaign: Campaign | None, group: Group, starts_at: dt.datetime | None):
    if step.anchor == PlaybookStep.Anchor.CAMPAIGN_START:
        return campaign.starts_at
    if step.anchor == PlaybookStep.Anchor.CAMPAIGN_END:
        return campaign.ends_at
    if step.anchor == PlaybookStep.Anchor.GROUP_CREATED:
        return group.created_at
    # Daily: from the campaign's start day, or from when the group took the playbook on.
    return campaign.starts_at if campaign is not None else starts_at


def _assignee_for(step: PlaybookStep, campaign: Campaign | None, group: Group, by):
    if step.assignee_role == PlaybookStep.AssigneeRole.USER and step.assignee_id:
        return step.assignee
    if step.assignee_role == PlaybookStep.AssigneeRole.CAMPAIGN_OWNER and campaign and campaign.owner_id:
        return campaign.owner
    return group.owner or (campaign.owner if campaign else None) or by


def _reminder_for(step, campaign, group, occurrence, due_at, context, *, by) -> Reminder:
    values = dict(context)
    values["group_name"] = group.name
    values["owner"] = group.owner.get_full_name() or group.owner.username if group.owner else ""
    values["amount"] = pb.money_text(step.red_packet_amount)
    values["count"] = str(step.red_packet_count or "")
    values["day"] = str(occurrence + 1 + (step.offset_days if step.anchor == PlaybookStep.Anchor.GROUP_CREATED else 0))
    if campaign is not None:
        values["minutes_left"] = str(max(0, int((campaign.starts_at - due_at).total_seconds() // 60)))
    return Reminder(
        key=f"step:{step.pk}:c{campaign.pk if campaign else 0}:g{group.pk}:{occurrence}",
        campaign=campaign,
        group=group,
        step=step,
        occurrence=occurrence,
        kind=step.kind,
        title=pb.render(step.title, values)[:200],
        text=pb.render(step.text, values),
        red_packet_amount=step.red_packet_amount if step.kind == PlaybookStep.Kind.RED_PACKET else None,
        red_packet_count=step.red_packet_count if step.kind == PlaybookStep.Kind.RED_PACKET else None,
        red_packet_name=pb.render(step.red_packet_name, values)[:100],
        assignee=_assignee_for(step, campaign, group, by),
        channel=step.channel,
        due_at=due_at,
        next_attempt_at=due_at,
    )


@transaction.atomic
def playbook_apply(
    *,
    playbook: Playbook,
    groups: Iterable[Group],
    campaign: Campaign | None = None,
    by=None,
    now: dt.datetime | None = None,
    starts_at: dt.datetime | None = None,
    is_copy: bool = False,
) -> int:
    """Turn the playbook's steps into reminders for each group (and the campaign); returns how many are new.

    Applying twice creates nothing new: every reminder has a unique key (step, campaign, group, occurrence).
    Occurrences already in the past when applied are not created, so applying late does not flood the inbox.
    """
    now = now or timezone.now()
    steps = list(playbook.steps.select_related("assignee"))
    if campaign is None and any(step.anchor in PlaybookStep.CAMPAIGN_ANCHORS for step in steps):
        raise PlaybookNeedsCampaign(_("This playbook has steps timed from a campaign: choose the campaign."))
    groups = list(Group.objects.filter(pk__in=[group.pk for group in groups]).select_related("owner"))
    if campaign is not None:
        missing = [group.name for group in groups if not campaign.groups.filter(pk=group.pk).exists()]
        if missing:
            campaign.groups.add(*groups)
    context = pb.campaign_context(campaign)
    reminders = []
    for group in groups:
        assignment, _created = PlaybookAssignment.objects.get_or_create(
            playbook=playbook,
            group=group,
            campaign=campaign,
            defaults={"starts_at": starts_at or now, "created_by": by, "is_copy": is_copy},
        )
        for step in steps:
            anchor = _anchor_for(step, campaign, group, assignment.starts_at)
            for occurrence, due_at in pb.occurrences(step, anchor):
                if due_at < now:
                    continue
                reminders.append(_reminder_for(step, campaign, group, occurrence, due_at, context, by=by))
    before = Reminder.objects.filter(key__in=[reminder.key for reminder in reminders]).count()
    Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=500)
    return len(reminders) - before


@transaction.atomic
def playbook_copy(*, playbook: Playbook, code: str, name: str, by=None) -> Playbook:
    """Copy a playbook with its steps, to adapt it for other groups (复制); the copy remembers its origin."""
    copy = Playbook(code=code, name=name, description=playbook.description, copied_from=playbook, created_by=by)
    copy.full_clean()
    copy.save()
    steps = list(playbook.steps.all())
    for step in steps:
        step.pk = None
        step.playbook = copy
    PlaybookStep.objects.bulk_create(steps)
    return copy


def playbook_step_save(step: PlaybookStep) -> PlaybookStep:
    """Validate a step (anchor, red packet, placeholders) and save it."""
    step.full_clean()
    step.save()
    return step


def playbook_assignments_extend(*, now: dt.datetime | None = None, horizon_days: int = 7) -> int:
    """Keep group-level daily playbooks (no campaign) scheduled `horizon_days` ahead; rerunning is harmless."""
    now = now or timezone.now()
    created = 0
    assignments = PlaybookAssignment.objects.filter(is_active=True, campaign__isnull=True).select_related(
        "playbook", "group__owner"
    )
    for assignment in assignments:
        daily = [step for step in assignment.playbook.steps.all() if step.anchor == PlaybookStep.Anchor.DAILY]
        if not daily:
            continue
        reminders = []
        days_since = (timezone.localtime(now).date() - timezone.localtime(assignment.starts_at).date()).days
        for step in daily:
            for occurrence in range(max(0, days_since), days_since + horizon_days):
                day = timezone.localtime(assignment.starts_at).date() + dt.timedelta(days=occurrence)
                due_at = dt.datetime.combine(day, step.at_time, tzinfo=timezone.get_current_timezone())
                if due_at >= now:
                    reminders.append(_reminder_for(step, None, assignment.group, occurrence, due_at, {}, by=None))
        before = Reminder.objects.filter(key__in=[reminder.key for reminder in reminders]).count()
        Reminder.objects.bulk_create(reminders, ignore_conflicts=True, batch_size=500)
        created += len(reminders) - before
    return created


def reminder_complete(*, reminder: Reminder, by, skipped: bool = False, now: dt.datetime | None = None) -> bool:
    """Mark a reminder done (or skipped) by `by`; False when it was already closed by someone else."""
    now = now or timezone.now()
    status = Reminder.Status.SKIPPED if skipped else Reminder.Status.DONE
    updated = Reminder.objects.filter(pk=reminder.pk, status__in=Reminder.OPEN_STATUSES).update(
        status=status, done_at=now, done_by=by
    )
    reminder.refresh_from_db(fields=["status", "done_at", "done_by"])
    return updated == 1


# ---------------------------------------------------------------- coupons


class CouponError(ValidationError):
    pass


def _segment_member_ids(*, group: Group, segment: str, at: dt.datetime) -> list[int]:
    try:
        return member_segments.member_ids(group=group, segment=segment, at=at)
    except member_segments.SegmentsUnavailable as error:
        raise CouponError(_("Segments are not available; choose the members instead.")) from error


@transaction.atomic
def coupon_batch_issue(
    *,
    template: CouponTemplate,
    members: Iterable[Member] | None = None,
    group: Group | None = None,
    segment: str | None = None,
    selection: SavedSelection | None = None,
    by=None,
    now: dt.datetime | None = None,
    description: str = "",
) -> CouponBatch:
    """Issue one coupon of `template` to each of `members`, to whoever a saved selection holds now, or to a
    group's segment."""
    now = now or timezone.now()
    if not template.is_active:
        raise CouponError(_("The coupon template %(name)s is not active.") % {"name": template.name})
    if members is not None:
        member_ids = sorted({member.pk for member in members})
    elif selection is not None:
        member_ids = sorted(set(selection_members(selection).values_list("pk", flat=True)))
        description = description or selection.name
    elif group is not None and segment:
        member_ids = sorted(set(_segment_member_ids(group=group, segment=segment, at=now)))
        description = description or f"{group.name} · {segment}"
    else:
        raise CouponError(_("Choose the members, or a group and a segment."))
    batch = CouponBatch.objects.create(
        template=template, description=description, issued_at=now, issued_by=by, size=len(member_ids)
    )
    expires_at = now + dt.timedelta(days=template.valid_days)
    Coupon.objects.bulk_create(
        [
            Coupon(
                template=template,
                batch=batch,
                member_id=member_id,
                code=_coupon_code(),
                issued_at=now,
                expires_at=expires_at,
            )  # fmt: skip
            for member_id in member_ids
        ],
        batch_size=1000,
    )
    return batch


def _coupon_code() -> str:
    # 10 characters from an alphabet without look-alikes (0/O, 1/I/L): read over the phone without mistakes.
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def coupon_redeem(*, code: str, order: Order, now: dt.datetime | None = None) -> Coupon:
    """Record that `order` used the coupon `code`. Idempotent for the same order (a re-import changes nothing).

    Raises CouponError for an unknown code, another member's coupon, an expired coupon, one already used by
    another order, or an order below the minimum spend.
    """
    coupon = Coupon.objects.select_for_update().select_related("template").filter(code=code.strip().upper()).first()
    if coupon is None:
        raise CouponError(_("Unknown coupon %(code)s.") % {"code": code}, code="unknown")
    if coupon.order_id == order.pk:
        return coupon
    if coupon.order_id is not None or coupon.redeemed_at is not None:
        raise CouponError(_("Coupon %(code)s was already used.") % {"code": code}, code="used")
    if coupon.member_id != order.member_id:
        raise CouponError(_("Coupon %(code)s belongs to another member.") % {"code": code}, code="other_member")
    if order.placed_at > coupon.expires_at:
        raise CouponError(_("Coupon %(code)s had expired when the order was placed.") % {"code": code}, code="expired")
    if order.amount < coupon.template.min_spend:
        raise CouponError(
            _("Order %(order)s is below the coupon's minimum spend ¥%(min)s.")
            % {"order": order.order_id, "min": coupon.template.min_spend},
            code="min_spend",
        )
    coupon.order = order
    coupon.redeemed_at = order.placed_at or now or timezone.now()
    coupon.save(update_fields=["order", "redeemed_at"])
    return coupon


def order_lines_record(*, order: Order, lines: Iterable[tuple]) -> int:
    """Record an order's lines as (product, quantity, amount); replaces earlier lines of that order."""
    with transaction.atomic():
        OrderLine.objects.filter(order=order).delete()
        objs = [OrderLine(order=order, product=product, quantity=qty, amount=amount) for product, qty, amount in lines]
        OrderLine.objects.bulk_create(objs)
    return len(objs)
