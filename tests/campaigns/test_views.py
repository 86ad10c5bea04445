import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from campaigns.models import Campaign, CouponTemplate, Order, OrderLine, Reminder
from campaigns.playbooks import step_preview
from campaigns.services import playbook_apply
from core.dates import local_date, local_midnight
from tests.conftest import PASSWORD

from .factories import (
    CampaignFactory,
    GroupFactory,
    ItemFactory,
    MemberFactory,
    ProductFactory,
    ReminderFactory,
    shipped_playbook,
)

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


PAGES = [
    ("campaigns:campaign-list", "活动"),
    ("campaigns:playbook-list", "SOP 剧本"),
    ("campaigns:reminder-inbox", "待办提醒"),
    ("campaigns:reminder-calendar", "待办日历"),
    ("campaigns:coupon-list", "优惠券"),
]


def title_of(response) -> str:
    html = response.content.decode()
    return html[html.index("<title>") + 7 : html.index("</title>")].rsplit(" · ", 1)[0].strip()


@pytest.mark.parametrize(("name", "title"), PAGES)
def test_pages_open_for_operator_and_manager_and_refuse_agents(client, operator, manager, agent, name, title):
    url = reverse(name)
    for user in (operator, manager):
        response = login(client, user).get(url)
        assert response.status_code == 200
        assert title_of(response) == title
    assert login(client, agent).get(url).status_code == 403


def test_campaign_detail_and_live_pages_by_role(client, operator, manager, agent):
    campaign = CampaignFactory(groups=[GroupFactory()], name="周四VIP特供")
    for name in ("campaigns:campaign-detail", "campaigns:campaign-live"):
        url = reverse(name, args=[campaign.pk])
        for user in (operator, manager):
            response = login(client, user).get(url)
            assert response.status_code == 200
            assert title_of(response).endswith("周四VIP特供")
        assert login(client, agent).get(url).status_code == 403


def test_manager_cannot_create_or_publish(client, manager):
    campaign = CampaignFactory()
    login(client, manager)
    assert client.get(reverse("campaigns:campaign-create")).status_code == 403
    assert client.post(reverse("campaigns:campaign-publish", args=[campaign.pk])).status_code == 403


def test_operator_creates_a_campaign(client, operator):
    group = GroupFactory()
    response = login(client, operator).post(
        reverse("campaigns:campaign-create"),
        {
            "code": "THU1", "name": "周四特惠", "starts_at": "2026-12-03T10:00", "ends_at": "2026-12-03T22:00",
            "groups": [group.pk], "gmv_target": "80000", "loss_cap": "1000", "landing_url": "", "owner": operator.pk,
        },
    )  # fmt: skip
    campaign = Campaign.objects.get(code="THU1")
    assert response.status_code == 302
    assert timezone.localtime(campaign.starts_at).hour == 10
    assert list(campaign.groups.all()) == [group]


def test_operator_creates_a_weekly_series(client, operator):
    group = GroupFactory()
    # A Thursday at least two days ahead: the warm-up's steps are all still ahead, so they become reminders
    # (a fixed first date stops making any once its three weeks are behind the day the suite runs).
    today = timezone.localdate()
    first_thursday = today + dt.timedelta(days=(3 - today.weekday() - 2) % 7 + 2)
    response = login(client, operator).post(
        reverse("campaigns:series-create"),
        {
            "code": "VIP", "name": "VIP周四", "weekday": 3, "start_time": "10:00", "duration_hours": "12",
            "preview_days_before": 1, "preview_time": "12:00", "first_date": first_thursday.isoformat(), "weeks": 3,
            "groups": [group.pk], "gmv_target": "80000", "loss_cap": "500", "landing_url": "",
            "owner": operator.pk, "playbook": shipped_playbook("weekly-warm-up").pk,
        },
    )  # fmt: skip
    assert response.status_code == 302
    assert Campaign.objects.filter(series__code="VIP").count() == 3
    assert Reminder.objects.filter(campaign__series__code="VIP").exists()


