from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("platform/", views.platform, name="platform"),
    path("decomposition/", views.decomposition, name="decomposition"),
    path("groups/<str:code>/", views.group_detail, name="group"),
]
