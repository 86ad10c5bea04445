from django.urls import path

from . import codebook, lifecycle_views, views

app_name = "members"

urlpatterns = [
    path("members/", views.member_list, name="member-list"),
    path("members/<int:pk>/", views.member_detail, name="member-detail"),
    path("members/selections/", views.selection_list, name="selection-list"),
    path("members/selections/new/", views.selection_create, name="selection-create"),
    path("members/selections/<int:pk>/delete/", views.selection_delete, name="selection-delete"),
    path("members/codebook/", codebook.codebook, name="codebook"),
    path("members/codebook/tags/<int:pk>/", codebook.tag_edit, name="tag-edit"),
    path("groups/", views.group_list, name="group-list"),
    path("groups/<int:pk>/", views.group_detail, name="group-detail"),
    path("groups/new/", lifecycle_views.group_create, name="group-create"),
    path("groups/<int:pk>/edit/", lifecycle_views.group_edit, name="group-edit"),
    path(
        "groups/<int:pk>/memberships/<int:membership_pk>/<slug:action>/",
        lifecycle_views.membership_action,
        name="membership-action",
    ),
    path("groups/legacy/", lifecycle_views.legacy_list, name="legacy-list"),
    path("groups/legacy/<int:pk>/", lifecycle_views.legacy_wizard, name="legacy-wizard"),
    path("members/<int:pk>/promote/", lifecycle_views.member_promote, name="member-promote"),
]
