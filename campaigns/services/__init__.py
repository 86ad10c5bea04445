"""Write operations of the campaigns app, one module per subject; each is a transaction. Reminder delivery
(claiming, channels, retries) lives in `campaigns/delivery.py`."""

from .campaigns import (
    CampaignNotPublishable,
    campaign_create,
    campaign_groups_check,
    campaign_groups_set,
    campaign_item_add,
    campaign_item_remove,
    campaign_publish,
    campaign_reschedule,
    campaign_schedule,
    campaign_series_create,
    campaign_stock_watch,
    campaigns_advance,
    order_lines_record,
    series_create,
)
from .coupons import (
    CouponError,
    coupon_batch_issue,
    coupon_redeem,
)
from .playbooks import (
    PlaybookNeedsCampaign,
    playbook_apply,
    playbook_assignments_extend,
    playbook_copy,
    playbook_copy_code,
    playbook_step_save,
    reminder_complete,
    reminders_cancel,
)
from .runs import campaign_join_series, campaign_next_week, series_next_week

__all__ = [
    "CampaignNotPublishable",
    "CouponError",
    "PlaybookNeedsCampaign",
    "campaign_create",
    "campaign_groups_check",
    "campaign_groups_set",
    "campaign_item_add",
    "campaign_join_series",
    "campaign_next_week",
    "campaign_item_remove",
    "campaign_publish",
    "campaign_reschedule",
    "campaign_schedule",
    "campaign_series_create",
    "campaign_stock_watch",
    "campaigns_advance",
    "coupon_batch_issue",
    "coupon_redeem",
    "order_lines_record",
    "playbook_apply",
    "playbook_assignments_extend",
    "playbook_copy",
    "playbook_copy_code",
    "playbook_step_save",
    "reminder_complete",
    "reminders_cancel",
    "series_create",
    "series_next_week",
]
