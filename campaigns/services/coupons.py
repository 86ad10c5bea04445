"""Issuing coupons to members and recording the orders that redeem them."""

import datetime as dt
import secrets
from collections.abc import Iterable

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import to_money
from imports.writing import db_datetime
from members import segments as member_segments
from members.models import Group, Member, SavedSelection
from members.selections import selection_members

from .. import redemption
from ..models import Coupon, CouponBatch, CouponTemplate, Order


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
    external_ids: Iterable[str] = (),
    by=None,
    now: dt.datetime | None = None,
    description: str = "",
) -> CouponBatch:
    """Issue one coupon of `template` to each of `members` (or of the members with `external_ids`), to whoever
    a saved selection holds now, or to a group's segment."""
    now = now or timezone.now()
    if not template.is_active:
        raise CouponError(_("The coupon template %(name)s is not active.") % {"name": template.name})
    external_ids = list(external_ids)
    if external_ids:
        members = list(Member.objects.filter(external_id__in=external_ids))
        missing = set(external_ids) - {member.external_id for member in members}
        if missing:
            raise CouponError(_("Unknown members: %(ids)s") % {"ids": ", ".join(sorted(missing))})
        description = description or _("%(n)s listed members") % {"n": len(members)}
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
def coupon_redeem(*, code: str, order: Order) -> Coupon:
    """Record that `order` used the coupon `code` (the rules of `campaigns.redemption`, as the orders import
    applies them). Idempotent for the same order. Raises CouponError saying why it cannot."""
    code = code.strip().upper()
    book = redemption.CouponBook.load(codes=[code], order_ids=[order.order_id])
    checked = redemption.check(
        book,
        codes=np.array([code], dtype=object),
        member_id=np.array([order.member_id], dtype=np.int64),
        placed_us=np.array([_epoch_us(order.placed_at)], dtype=np.int64),
        amount_cents=np.array([int(to_money(order.amount) * 100)], dtype=np.int64),
        order_ids=np.array([order.order_id], dtype=object),
    )
    if checked.reason[0]:
        raise CouponError(checked.message[0], code=checked.reason[0])
    try:
        redemption.record([(order.order_id, db_datetime(order.placed_at), int(checked.coupon_id[0]))])
    except redemption.RedemptionLost as lost:
        raise CouponError(str(lost), code=redemption.USED) from None
    return Coupon.objects.get(pk=int(checked.coupon_id[0]))


def _epoch_us(moment: dt.datetime) -> int:
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
