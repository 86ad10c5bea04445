from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("rules/", views.rules_overview, name="rules"),
    path("rules/apply/", views.rules_apply_tier, name="rules-apply-tier"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule-edit"),
    path("groups/<int:pk>/rules/", views.group_rules, name="group-rules"),
    path("groups/<int:pk>/rules/apply/", views.group_rules_apply, name="group-rules-apply"),
    path("groups/<int:pk>/welcome/", views.welcome_save, name="welcome-save"),
    path("groups/<int:pk>/violations/new/", views.violation_record, name="violation-record"),
    path("groups/<int:pk>/nicknames/", views.nickname_check, name="nickname-check"),
    path("violations/<int:pk>/screenshot/", views.violation_screenshot, name="violation-screenshot"),
]
