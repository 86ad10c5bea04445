from django.contrib import admin

from .models import Group, Member, Membership, Tag, TagCategory
from .signals import send_memberships_changed


def _announce_status_change(before: str | None, membership: Membership) -> None:
    """A membership saved in the admin is a join or a leaving like any other: the floors above hear of it (the
    live codes' room, the welcome and core-left reminders), as they do from the app's pages and the import."""
    was_active, was_open = before == Membership.Status.ACTIVE, before in Membership.OPEN_STATUSES
    if membership.status == Membership.Status.ACTIVE and not was_active:
        send_memberships_changed(joined=[membership.pk])
    elif was_open and not membership.is_open:
        send_memberships_changed(ended=[membership.pk])


class TagInline(admin.TabularInline):
    model = Tag
    extra = 0


@admin.register(TagCategory)
class TagCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "position"]
    inlines = [TagInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category"]
    list_filter = ["category"]
    search_fields = ["code", "name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["member", "group"]
    readonly_fields = ["strikes"]  # the count of the member's violations: recorded on the group page


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "region", "store_name", "cumulative_purchase", "last_active_at"]
    list_filter = ["region", "tags"]
    search_fields = ["external_id", "name", "store_name", "wechat_nickname", "phone"]
    raw_id_fields = ["referred_by"]
    filter_horizontal = ["tags"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        before = {f.instance.pk: f.initial.get("status") for f in formset.forms if f.instance.pk}
        super().save_formset(request, form, formset, change)
        for membership in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            _announce_status_change(before.get(membership.pk), membership)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tier", "platform", "region", "owner", "capacity", "stage"]
    list_filter = ["tier", "platform", "stage", "region"]
    search_fields = ["code", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["member", "group", "status", "joined_at", "left_at", "strikes"]
    list_filter = ["status", "group__tier"]
    raw_id_fields = ["member", "group"]
    search_fields = ["member__external_id", "member__name", "group__code"]
    readonly_fields = ["strikes"]  # the count of the member's violations: recorded on the group page

    def save_model(self, request, obj, form, change):
        before = form.initial.get("status") if change else None
        super().save_model(request, obj, form, change)
        _announce_status_change(before, obj)
