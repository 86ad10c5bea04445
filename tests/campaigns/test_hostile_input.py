"""Issue 11, item 9: absurd values in the campaign forms and the reminder calendar are refused beside the field,
never a server error: days of year 1 or 9999 (a year-1 moment in Asia/Shanghai is year 0 in UTC), ids beyond the
database's integer range, a preview months before the campaign."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignSeries, CouponTemplate
from tests.conftest import PASSWORD, Client

from .factories import CampaignFactory, GroupFactory, shipped_playbook

pytestmark = pytest.mark.django_db

HUGE_ID = "99999999999999999999"  # beyond a 64-bit integer


@pytest.fixture
def operator_client(operator):
    client = Client(raise_request_exception=False)  # a server error comes back as the 500 a browser would get
    assert client.login(username=operator.username, password=PASSWORD)
    return client


def campaign_data(operator, group, **changes):
    data = {
        "code": "THU1", "name": "周四特惠", "starts_at": "2026-12-03T10:00", "ends_at": "2026-12-03T22:00",
        "groups": [group.pk], "gmv_target": "80000", "loss_cap": "1000", "landing_url": "", "owner": operator.pk,
    }  # fmt: skip
    return {**data, **changes}


def refused(response, field: str) -> bool:
    """The form came back (200) with an error on `field`."""
    return response.status_code == 200 and field in response.context["form"].errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "0001-01-01T00:00"),
        ("ends_at", "9999-12-31T23:59"),
        ("groups", HUGE_ID),
        ("owner", HUGE_ID),
        ("groups", "-1"),
    ],
)
def test_campaign_form_refuses_absurd_values_beside_the_field(operator_client, operator, field, value):
    response = operator_client.post(
        reverse("campaigns:campaign-create"), campaign_data(operator, GroupFactory(), **{field: value})
    )
    assert refused(response, field), (response.status_code, field)
    assert not Campaign.objects.exists()


def test_schedule_form_refuses_year_one(operator_client, operator):
    campaign = CampaignFactory(owner=operator)
    url = reverse("campaigns:campaign-schedule", args=[campaign.pk])
    response = operator_client.post(url, {"starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T08:00"})
    assert response.status_code < 500
    starts = campaign.starts_at
    campaign.refresh_from_db()
    assert campaign.starts_at == starts


@pytest.mark.parametrize(
    ("field", "value"),
    [("first_date", "0001-01-04"), ("preview_days_before", "30000"), ("playbook", HUGE_ID), ("groups", HUGE_ID)],
)
def test_series_form_refuses_absurd_values_beside_the_field(operator_client, operator, field, value):
    data = {
        "code": "VIP", "name": "VIP周四", "weekday": 3, "start_time": "10:00", "duration_hours": "12",
        "preview_days_before": 1, "preview_time": "12:00", "first_date": "2026-12-03", "weeks": 3,
        "groups": [GroupFactory().pk], "gmv_target": "80000", "loss_cap": "500", "landing_url": "",
        "owner": operator.pk, "playbook": shipped_playbook("weekly-warm-up").pk, field: value,
    }  # fmt: skip
    response = operator_client.post(reverse("campaigns:series-create"), data)
    assert refused(response, field), (response.status_code, field)
    assert not CampaignSeries.objects.exists()


def test_coupon_form_refuses_an_id_beyond_the_integer_range(operator_client):
    template = CouponTemplate.objects.create(code="new10", name="新客券", kind="new", amount="10")
    for field in ("group", "selection", "template"):
        data = {"template": template.pk, "group": "", "segment": "", "selection": "", "external_ids": "KH1"}
        response = operator_client.post(reverse("campaigns:coupon-list"), {**data, field: HUGE_ID})
        assert refused(response, field), (response.status_code, field)


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "2026-02-30", "x" * 500])
def test_calendar_says_why_and_shows_this_week_for_an_absurd_week(operator_client, week):
    response = operator_client.get(reverse("campaigns:reminder-calendar"), {"week": week})
    assert response.status_code == 200
    assert 'data-testid="field-error"' in response.content.decode()
