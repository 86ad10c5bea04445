"""The livecodes app's permission names, so views, the menu and tests speak one list."""

VIEW_LIVECODES = "livecodes.view_livecode"
MANAGE_LIVECODES = "livecodes.change_livecode"  # create, edit, the pool, the images, referral links
VIEW_REFERRALS = "livecodes.view_referral"
PAY_REFERRALS = "livecodes.change_referral"  # mark a referrer's rewards paid
