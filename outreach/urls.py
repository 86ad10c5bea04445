from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("calls/", views.my_calls, name="my-calls"),
    path("calls/next/", views.call_next, name="call-next"),
    path("calls/tasks/<int:pk>/", views.task_detail, name="task"),
    path("calls/tasks/<int:pk>/claim/", views.task_claim, name="task-claim"),
    path("calls/tasks/<int:pk>/record/", views.task_record, name="task-record"),
    path("calls/tasks/<int:pk>/dial/", views.task_dial, name="task-dial"),
    path("calls/tasks/<int:pk>/joined/", views.task_joined, name="task-joined"),
    path("call-lists/", views.calllist_list, name="calllist-list"),
    path("call-lists/new/", views.calllist_create, name="calllist-create"),
    path("call-lists/stats.xlsx", views.stats_export, name="stats-export"),
    path("call-lists/<int:pk>/", views.calllist_detail, name="calllist-detail"),
    path("call-lists/<int:pk>/reassign/", views.calllist_reassign, name="calllist-reassign"),
    path("call-lists/<int:pk>/close/", views.calllist_close, name="calllist-close"),
    path("call-lists/<int:pk>/export.xlsx", views.calllist_export, name="calllist-export"),
    path("scripts/", views.script_list, name="script-list"),
    path("scripts/new/", views.script_edit, name="script-create"),
    path("scripts/<int:pk>/", views.script_edit, name="script-edit"),
    path("phone-audit/", views.phone_audit, name="phone-audit"),
]
