"""Importing orders (`orders.py`), registered with `imports.registry` by `CampaignsConfig.ready()`."""

from imports.registry import TableSpec
from imports.report import ImportReport

ORDERS = TableSpec(
    columns=("order_id", "member_external_id", "placed_at", "amount", "status", "group", "campaign", "coupon"),
    required=("order_id", "member_external_id", "placed_at", "amount"),
)


def run_orders_import(**options) -> ImportReport:
    """The registry calls this; it imports the importer, and pandas, on first use only."""
    from .orders import orders_import

    return orders_import(**options)
