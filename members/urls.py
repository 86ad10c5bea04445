from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("members/", views.member_list, name="member-list"),
    path("members/<int:pk>/", views.member_detail, name="member-detail"),
    path("groups/", views.group_list, name="group-list"),
    path("groups/<int:pk>/", views.group_detail, name="group-detail"),
]
