"""Weekly runs (a CampaignSeries and its campaigns, 第N期): adding next week to a run by copying its last
campaign, starting a run from a one-off campaign, adding a campaign to a run. A campaign's number in its run
is its place in the run's date order, so it continues however the campaigns were made."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Campaign, CampaignItem, CampaignSeries, Playbook
from .campaigns import campaign_create
from .playbooks import playbook_apply

# The longest run the series model allows (its weeks constraint).
MAX_RUN_WEEKS = 104
_DATE_SUFFIX = re.compile(r"-\d{8}$")


def run_campaign_code(*, series: CampaignSeries, day: dt.date) -> str:
    return f"{series.code}-{day:%Y%m%d}"


def _week_later(moment: dt.datetime | None) -> dt.datetime | None:
    """The same local wall time seven days later (a week is calendar days in the organisation's zone)."""
    if moment is None:
        return None
    local = timezone.localtime(moment)
    return dt.datetime.combine(local.date() + dt.timedelta(weeks=1), local.time(), tzinfo=local.tzinfo)


@transaction.atomic
def series_next_week(
    *, series: CampaignSeries, after: int | None = None, by=None, now: dt.datetime | None = None
) -> Campaign:
    """Add the week after the run's last campaign, copied from it (items, playbooks, groups, target, loss cap).
    The landing link is the run's: last week's own campaign page would send customers to an ended sale.

    `after` is the id of the campaign the operator saw as the run's last: when another one has been added since
    (a double click, a colleague at the same moment), nothing is added, so one click adds one week."""
    # Two operators adding next week at once: the second waits here, then finds the week taken (PostgreSQL;
    # SQLite serialises writers anyway, and the unique campaign code stops a duplicate on any database).
    series = CampaignSeries.objects.select_for_update().get(pk=series.pk)
    last = series.campaigns.order_by("-starts_at", "-pk").first()
    if last is None:
        raise ValidationError(_("The run %(name)s has no campaign to copy.") % {"name": series.name})
    if after is not None and last.pk != after:
        raise ValidationError(_("Next week was added a moment ago: %(name)s.") % {"name": last.name})
    return _copy_to_next_week(source=last, series=series, by=by, now=now)


@transaction.atomic
def campaign_next_week(
    *, campaign: Campaign, after: int | None = None, by=None, now: dt.datetime | None = None
) -> Campaign:
    """Next week for the campaign's run: the week after the run's last campaign, copied from that one. A one-off
    campaign first becomes the first campaign of a new weekly run of its own name, so its numbering starts."""
    # Locked so that two clicks on a one-off campaign start one run, not two.
    campaign = Campaign.objects.select_for_update().select_related("series").get(pk=campaign.pk)
    series = campaign.series or _series_from(campaign)
    return series_next_week(series=series, after=after, by=by, now=now)


@transaction.atomic
def campaign_join_series(*, campaign: Campaign, series: CampaignSeries) -> Campaign:
    """Add a one-off campaign to a run; it takes its number from its date among the run's campaigns."""
    if campaign.series_id is not None:
        raise ValidationError(_("This campaign already belongs to the run %(name)s.") % {"name": campaign.series.name})
    clash = series.campaigns.filter(starts_at__date=timezone.localtime(campaign.starts_at).date()).first()
    if clash is not None:
        raise ValidationError(
            _("The run already has a campaign that day: %(code)s “%(name)s”.")
            % {"code": clash.code, "name": clash.name}
        )
    Campaign.objects.filter(pk=campaign.pk).update(series=series)
    campaign.series = series
    _cover_weeks(series, timezone.localtime(campaign.starts_at).date())
    return campaign


def _series_from(campaign: Campaign) -> CampaignSeries:
    """A weekly run around a one-off campaign: its weekday and times, its groups, target, loss cap and link."""
    local_start = timezone.localtime(campaign.starts_at)
    preview_days, preview_time = 1, dt.time(12, 0)
    if campaign.preview_at is not None:
        local_preview = timezone.localtime(campaign.preview_at)
        preview_days = max(0, (local_start.date() - local_preview.date()).days)
        preview_time = local_preview.time()
    series = CampaignSeries(
        code=_free_series_code(_DATE_SUFFIX.sub("", campaign.code)), name=campaign.name,
        weekday=local_start.weekday(), start_time=local_start.time(), duration=campaign.ends_at - campaign.starts_at,
        preview_days_before=preview_days, preview_time=preview_time, first_date=local_start.date(), weeks=1,
        gmv_target=campaign.gmv_target, loss_cap=campaign.loss_cap, landing_url=campaign.landing_url,
        owner=campaign.owner,
    )  # fmt: skip
    series.full_clean()
    series.save()
    series.groups.set(campaign.groups.all())
    Campaign.objects.filter(pk=campaign.pk).update(series=series)
    campaign.series = series
    return series


def _free_series_code(base: str) -> str:
    """The campaign's code without its date, shortened to the series code's 20 characters; numbered if taken."""
    base = base[:20] or "RUN"
    code, n = base, 2
    while CampaignSeries.objects.filter(code=code).exists():
        suffix = f"-{n}"
        code, n = f"{base[: 20 - len(suffix)]}{suffix}", n + 1
    return code


def _cover_weeks(series: CampaignSeries, day: dt.date) -> None:
    """Keep the run's week count covering its campaigns, so its plan and its campaigns agree."""
    weeks = (day - series.first_date).days // 7 + 1
    if weeks > MAX_RUN_WEEKS:
        raise ValidationError(_("A weekly run lasts at most %(n)s weeks.") % {"n": MAX_RUN_WEEKS})
    if weeks > series.weeks:
        series.weeks = weeks
        series.save(update_fields=["weeks"])


def _copy_to_next_week(*, source: Campaign, series: CampaignSeries, by, now) -> Campaign:
    now = now or timezone.now()
    starts_at = _week_later(source.starts_at)
    day = timezone.localtime(starts_at).date()
    code = run_campaign_code(series=series, day=day)
    taken = Campaign.objects.filter(code=code).first()
    if taken is not None:
        raise ValidationError(
            _("Campaign %(code)s “%(name)s” already exists on %(day)s.")
            % {"code": code, "name": taken.name, "day": f"{day:%Y-%m-%d}"}
        )
    try:
        with transaction.atomic():
            campaign = _create_copy(source=source, series=series, code=code, starts_at=starts_at, day=day, by=by)
    except IntegrityError as error:  # taken between the check above and the insert
        raise ValidationError(_("Campaign %(code)s “%(name)s” already exists on %(day)s.")
                              % {"code": code, "name": code, "day": f"{day:%Y-%m-%d}"}) from error  # fmt: skip
    CampaignItem.objects.bulk_create(
        CampaignItem(
            campaign=campaign,
            product_id=item.product_id,
            price=item.price,
            expected_quantity=item.expected_quantity,
            supplier_cap=item.supplier_cap,
            is_clearance=item.is_clearance,
            second_discount_rate=item.second_discount_rate,
            position=item.position,
        )  # fmt: skip
        for item in source.items.all()
    )
    # The same playbooks in the same groups as last week (and the run's own playbook in all its groups).
    groups = {group.pk: group for group in campaign.groups.all()}
    for playbook in Playbook.objects.filter(assignments__campaign=source).distinct():
        ran_in = source.playbook_assignments.filter(playbook=playbook).values_list("group_id", flat=True)
        chosen = [groups[pk] for pk in ran_in if pk in groups]
        if chosen:
            playbook_apply(playbook=playbook, campaign=campaign, groups=chosen, by=by, now=now)
    if series.playbook_id:
        playbook_apply(playbook=series.playbook, campaign=campaign, groups=list(groups.values()), by=by, now=now)
    _cover_weeks(series, day)
    return campaign


def _create_copy(*, source: Campaign, series: CampaignSeries, code: str, starts_at, day: dt.date, by) -> Campaign:
    number = series.campaigns.filter(starts_at__lt=starts_at).count() + 1
    return campaign_create(
        code=code, name=series.campaign_name(number=number, day=day), starts_at=starts_at,
        ends_at=starts_at + (source.ends_at - source.starts_at), groups=source.groups.all(),
        gmv_target=source.gmv_target, loss_cap=source.loss_cap, landing_url=series.landing_url,
        owner=source.owner or by, preview_at=_week_later(source.preview_at), series=series,
    )  # fmt: skip
