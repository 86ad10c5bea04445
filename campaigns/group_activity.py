"""The orders of groups as `members.activity` asks for them (registered in CampaignsConfig.ready)."""

from django.db.models import Count, Max

from members.activity import GroupOrders

from .models import Order


def group_orders(group_ids: list[int]) -> dict[int, GroupOrders]:
    rows = (
        Order.objects.filter(group_id__in=group_ids)
        .order_by()
        .values("group_id")
        .annotate(orders=Count("pk"), last=Max("placed_at"))
    )
    return {row["group_id"]: GroupOrders(row["orders"], row["last"]) for row in rows}
