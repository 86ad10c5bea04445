"""`/api/v1/reminders/` (the caller's inbox), `/api/v1/reminders/<id>/complete/`, `/api/v1/campaigns/` and
`/api/v1/campaigns/<id>/live/`: what the pages show, for scripts and a mobile client. Thin APIViews with
nested Input/Output serializers; the same services and selectors as the pages."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import can
from core.money import format_money

from . import selectors, services
from .models import Campaign, Reminder
from .permissions import VIEW_REMINDERS


def _perm(name: str):
    class HasPermission(BasePermission):
        def has_permission(self, request, view):
            return can(request.user, name)

    HasPermission.__name__ = f"Has_{name.replace('.', '_')}"
    return HasPermission


class ReminderOutput(serializers.ModelSerializer):
    group = serializers.CharField(source="group.code", default=None)
    campaign = serializers.CharField(source="campaign.code", default=None)

    class Meta:
        model = Reminder
        fields = [
            "id", "kind", "title", "text", "group", "campaign", "due_at", "status", "channel", "red_packet_amount",
            "red_packet_count", "red_packet_name", "is_late", "late_by", "sent_at", "done_at",
        ]  # fmt: skip


class ReminderInboxApi(APIView):
    """The caller's reminders that are due and not done, oldest first."""

    permission_classes = [IsAuthenticated, _perm(VIEW_REMINDERS)]

    @extend_schema(responses={200: ReminderOutput(many=True)})
    def get(self, request):
        reminders = selectors.reminder_inbox(user=request.user, now=timezone.now())[:500]
        return Response(ReminderOutput(reminders, many=True).data)


class ReminderCompleteApi(APIView):
    """Mark a reminder done (or skipped); 409 when someone closed it already; 403 when the caller may not close
    it (not theirs nor their group's, or not due yet: the service's rule, as on the page)."""

    permission_classes = [IsAuthenticated, _perm(VIEW_REMINDERS)]

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["done", "skip"], default="done")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: ReminderOutput,
            403: OpenApiResponse(description="Not the caller's to close, or not due yet"),
            409: ReminderOutput,
        },
    )
    def post(self, request, pk: int):
        reminder = get_object_or_404(Reminder.objects.select_related("group", "campaign"), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.reminder_complete(
            reminder=reminder, by=request.user, skipped=data.validated_data["action"] == "skip"
        )
        return Response(ReminderOutput(reminder).data, status=200 if changed else 409)


class CampaignOutput(serializers.ModelSerializer):
    groups = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "code",
            "name",
            "status",
            "starts_at",
            "ends_at",
            "gmv_target",
            "loss_cap",
            "landing_url",
            "groups",
        ]


class CampaignListApi(APIView):
    permission_classes = [IsAuthenticated, _perm("campaigns.view_campaign")]

    @extend_schema(responses={200: CampaignOutput(many=True)})
    def get(self, request):
        campaigns = Campaign.objects.prefetch_related("groups").order_by("-starts_at")[:200]
        return Response(CampaignOutput(campaigns, many=True).data)


class CampaignLiveApi(APIView):
    """GMV against target and pace, orders per 10 minutes, GMV per group, items against supplier caps."""

    permission_classes = [IsAuthenticated, _perm("campaigns.view_campaign")]

    @extend_schema(responses={200: dict})
    def get(self, request, pk: int):
        try:
            campaign = selectors.campaign_get(pk=pk)
        except Campaign.DoesNotExist as error:
            raise Http404 from error
        live = selectors.campaign_live(campaign=campaign)
        return Response(
            {
                "campaign": campaign.code,
                "gmv": format_money(live["gmv"]),
                "target": format_money(live["target"]),
                "expected_so_far": format_money(live["expected_so_far"]),
                "projected": format_money(live["projected"]),
                "orders": live["orders"],
                "buyers": live["buyers"],
                "per_10_minutes": live["series"],
                "groups": [
                    {"group": row["group__name"], "orders": row["orders"], "gmv": format_money(row["gmv"])}
                    for row in live["per_group"]
                ],
                "items": [
                    {
                        "sku": row.item.product.sku,
                        "sold": row.sold,
                        "supplier_cap": row.cap,
                        "stock": row.stock,
                        "restock_alert": row.alert,
                    }  # fmt: skip
                    for row in live["items"]
                ],
            }
        )
