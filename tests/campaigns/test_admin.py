"""The Django admin changes a campaign's groups through the same rules as the campaign page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Reminder
from campaigns.services import playbook_apply
from tests.conftest import PASSWORD

from .factories import CampaignFactory, GroupFactory, shipped_playbook

pytestmark = pytest.mark.django_db


def change_form(campaign, groups) -> dict:
    local = timezone.localtime
    return {
        "code": campaign.code, "name": campaign.name, "status": campaign.status,
        "starts_at_0": local(campaign.starts_at).date().isoformat(),
        "starts_at_1": local(campaign.starts_at).time().isoformat(timespec="seconds"),
        "ends_at_0": local(campaign.ends_at).date().isoformat(),
        "ends_at_1": local(campaign.ends_at).time().isoformat(timespec="seconds"),
        "created_at_0": local(campaign.created_at).date().isoformat(),
        "created_at_1": local(campaign.created_at).time().isoformat(timespec="seconds"),
        "gmv_target": "1000.00", "loss_cap": "0.00", "groups": [g.pk for g in groups],
        "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0", "items-MAX_NUM_FORMS": "1000",
    }  # fmt: skip


def test_admin_removing_a_group_cancels_its_reminders_and_refuses_a_legacy_group(client, admin_user):
    keep, drop = GroupFactory(owner=admin_user), GroupFactory(owner=admin_user)
    start = timezone.now() + dt.timedelta(days=2)
    campaign = CampaignFactory(groups=[keep, drop], starts_at=start, ends_at=start + dt.timedelta(hours=12))
    assert playbook_apply(playbook=shipped_playbook("weekly-warm-up"), campaign=campaign, groups=[keep, drop])
    client.login(username=admin_user.username, password=PASSWORD)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])

    legacy = GroupFactory(tier="legacy", name="2019老客户群")
    refused = client.post(url, change_form(campaign, [keep, drop, legacy]))
    assert refused.status_code == 200
    assert "2019老客户群" in str(refused.context["adminform"].form.errors["groups"])
    assert set(campaign.groups.all()) == {keep, drop}

    response = client.post(url, change_form(campaign, [keep]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(campaign.groups.all()) == {keep}
    assert set(Reminder.objects.filter(group=drop).values_list("status", flat=True)) == {"cancelled"}
    assert "cancelled" not in set(Reminder.objects.filter(group=keep).values_list("status", flat=True))
