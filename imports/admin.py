from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "status", "rows_done", "rows_total", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["report"]
