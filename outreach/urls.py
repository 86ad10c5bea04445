from django.urls import path

from . import questionnaire_views, views

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
    path("questionnaires/", questionnaire_views.questionnaire_list, name="questionnaire-list"),
    path("questionnaires/new/", questionnaire_views.questionnaire_edit, name="questionnaire-create"),
    path("questionnaires/<int:pk>/", questionnaire_views.questionnaire_detail, name="questionnaire-detail"),
    path("questionnaires/<int:pk>/edit/", questionnaire_views.questionnaire_edit, name="questionnaire-edit"),
    path(
        "calls/tasks/<int:pk>/questionnaires/<int:questionnaire_pk>/",
        questionnaire_views.task_questionnaire,
        name="task-questionnaire",
    ),
    path(
        "calls/tasks/<int:pk>/questionnaires/<int:questionnaire_pk>/link/",
        questionnaire_views.task_questionnaire_link,
        name="task-questionnaire-link",
    ),
    # The member's page: public, from a personal link.
    path("q/<str:token>/", questionnaire_views.public_questionnaire, name="public-questionnaire"),
]
