from django.urls import path

from . import views
from .recap import views as recap_views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("platform/", views.platform, name="platform"),
    path("decomposition/", views.decomposition, name="decomposition"),
    path("groups/<str:code>/", views.group_detail, name="group"),
    path("recap/", recap_views.recap, name="recap"),
    path("recap/retrospective/", recap_views.recap_note, name="recap-note"),
    path("recap/regenerate/", recap_views.recap_regenerate, name="recap-regenerate"),
]
