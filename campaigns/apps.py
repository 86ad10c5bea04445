from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns and orders")

    def ready(self) -> None:
        # What campaigns adds to the floors below: the orders import, and orders on member and group pages.
        from imports import registry
        from members import activity, panels

        from .group_activity import group_orders
        from .importers import ORDERS, run_orders_import
        from .permissions import VIEW_ORDERS
        from .selectors import group_orders_panel, member_orders_panel

        registry.register(registry.Importer("orders", _("Orders"), ORDERS, run_orders_import, position=30))
        panels.register(
            "member",
            panels.Panel(
                key="orders", perms=(VIEW_ORDERS,), data=member_orders_panel,
                templates={"main": "campaigns/panels/_member_orders.html"},
            ),
        )  # fmt: skip
        panels.register(
            "group",
            panels.Panel(
                key="orders", perms=(VIEW_ORDERS,), data=group_orders_panel,
                templates={"stats": "campaigns/panels/_group_gmv.html", "side": "campaigns/panels/_group_orders.html"},
            ),
        )  # fmt: skip
        activity.register(group_orders)
