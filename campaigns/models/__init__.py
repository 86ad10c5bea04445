"""Campaigns: products, weekly campaigns and their items, SOP playbooks, reminders, orders and coupons."""

from .campaigns import Campaign, CampaignItem, CampaignQuerySet, CampaignSeries, Product
from .coupons import Coupon, CouponBatch, CouponTemplate
from .orders import Order, OrderLine, OrderQuerySet
from .playbooks import Playbook, PlaybookAssignment, PlaybookStep
from .ratelimits import RateLimitBucket, RateLimitHit
from .reminders import Delivery, Reminder, ReminderQuerySet, WebhookRobot

__all__ = [
    "Campaign", "CampaignItem", "CampaignQuerySet", "CampaignSeries", "Coupon", "CouponBatch", "CouponTemplate",
    "Delivery", "Order", "OrderLine", "OrderQuerySet", "Playbook", "PlaybookAssignment", "PlaybookStep",
    "Product", "RateLimitBucket", "RateLimitHit", "Reminder", "ReminderQuerySet", "WebhookRobot",
]  # fmt: skip
