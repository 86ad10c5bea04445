from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="import-list"),
    path("<int:pk>/", views.import_detail, name="import-detail"),
    path("<int:pk>/status/", views.import_status, name="import-status"),
    path("<int:pk>/confirm/", views.import_confirm, name="import-confirm"),
    path("<int:pk>/retry/", views.import_retry, name="import-retry"),
    path("<int:pk>/errors.csv", views.import_errors_csv, name="import-errors"),
    path("<int:pk>/errors.xlsx", views.import_errors_xlsx, name="import-errors-xlsx"),
]
