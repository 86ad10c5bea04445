"""Coupon redemption: the one home of the rules (and their messages) for an order using a coupon.

An order may redeem a coupon when the code exists, the coupon belongs to the order's member, had not expired
when the order was placed, the amount reaches the template's minimum spend, no other order used it, and the
order has not redeemed another coupon. Redeeming again with the same order changes nothing.

The rules run column-wise (`check`), so the orders import checks a million rows at once and
`services.coupon_redeem` checks one order through the same code; `record` links coupons to orders with a
conditional UPDATE, so a coupon taken by someone else in between is refused, never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

import numpy as np
import pandas as pd
from django.db import connection
from django.utils.translation import gettext as _

from core.money import cents_to_money, yuan
from imports.report import quoted
from imports.stored import as_text, cents, query_frame, utc64
from imports.writing import in_batches, quote

from .models import Coupon, CouponTemplate, Order

UNKNOWN, OTHER_MEMBER, EXPIRED, MIN_SPEND, USED, ORDER_HAS_ANOTHER = (
    "unknown", "other_member", "expired", "min_spend", "used", "order_has_another",
)  # fmt: skip


class RedemptionLost(Exception):
    """A coupon was redeemed by another order between the check and the write."""

    def __init__(self, code: str, order_id: str):
        self.code, self.order_id = code, order_id
        super().__init__(
            _("coupon %(code)s of order %(order)s was redeemed by another order in the meantime")
            % {"code": code, "order": order_id}
        )


@dataclass
class CouponBook:
    """Coupons looked up by code (position + 1 in the arrays; 0 = unknown)."""

    positions: dict[str, int]
    id: np.ndarray
    code: np.ndarray
    member_id: np.ndarray
    expires_us: np.ndarray
    min_spend_cents: np.ndarray
    used_by: np.ndarray  # order_id of the order that redeemed it; "" if none; "?" if redeemed, order gone
    code_of_order: dict[str, str]  # order_id -> the code of the coupon it redeemed

    @classmethod
    def load(cls, *, codes: list[str] | None = None, order_ids: list[str] = ()) -> CouponBook:
        """Every coupon, or those with the given (upper-case) codes and those the given orders redeemed."""
        coupon, template, order = (quote(m._meta.db_table) for m in (Coupon, CouponTemplate, Order))
        sql = (
            f"SELECT c.{quote('code')}, c.{quote('id')}, c.{quote('member_id')}, {as_text('c.' + quote('expires_at'))},"
            f" t.{quote('min_spend')}, o.{quote('order_id')}, c.{quote('redeemed_at')} IS NOT NULL FROM {coupon} c"
            f" JOIN {template} t ON t.{quote('id')} = c.{quote('template_id')}"
            f" LEFT JOIN {order} o ON o.{quote('id')} = c.{quote('order_id')}"
        )
        columns = ["code", "id", "member_id", "expires_at", "min_spend", "order_id", "redeemed"]
        if codes is None:
            frame = query_frame(sql, columns)
        else:
            wanted = [("c." + quote("code"), list(codes)), ("o." + quote("order_id"), list(order_ids))]
            frame = pd.concat(
                [
                    query_frame(f"{sql} WHERE {column} IN ({', '.join(['%s'] * len(batch))})", columns, batch)
                    for column, keys in wanted
                    for batch in in_batches(keys or [""])
                ],
                ignore_index=True,
            ).drop_duplicates("id")
        orders = [o if isinstance(o, str) else "" for o in frame["order_id"].tolist()]
        used_by = np.array(
            [o or ("?" if redeemed else "") for o, redeemed in zip(orders, frame["redeemed"].tolist(), strict=True)],
            dtype=object,
        )
        code_list = frame["code"].tolist()
        return cls(
            positions={code: i + 1 for i, code in enumerate(code_list)},
            id=frame["id"].to_numpy(dtype=np.int64),
            code=np.array(code_list, dtype=object),
            member_id=frame["member_id"].to_numpy(dtype=np.int64),
            expires_us=utc64(frame["expires_at"].to_numpy()).astype(np.int64),
            min_spend_cents=cents(frame["min_spend"].tolist()),
            used_by=used_by,
            code_of_order={o: c for o, c in zip(orders, code_list, strict=True) if o},
        )


def normalise(codes: np.ndarray) -> np.ndarray:
    """Codes are stored upper-case; a hand-typed lower-case code is the same coupon."""
    return np.array([str(c).strip().upper() for c in codes.tolist()], dtype=object)


@dataclass
class Checked:
    coupon_id: np.ndarray  # 0 where there is no coupon or it cannot be redeemed
    reason: np.ndarray  # "" where the row may redeem its coupon (or has none)
    message: np.ndarray  # why not, for people


def check(
    book: CouponBook,
    *,
    codes: np.ndarray,
    member_id: np.ndarray,
    placed_us: np.ndarray,
    amount_cents: np.ndarray,
    order_ids: np.ndarray,
    skip: np.ndarray | None = None,
    typed: np.ndarray | None = None,
) -> Checked:
    """Per order: may it redeem its coupon (`codes`, normalised; "" for none)? One reason per refused row,
    the first of the rules in the order listed in the module docstring. Rows in `skip` (already invalid) are
    not judged. `typed` is the code as the person wrote it, for the message about an unknown code."""
    n = len(codes)
    reason = np.full(n, "", dtype=object)
    message = np.full(n, "", dtype=object)
    has = codes != ""
    judge = has if skip is None else has & ~skip
    position = np.fromiter(map(book.positions.get, codes.tolist(), repeat(0)), dtype=np.int64, count=n)
    at = np.maximum(position - 1, 0)
    known = position > 0

    def refuse(mask: np.ndarray, code: str, text) -> None:
        mask = mask & judge & (reason == "")
        for i in np.flatnonzero(mask).tolist():
            reason[i], message[i] = code, text(i)

    shown = codes if typed is None else typed
    refuse(~known, UNKNOWN, lambda i: _("no coupon has code %s") % quoted(shown[i]))
    if len(book.id):
        refuse(
            known & (member_id != 0) & (book.member_id[at] != member_id),
            OTHER_MEMBER,
            lambda i: _("coupon %s belongs to another member") % codes[i],
        )
        refuse(
            known & (placed_us > book.expires_us[at]),
            EXPIRED,
            lambda i: _("coupon %s had expired when the order was placed") % codes[i],
        )
        refuse(
            known & (amount_cents < book.min_spend_cents[at]),
            MIN_SPEND,
            lambda i: (
                _("the amount is below the minimum spend of coupon %(code)s (%(min)s)")
                % {"code": codes[i], "min": yuan(cents_to_money(book.min_spend_cents[at[i]]))}
            ),
        )
        used_by = book.used_by[at]
        refuse(
            known & (used_by != "") & (used_by != order_ids),
            USED,
            lambda i: (
                _("coupon %(code)s was already used by order %(order)s")
                % {"code": codes[i], "order": used_by[i] if used_by[i] != "?" else "—"}
            ),
        )
        before = np.array([book.code_of_order.get(o, "") for o in order_ids.tolist()], dtype=object)
        refuse(
            known & (before != "") & (before != codes),
            ORDER_HAS_ANOTHER,
            lambda i: (
                _("order %(order)s already redeemed coupon %(code)s") % {"order": order_ids[i], "code": before[i]}
            ),
        )
    ok = has & known & (reason == "")
    return Checked(coupon_id=np.where(ok, book.id[at] if len(book.id) else 0, 0), reason=reason, message=message)


def record(rows: list[tuple[str, object, int]]) -> None:
    """Link each (order_id, redeemed_at as a database parameter, coupon id) in one transaction's worth of
    UPDATEs; raises RedemptionLost (undoing the caller's transaction) when a coupon was taken meanwhile."""
    if not rows:
        return
    coupon, order = quote(Coupon._meta.db_table), quote(Order._meta.db_table)
    new_order = f"(SELECT {quote('id')} FROM {order} WHERE {quote('order_id')} = %s)"
    sql = (
        f"UPDATE {coupon} SET {quote('order_id')} = {new_order}, {quote('redeemed_at')} = %s "
        f"WHERE {quote('id')} = %s AND ({quote('order_id')} IS NULL AND {quote('redeemed_at')} IS NULL"
        f" OR {quote('order_id')} = {new_order})"
    )
    with connection.cursor() as cursor:
        for order_id, redeemed_at, coupon_id in rows:
            cursor.execute(sql, [order_id, redeemed_at, coupon_id, order_id])
            if cursor.rowcount != 1:
                code = Coupon.objects.filter(pk=coupon_id).values_list("code", flat=True).first()
                raise RedemptionLost(code or "?", order_id)
