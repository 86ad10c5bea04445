from django.contrib import admin

from .models import Group, Member, Membership, Tag, TagCategory


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


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "region", "store_name", "cumulative_purchase", "last_active_at"]
    list_filter = ["region", "tags"]
    search_fields = ["external_id", "name", "store_name", "wechat_nickname", "phone"]
    raw_id_fields = ["referred_by"]
    filter_horizontal = ["tags"]
    inlines = [MembershipInline]


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
