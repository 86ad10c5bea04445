from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.user_list, name="user-list"),
    path("new/", views.user_create, name="user-create"),
    path("<int:pk>/", views.user_detail, name="user-detail"),
    path("<int:pk>/profile/", views.user_profile_set, name="user-profile"),
    path("<int:pk>/roles/", views.user_roles_set, name="user-roles"),
    path("<int:pk>/active/", views.user_active_set, name="user-active"),
    path("<int:pk>/password/", views.user_password_set, name="user-password"),
]