def test_publish_refused_lists_every_reason_on_the_page(client, operator):
    campaign = CampaignFactory(groups=[GroupFactory()])
    ItemFactory(campaign=campaign, product=ProductFactory(name="维生素C片", lowest_public_price=Decimal("39.00")),
                price=Decimal("39.00"))  # fmt: skip
    response = login(client, operator).post(reverse("campaigns:campaign-publish", args=[campaign.pk]), follow=True)
    # Post/redirect/get: the refusal lands on the campaign's own URL, not /publish/.
    assert response.redirect_chain == [(reverse("campaigns:campaign-detail", args=[campaign.pk]), 302)]
    body = response.content.decode()
    assert "publish-checks" in body
    assert "维生素C片" in body
    assert "¥39.00" in body
    assert body.count("<li>") >= 3  # price, mix (two), …
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_apply_playbook_from_the_campaign_page(client, operator):
    group = GroupFactory(owner=operator)
    campaign = CampaignFactory(groups=[group], starts_at=timezone.now() + dt.timedelta(days=2),
                               ends_at=timezone.now() + dt.timedelta(days=2, hours=12))  # fmt: skip
    playbook = shipped_playbook("weekly-warm-up")
    login(client, operator).post(
        reverse("campaigns:campaign-apply", args=[campaign.pk]), {"playbook": playbook.pk, "groups": [group.pk]}
    )
    assert Reminder.objects.filter(campaign=campaign, group=group).count() == playbook.steps.count()


