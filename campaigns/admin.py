from django.contrib import admin

from .models import Campaign, Order


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "starts_at", "ends_at", "gmv_target", "status"]
    list_filter = ["status"]
    search_fields = ["code", "name"]
    filter_horizontal = ["groups"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["order_id", "member", "placed_at", "amount", "status", "group", "campaign"]
    list_filter = ["status", "group__tier"]
    search_fields = ["order_id", "member__external_id", "member__name"]
    raw_id_fields = ["member", "group", "campaign"]
    date_hierarchy = "placed_at"
    list_select_related = ["member", "group", "campaign"]
