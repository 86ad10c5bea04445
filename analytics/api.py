"""`/api/v1/metrics/` and `/api/v1/rates/`: the documents of the `metrics` and `rates` commands, built by the
same functions (`analytics.reports`). Managers, operators and admins only (agents get 403). The Output
serializers describe the documents for the OpenAPI schema; the documents themselves come from reports."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import can
from core.dates import validate_sensible_date

from . import reports

VIEW_NUMBERS = "analytics.view_dashboard"
GROUP_CODE_MAX_LENGTH = 64  # longer than any group code (members.Group.code holds 32)


class CanReadNumbers(BasePermission):
    def has_permission(self, request, view):
        return can(request.user, VIEW_NUMBERS)


class MetricRowSerializer(serializers.Serializer):
    """One group's (or the platform's) figures. Money: strings with two decimals; ratios: numbers or null."""

    group = serializers.CharField(allow_null=True)
    gmv = serializers.CharField()
    orders = serializers.IntegerField()
    buyers = serializers.IntegerField()
    core_members = serializers.IntegerField()
    repurchases = serializers.FloatField(allow_null=True)
    aov = serializers.FloatField(allow_null=True)
    core_gmv = serializers.CharField()
    other_gmv = serializers.CharField()


class MetricsOutputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="exclusive")
    groups = MetricRowSerializer(many=True)
    platform = MetricRowSerializer()


class SegmentCountsSerializer(serializers.Serializer):
    potential = serializers.IntegerField()
    new = serializers.IntegerField()
    core = serializers.IntegerField()
    dormant = serializers.IntegerField()


class RatesRowSerializer(serializers.Serializer):
    group = serializers.CharField()
    start = SegmentCountsSerializer()
    end = SegmentCountsSerializer()
    transitions = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="from segment -> to segment or 'left' -> members",
    )
    new_add_rate = serializers.FloatField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)
    churn_rate = serializers.FloatField(allow_null=True)
    reactivation_rate = serializers.FloatField(allow_null=True)


class RatesOutputSerializer(serializers.Serializer):
    week = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="exclusive: the next Monday")
    groups = RatesRowSerializer(many=True)


def _answer(build, request_obj):
    try:
        return Response(build(request_obj))
    except reports.ReportError as exc:
        if exc.status == 404:
            raise NotFound(str(exc)) from exc
        raise ValidationError({"detail": str(exc)}) from exc


class MetricsApi(APIView):
    """Period metrics per group and for the platform, local days [start, end)."""

    permission_classes = [IsAuthenticated, CanReadNumbers]

    class InputSerializer(serializers.Serializer):
        start = serializers.DateField(validators=[validate_sensible_date])
        end = serializers.DateField(validators=[validate_sensible_date])
        group = serializers.CharField(required=False, allow_blank=True, max_length=GROUP_CODE_MAX_LENGTH)

    @extend_schema(parameters=[InputSerializer], responses={200: MetricsOutputSerializer})
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return _answer(reports.metrics_document, reports.MetricsRequest(**params.validated_data))


class RatesApi(APIView):
    """Segment counts, transitions and the four rates of an ISO week."""

    permission_classes = [IsAuthenticated, CanReadNumbers]

    class InputSerializer(serializers.Serializer):
        week = serializers.RegexField(r"^\d{4}-W\d{2}$", help_text="ISO week, e.g. 2026-W02")
        group = serializers.CharField(required=False, allow_blank=True, max_length=GROUP_CODE_MAX_LENGTH)

    @extend_schema(parameters=[InputSerializer], responses={200: RatesOutputSerializer})
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return _answer(reports.rates_document, reports.RatesRequest(**params.validated_data))
