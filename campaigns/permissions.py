"""The campaigns app's permission names, so views, the menu, panels and tests speak one list."""

VIEW_CAMPAIGNS = "campaigns.view_campaign"
CHANGE_CAMPAIGNS = "campaigns.change_campaign"
VIEW_ORDERS = "campaigns.view_order"
VIEW_REMINDERS = "campaigns.view_reminder"
CHANGE_REMINDERS = "campaigns.change_reminder"
CLOSE_ANY_REMINDER = "campaigns.close_any_reminder"  # managers and admins: close a reminder that is not theirs
VIEW_PLAYBOOKS = "campaigns.view_playbook"
CHANGE_PLAYBOOKS = "campaigns.change_playbook"
VIEW_COUPONS = "campaigns.view_coupontemplate"
ISSUE_COUPONS = "campaigns.add_coupon"
