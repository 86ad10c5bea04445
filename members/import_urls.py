from django.urls import path

app_name = "imports"

# The import pages (upload, report, confirm, progress); filled in by the imports work.
urlpatterns: list = []
