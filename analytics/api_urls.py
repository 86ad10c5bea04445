from django.urls import path

from . import api

urlpatterns = [
    path("metrics/", api.MetricsApi.as_view(), name="api-metrics"),
    path("rates/", api.RatesApi.as_view(), name="api-rates"),
]
