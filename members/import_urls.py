from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_list, name="import-list"),
    path("<int:pk>/", import_views.import_detail, name="import-detail"),
    path("<int:pk>/status/", import_views.import_status, name="import-status"),
    path("<int:pk>/confirm/", import_views.import_confirm, name="import-confirm"),
    path("<int:pk>/errors.csv", import_views.import_errors_csv, name="import-errors"),
]