def test_inbox_lists_oldest_first_and_done_by_htmx_returns_the_row(client, operator):
    now = timezone.now()
    # Within today (local): the inbox puts today's reminders oldest first, earlier days' in a section of their own.
    span = min(dt.timedelta(minutes=30), now - local_midnight(local_date(now)))
    newer = ReminderFactory(assignee=operator, status="sent", due_at=now - span / 30, title="甲提醒最新")
    older = ReminderFactory(assignee=operator, status="sent", due_at=now - span, title="甲提醒最旧")
    ReminderFactory(assignee=None, status="failed", due_at=now - span / 6, title="甲提醒无人")
    login(client, operator)
    body = client.get(reverse("campaigns:reminder-inbox")).content.decode()
    assert body.index("甲提醒最旧") < body.index("甲提醒无人") < body.index("甲提醒最新")
    response = client.post(reverse("campaigns:reminder-complete", args=[older.pk]), {"action": "done"},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 200
    assert f'id="reminder-{older.pk}"' in response.content.decode()
    older.refresh_from_db()
    assert older.status == "done"
    assert older.done_by == operator
    client.post(reverse("campaigns:reminder-complete", args=[newer.pk]), {"action": "skip"})
    newer.refresh_from_db()
    assert newer.status == "skipped"


def test_calendar_shows_the_weeks_reminders_and_last_weeks_late_and_missed(client, operator):
    group = GroupFactory(name="四川VIP1群", owner=operator)
    now = timezone.now()
    ReminderFactory(group=group, assignee=operator, title="发红包本周", due_at=now + dt.timedelta(minutes=5))
    ReminderFactory(group=group, assignee=operator, title="上周迟到", due_at=now - dt.timedelta(days=7), status="done",
                    is_late=True, late_by=dt.timedelta(minutes=12))  # fmt: skip
    ReminderFactory(group=group, assignee=operator, title="上周漏做", due_at=now - dt.timedelta(days=7), status="sent")
    body = login(client, operator).get(reverse("campaigns:reminder-calendar")).content.decode()
    assert "发红包本周" in body
    assert "四川VIP1群" in body
    assert "上周迟到" in body
    assert "上周漏做" in body


def test_live_page_numbers_and_restock_alert(client, operator, settings):
    now = timezone.now()
    group = GroupFactory(name="成都群")
    campaign = CampaignFactory(groups=[group], status="live", starts_at=now - dt.timedelta(hours=1),
                               ends_at=now + dt.timedelta(hours=1), gmv_target=Decimal("1000"))  # fmt: skip
    product = ProductFactory(name="口罩", stock=300)
    ItemFactory(campaign=campaign, product=product, price=Decimal("10"), supplier_cap=100)
    member = MemberFactory()
    order = Order.objects.create(order_id="O1", member=member, placed_at=now - dt.timedelta(minutes=30),
                                 amount=Decimal("850.00"), group=group, campaign=campaign)  # fmt: skip
    OrderLine.objects.create(order=order, product=product, quantity=85, amount=Decimal("850.00"))
    login(client, operator)
    page = client.get(reverse("campaigns:campaign-live", args=[campaign.pk])).content.decode()
    assert "¥850.00" in page
    assert 'hx-trigger="every 30s"' in page
    fragment = client.get(reverse("campaigns:campaign-live", args=[campaign.pk]), headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    assert "成都群" in fragment.content.decode()
    assert "85" in fragment.content.decode()


def test_coupon_page_issues_a_batch_to_listed_members(client, operator):
    template = CouponTemplate.objects.create(code="new10", name="新客券", kind="new", amount=Decimal("10"))
    members = [MemberFactory(), MemberFactory()]
    login(client, operator).post(
        reverse("campaigns:coupon-list"),
        {"template": template.pk, "external_ids": " ".join(m.external_id for m in members)},
    )
    assert template.coupons.count() == 2


def test_reminders_page_works_with_playbook_reminders(client, operator):
    group = GroupFactory(owner=operator)
    campaign = CampaignFactory(groups=[group], starts_at=timezone.now() + dt.timedelta(hours=20),
                               ends_at=timezone.now() + dt.timedelta(hours=30))  # fmt: skip
    created = playbook_apply(playbook=shipped_playbook("weekly-warm-up"), campaign=campaign, groups=[group])
    assert created
    week = timezone.localdate(campaign.starts_at).isoformat()
    calendar = login(client, operator).get(reverse("campaigns:reminder-calendar"), {"week": week})
    assert calendar.status_code == 200
    shown = calendar.content.decode()
    reminders = Reminder.objects.filter(campaign=campaign)
    assert any(reminder.title in shown for reminder in reminders), "the calendar lists the scheduled reminders"
    assert group.name in shown
    flash = shipped_playbook("flash-group")
    page = client.get(reverse("campaigns:playbook-detail", args=[flash.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    # A step's title as the page shows it: what the step knows filled in, the rest named, no raw "{placeholder}".
    assert all(escape(step_preview(step, step.title)) in html for step in flash.steps.all())
    assert not re.search(r"\{[a-z_]+\}", html)
    detail = client.get(reverse("campaigns:campaign-detail", args=[campaign.pk]))
    assert detail.status_code == 200
    assert title_of(detail) == campaign.name


def test_api_inbox_complete_and_live(client, operator, agent):
    reminder = ReminderFactory(assignee=operator, status="sent", due_at=timezone.now() - dt.timedelta(minutes=1))
    campaign = CampaignFactory(groups=[GroupFactory()])
    login(client, operator)
    inbox = client.get("/api/v1/reminders/").json()
    assert [row["id"] for row in inbox] == [reminder.pk]
    assert client.post(f"/api/v1/reminders/{reminder.pk}/complete/", {"action": "done"}).status_code == 200
    assert client.post(f"/api/v1/reminders/{reminder.pk}/complete/", {"action": "done"}).status_code == 409
    live = client.get(f"/api/v1/campaigns/{campaign.pk}/live/").json()
    assert live["gmv"] == "0.00"
    assert client.get("/api/v1/campaigns/").json()[0]["code"] == campaign.code
    login(client, agent)
    assert client.get("/api/v1/reminders/").status_code == 403


def test_moving_the_campaign_and_removing_a_group_from_its_page(client, operator):
    keep, drop = GroupFactory(owner=operator), GroupFactory(owner=operator)
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    campaign = CampaignFactory(groups=[keep, drop], starts_at=starts, ends_at=starts + dt.timedelta(hours=12))
    playbook_apply(playbook=shipped_playbook("weekly-warm-up"), campaign=campaign, groups=[keep, drop])
    later = starts + dt.timedelta(days=1)
    login(client, operator).post(
        reverse("campaigns:campaign-schedule", args=[campaign.pk]),
        {"starts_at": f"{later:%Y-%m-%dT%H:%M}", "ends_at": f"{later + dt.timedelta(hours=12):%Y-%m-%dT%H:%M}",
         "groups": [keep.pk]},
    )  # fmt: skip
    campaign.refresh_from_db()
    assert campaign.starts_at == later
    assert set(Reminder.objects.filter(group=drop).values_list("status", flat=True)) == {"cancelled"}
    countdowns = Reminder.objects.filter(group=keep, kind="countdown", due_at__lt=later)
    assert sorted(later - c.due_at for c in countdowns) == [dt.timedelta(minutes=10), dt.timedelta(minutes=60)]
