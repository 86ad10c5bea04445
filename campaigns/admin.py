from django import forms
from django.contrib import admin

from .checks import campaign_groups_check
from .models import (
    Campaign,
    CampaignItem,
    CampaignSeries,
    Coupon,
    CouponBatch,
    CouponTemplate,
    Delivery,
    Order,
    OrderLine,
    Playbook,
    PlaybookAssignment,
    PlaybookStep,
    Product,
    Reminder,
    WebhookRobot,
)


class CampaignItemInline(admin.TabularInline):
    model = CampaignItem
    extra = 0
    raw_id_fields = ["product"]


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = "__all__"  # noqa: DJ007 - the admin picks the fields; this form only adds the groups rule

    def clean_groups(self):
        groups = self.cleaned_data["groups"]
        campaign_groups_check(groups)
        return groups


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = ["code", "name", "starts_at", "ends_at", "gmv_target", "status"]
    list_filter = ["status"]
    search_fields = ["code", "name"]
    filter_horizontal = ["groups"]
    inlines = [CampaignItemInline]
    raw_id_fields = ["series", "owner"]

    def save_related(self, request, form, formsets, change):
        # The groups go through the service, as on the campaign page: a removed group's reminders are
        # cancelled, an added one gets the campaign's playbooks, a legacy group is refused.
        from .services import campaign_groups_set  # here, not at the top: the admin loads at every start-up

        groups = form.cleaned_data.pop("groups", None)
        super().save_related(request, form, formsets, change)
        if groups is not None:
            campaign_groups_set(campaign=form.instance, groups=groups, by=request.user)


@admin.register(CampaignSeries)
class CampaignSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "weekday", "start_time", "first_date", "weeks"]
    filter_horizontal = ["groups"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "lowest_public_price", "unit_cost", "stock", "is_active"]
    search_fields = ["sku", "name"]
    list_filter = ["is_active"]


class PlaybookStepInline(admin.StackedInline):
    model = PlaybookStep
    extra = 0
    fields = [
        ("position", "anchor", "offset_days", "at_time", "offset_minutes", "repeat_days"),
        ("kind", "channel", "assignee_role", "assignee"),
        "title",
        "text",
        ("red_packet_amount", "red_packet_count", "red_packet_name"),
    ]
    raw_id_fields = ["assignee"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_shipped", "copied_from"]
    search_fields = ["code", "name"]
    inlines = [PlaybookStepInline]


@admin.register(PlaybookAssignment)
class PlaybookAssignmentAdmin(admin.ModelAdmin):
    list_display = ["playbook", "group", "campaign", "starts_at", "is_copy", "is_active"]
    list_filter = ["is_copy", "is_active", "playbook"]
    raw_id_fields = ["group", "campaign", "created_by"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["title", "group", "assignee", "channel", "due_at", "status", "attempts", "is_late"]
    list_filter = ["status", "channel", "kind", "is_late"]
    search_fields = ["title", "key"]
    raw_id_fields = ["campaign", "group", "step", "assignee", "done_by"]
    date_hierarchy = "due_at"
    list_select_related = ["group", "assignee"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["idempotency_key", "channel", "target", "sent_at", "worker"]
    list_filter = ["channel"]
    raw_id_fields = ["reminder"]


@admin.register(WebhookRobot)
class WebhookRobotAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    filter_horizontal = ["groups"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["order_id", "member", "placed_at", "amount", "status", "group", "campaign"]
    list_filter = ["status", "group__tier"]
    search_fields = ["order_id", "member__external_id", "member__name"]
    raw_id_fields = ["member", "group", "campaign"]
    date_hierarchy = "placed_at"
    list_select_related = ["member", "group", "campaign"]
    inlines = [OrderLineInline]


@admin.register(CouponTemplate)
class CouponTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "amount", "min_spend", "valid_days", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(CouponBatch)
class CouponBatchAdmin(admin.ModelAdmin):
    list_display = ["template", "description", "issued_at", "size"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "template", "member", "issued_at", "expires_at", "redeemed_at"]
    search_fields = ["code", "member__external_id"]
    raw_id_fields = ["member", "order", "batch"]
