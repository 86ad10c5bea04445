from django.urls import path

from . import api

urlpatterns = [
    path("reminders/", api.ReminderInboxApi.as_view(), name="api-reminder-inbox"),
    path("reminders/<int:pk>/complete/", api.ReminderCompleteApi.as_view(), name="api-reminder-complete"),
    path("campaigns/", api.CampaignListApi.as_view(), name="api-campaign-list"),
    path("campaigns/<int:pk>/live/", api.CampaignLiveApi.as_view(), name="api-campaign-live"),
]
