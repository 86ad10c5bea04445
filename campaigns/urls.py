from django.urls import path

from . import catalog_views, step_views, views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/series/new/", views.series_create, name="series-create"),
    path("campaigns/series/<int:pk>/", views.series_detail, name="series-detail"),
    path("campaigns/series/<int:pk>/next-week/", views.series_next_week, name="series-next-week"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/next-week/", views.campaign_next_week, name="campaign-next-week"),
    path("campaigns/<int:pk>/join-run/", views.campaign_join_series, name="campaign-join-series"),
    path("campaigns/<int:pk>/schedule/", views.campaign_schedule, name="campaign-schedule"),
    path("campaigns/<int:pk>/items/", views.campaign_item_add, name="campaign-item-add"),
    path("campaigns/<int:pk>/items/<int:item_pk>/remove/", views.campaign_item_remove, name="campaign-item-remove"),
    path("campaigns/<int:pk>/publish/", views.campaign_publish, name="campaign-publish"),
    path("campaigns/<int:pk>/apply/", views.campaign_apply_playbook, name="campaign-apply"),
    path("campaigns/<int:pk>/live/", views.campaign_live, name="campaign-live"),
    path("playbooks/", views.playbook_list, name="playbook-list"),
    path("playbooks/<int:pk>/", views.playbook_detail, name="playbook-detail"),
    path("playbooks/<int:pk>/apply/", views.playbook_apply, name="playbook-apply"),
    path("playbooks/<int:pk>/copy/", views.playbook_copy, name="playbook-copy"),
    path("reminders/", views.reminder_inbox, name="reminder-inbox"),
    path("reminders/calendar/", views.reminder_calendar, name="reminder-calendar"),
    path("reminders/<int:pk>/complete/", views.reminder_complete, name="reminder-complete"),
    path("coupons/", views.coupon_list, name="coupon-list"),
]

# Products and coupon templates (campaigns/catalog_views.py).
urlpatterns += [
    path("products/", catalog_views.product_list, name="product-list"),
    path("products/new/", catalog_views.product_create, name="product-create"),
    path("products/<int:pk>/edit/", catalog_views.product_edit, name="product-edit"),
    path("products/<int:pk>/active/", catalog_views.product_active, name="product-active"),
    path("coupons/templates/new/", catalog_views.coupon_template_create, name="coupon-template-create"),
    path("coupons/templates/<int:pk>/edit/", catalog_views.coupon_template_edit, name="coupon-template-edit"),
    path("coupons/templates/<int:pk>/active/", catalog_views.coupon_template_active, name="coupon-template-active"),
]

# A team's own playbook, step by step (campaigns/step_views.py).
urlpatterns += [
    path("playbooks/<int:pk>/steps/new/", step_views.step_create, name="step-create"),
    path("playbooks/<int:pk>/steps/<int:step_pk>/edit/", step_views.step_edit, name="step-edit"),
    path("playbooks/<int:pk>/steps/<int:step_pk>/delete/", step_views.step_delete, name="step-delete"),
]
