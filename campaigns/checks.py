"""The checks a campaign must pass before it is published. Each returns every problem it finds, so the
operator sees the whole list at once instead of fixing one reason per try."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import local_minute_text
from core.money import to_money, yuan
from members.models import Group

from .models import Campaign, CampaignItem


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def check_basics(campaign: Campaign, items: list[CampaignItem], *, now) -> list[Problem]:
    problems = []
    if not items:
        problems.append(Problem("no_items", _("The campaign has no items.")))
    if not campaign.groups.exists():
        problems.append(Problem("no_groups", _("The campaign runs in no group.")))
    if campaign.ends_at <= now:
        problems.append(
            Problem(
                "ended",
                _("The campaign's end (%(end)s) has passed.") % {"end": local_minute_text(campaign.ends_at)},
            )
        )
    return problems


def check_prices(items: list[CampaignItem]) -> list[Problem]:
    """Every campaign price must be strictly below the shop's lowest public price (全网最低价)."""
    return [
        Problem(
            "price_not_below_public",
            _("%(item)s: the campaign price %(price)s is not below the lowest public price %(public)s.")
            % {"item": item.product.name, "price": yuan(item.price), "public": yuan(item.product.lowest_public_price)},
        )
        for item in items
        if item.price >= item.product.lowest_public_price
    ]


def check_mix(items: list[CampaignItem]) -> list[Problem]:
    """Some high-unit-price items keep the order value up; some cheap high-volume items bring the crowd."""
    if not items:
        return []
    high = settings.CAMPAIGN_HIGH_UNIT_PRICE
    cheap = settings.CAMPAIGN_CHEAP_PRICE
    volume = settings.CAMPAIGN_HIGH_VOLUME_QUANTITY
    problems = []
    if not any(item.final_price >= high for item in items):
        problems.append(
            Problem("mix_no_high_price", _("No high-unit-price item (at %(high)s or more).") % {"high": yuan(high)})
        )
    if not any(item.final_price <= cheap and item.expected_quantity >= volume for item in items):
        problems.append(
            Problem(
                "mix_no_cheap_volume",
                _("No cheap high-volume item (at %(cheap)s or less, expected to sell %(volume)s or more).")
                % {"cheap": yuan(cheap), "volume": volume},
            )
        )
    return problems


def projected_loss(items: list[CampaignItem]) -> Decimal:
    """What the items lose together at their expected quantities, each capped by its supplier; ≥ 0."""
    margin = sum((item.projected_margin for item in items), Decimal("0"))
    return to_money(max(Decimal("0"), -margin))


def check_loss(campaign: Campaign, items: list[CampaignItem]) -> list[Problem]:
    loss = projected_loss(items)
    if loss <= campaign.loss_cap:
        return []
    losers = sorted((item for item in items if item.projected_margin < 0), key=lambda item: item.projected_margin)
    detail = "; ".join(
        _("%(item)s %(qty)s × (%(price)s − %(cost)s) = %(margin)s")
        % {
            "item": item.product.name,
            "qty": item.projected_quantity,
            "price": yuan(item.final_price),
            "cost": yuan(item.product.unit_cost),
            "margin": yuan(item.projected_margin),
        }
        for item in losers[:5]
    )
    return [
        Problem(
            "loss_over_cap",
            _("The projected loss %(loss)s is beyond the loss cap %(cap)s (%(detail)s).")
            % {"loss": yuan(loss), "cap": yuan(campaign.loss_cap), "detail": detail},
        )
    ]


def expected_sales(items: list[CampaignItem]) -> Decimal:
    """What the items sell at their expected quantities (each capped by its supplier) and final prices."""
    return to_money(sum((item.projected_quantity * item.final_price for item in items), Decimal("0")))


def check_plan_reaches_target(campaign: Campaign, items: list[CampaignItem]) -> list[Problem]:
    """A warning, not a refusal: the expected quantities are the conservative volumes the supplier is asked to
    hold and the loss cap is checked at; refusing to publish below the target would push operators to inflate
    them, which hides real losses and over-orders stock. So the gap is shown before and after publishing."""
    if not items or not campaign.gmv_target:
        return []
    planned = expected_sales(items)
    if planned >= campaign.gmv_target:
        return []
    return [
        Problem(
            "plan_below_target",
            _("The items' expected sales, %(planned)s, reach only %(percent)s%% of the GMV target %(target)s: "
              "add items or quantities, or check the target.")
            % {
                "planned": yuan(planned),
                "percent": int(100 * planned / campaign.gmv_target),
                "target": yuan(campaign.gmv_target),
            },
        )
    ]  # fmt: skip


def campaign_warnings(campaign: Campaign, *, items: list[CampaignItem] | None = None) -> list[Problem]:
    """What the operator should look at before publishing, without blocking it."""
    items = list(campaign.items.select_related("product")) if items is None else items
    return check_plan_reaches_target(campaign, items)


def check_overlaps(campaign: Campaign) -> list[Problem]:
    """A group runs one campaign at a time: two at once split its customers' attention and its orders."""
    others = (
        Campaign.objects.committed()
        .overlapping(campaign.starts_at, campaign.ends_at)
        .exclude(pk=campaign.pk)
        .filter(groups__in=campaign.groups.all())
        .values_list("groups__name", "code", "name", "starts_at", "ends_at")
        .distinct()
        .order_by("groups__name", "starts_at")
    )
    return [
        Problem(
            "group_overlap",
            _("Group %(group)s is already in campaign %(code)s “%(name)s” (%(start)s – %(end)s), which overlaps.")
            % {
                "group": group,
                "code": code,
                "name": name,
                "start": local_minute_text(start),
                "end": local_minute_text(end),
            },  # fmt: skip
        )
        for group, code, name, start, end in others
    ]


def campaign_problems(campaign: Campaign, *, now=None) -> list[Problem]:
    """Every reason the campaign cannot be published; empty when it can."""
    now = now or timezone.now()
    items = list(campaign.items.select_related("product"))
    return [
        *check_basics(campaign, items, now=now),
        *check_prices(items),
        *check_mix(items),
        *check_loss(campaign, items),
        *check_overlaps(campaign),
    ]


def campaign_groups_check(groups: Iterable[Group]) -> None:
    """Raise ValidationError naming the groups a campaign cannot run in (legacy groups, being reorganised)."""
    refused = [group.name for group in groups if not group.takes_campaigns]
    if refused:
        raise ValidationError(
            _("Legacy groups take no campaigns (reorganise or dissolve them first): %(groups)s")
            % {"groups": "、".join(refused)}
        )
