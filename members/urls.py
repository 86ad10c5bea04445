from django.urls import path

from . import codebook, views

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
]
