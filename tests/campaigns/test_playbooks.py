import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign, CampaignSeries, Playbook, PlaybookAssignment, PlaybookStep, Reminder
from campaigns.services import (
    campaign_groups_set,
    campaign_reschedule,
    campaign_series_create,
    campaigns_advance,
    playbook_apply,
    playbook_assignments_extend,
    playbook_copy,
)
from tests.conftest import make_user

from .factories import (
    CampaignFactory,
    GroupFactory,
    ItemFactory,
    ProductFactory,
    StepFactory,
    local,
    shipped_playbook,
)

pytestmark = pytest.mark.django_db
NOW = local(2026, 11, 30, 9)  # Monday before the Thursday campaign


def test_step_validation_red_packet_of_zero_is_a_field_error():
    step = StepFactory.build(
        playbook=StepFactory().playbook,
        kind=PlaybookStep.Kind.RED_PACKET,
        red_packet_amount=Decimal("0"),
        red_packet_count=10,
        red_packet_name="{campaign_time}",
    )
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "red_packet_amount" in error.value.message_dict


def test_step_validation_unknown_placeholder_names_it():
    step = StepFactory.build(playbook=StepFactory().playbook, text="明天{campain_time}开抢")
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "{campain_time}" in error.value.message_dict["text"][0]
    assert "{campaign_time}" in error.value.message_dict["text"][0]  # the known ones are listed


def test_step_validation_unbalanced_brace():
    step = StepFactory.build(playbook=StepFactory().playbook, title="开抢 {link")
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "title" in error.value.message_dict


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"anchor": "group_created", "offset_days": -1, "at_time": dt.time(20)}, "offset_days"),
        ({"anchor": "group_created", "offset_minutes": -30}, "offset_days"),
        ({"anchor": "campaign_start", "kind": "countdown", "offset_minutes": 10}, "offset_days"),
        ({"anchor": "campaign_end", "kind": "teaser", "offset_days": -1, "at_time": dt.time(20)}, "offset_days"),
        ({"anchor": "daily"}, "at_time"),
        ({"anchor": "daily", "at_time": dt.time(8), "offset_days": -1}, "offset_days"),
        ({"anchor": "campaign_start", "repeat_days": 3}, "repeat_days"),
    ],
)
def test_step_validation_steps_before_their_anchor_where_senseless(fields, field):
    step = StepFactory.build(playbook=StepFactory().playbook, **fields)
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert field in error.value.message_dict


def test_step_validation_countdown_before_start_is_fine():
    StepFactory.build(playbook=StepFactory().playbook, kind="countdown", offset_minutes=-10).full_clean()


def test_shipped_playbooks_exist_and_validate():
    codes = set(Playbook.objects.filter(is_shipped=True).values_list("code", flat=True))
    assert {"weekly-warm-up", "daily-group-sop", "flash-group", "new-member-welcome"} <= codes
    for step in PlaybookStep.objects.filter(playbook__is_shipped=True):
        step.full_clean()


def warm_up_campaign():
    owner = make_user("yun", "operator")
    group = GroupFactory(owner=owner, name="四川VIP1群")
    campaign = CampaignFactory(groups=[group], starts_at=local(2026, 12, 3, 10), ends_at=local(2026, 12, 3, 22))
    ItemFactory(campaign=campaign, product=ProductFactory(name="血压计"), price=Decimal("80.00"))
    return campaign, group, owner


def test_apply_warm_up_makes_red_packets_named_with_the_campaign_time():
    campaign, group, owner = warm_up_campaign()
    playbook = shipped_playbook("weekly-warm-up")
    created = playbook_apply(playbook=playbook, campaign=campaign, groups=[group], now=NOW)
    assert created == playbook.steps.count()
    packets = Reminder.objects.filter(kind="red_packet").order_by("due_at")
    assert [p.red_packet_name for p in packets] == ["周四10点"] * 3
    assert packets[0].due_at == local(2026, 12, 2, 10)  # Wednesday, the day before
    assert packets[0].red_packet_amount == Decimal("0.50")
    assert packets[0].red_packet_count == 10
    assert packets[0].assignee == owner
    assert packets[0].group == group
    countdown = Reminder.objects.get(kind="countdown", due_at=local(2026, 12, 3, 9, 50))
    assert countdown.text.startswith("还有10分钟")
    teaser = Reminder.objects.get(kind="teaser")
    assert "血压计" in teaser.text
    assert campaign.landing_url in teaser.text
    assert PlaybookAssignment.objects.filter(playbook=playbook, group=group, campaign=campaign).count() == 1


def test_apply_twice_creates_nothing_new():
    campaign, group, _owner = warm_up_campaign()
    playbook = shipped_playbook("weekly-warm-up")
    playbook_apply(playbook=playbook, campaign=campaign, groups=[group], now=NOW)
    total = Reminder.objects.count()
    assert playbook_apply(playbook=playbook, campaign=campaign, groups=[group], now=NOW) == 0
    assert Reminder.objects.count() == total


def test_moving_the_campaign_moves_pending_reminders_and_renames_them():
    campaign, group, _owner = warm_up_campaign()
    playbook_apply(playbook=shipped_playbook("weekly-warm-up"), campaign=campaign, groups=[group], now=NOW)
    done = Reminder.objects.filter(kind="teaser").get()
    done.status = Reminder.Status.DONE
    done.save(update_fields=["status"])
    moved = campaign_reschedule(campaign=campaign, starts_at=local(2026, 12, 4, 14), ends_at=local(2026, 12, 4, 22))
    assert moved == Reminder.objects.count() - 1
    packet = Reminder.objects.filter(kind="red_packet").order_by("due_at").first()
    assert packet.due_at == local(2026, 12, 3, 10)
    assert packet.red_packet_name == "周五14点"
    assert Reminder.objects.get(kind="countdown", due_at=local(2026, 12, 4, 13, 50)).next_attempt_at == local(
        2026, 12, 4, 13, 50
    )
    done.refresh_from_db()
    assert done.due_at == local(2026, 12, 2, 12)  # what is done stays where it was


def test_removing_a_group_cancels_its_reminders_and_adding_one_applies_the_playbook():
    campaign, group, _owner = warm_up_campaign()
    other = GroupFactory()
    campaign.groups.add(other)
    playbook = shipped_playbook("weekly-warm-up")
    playbook_apply(playbook=playbook, campaign=campaign, groups=[group, other], now=NOW)
    third = GroupFactory()
    campaign_groups_set(campaign=campaign, groups=[group, third], now=NOW)
    assert set(Reminder.objects.filter(group=other).values_list("status", flat=True)) == {"cancelled"}
    assert set(Reminder.objects.filter(group=group).values_list("status", flat=True)) == {"pending"}
    assert Reminder.objects.filter(group=third).count() == playbook.steps.count()


def test_apply_skips_occurrences_already_past():
    campaign, group, _owner = warm_up_campaign()
    created = playbook_apply(playbook=shipped_playbook("weekly-warm-up"), campaign=campaign, groups=[group],
                             now=local(2026, 12, 3, 9, 55))  # fmt: skip
    assert created == 2  # the 10:00 start announcement and the countdown to the end
    assert Reminder.objects.filter(due_at__lt=local(2026, 12, 3, 9, 55)).count() == 0


def test_flash_group_runs_from_group_creation_for_eleven_days():
    group = GroupFactory(tier="flash", created_at=local(2026, 12, 1, 15))
    playbook = shipped_playbook("flash-group")
    playbook_apply(playbook=playbook, groups=[group], now=local(2026, 12, 1, 15))
    days = sorted({r.due_at.astimezone(local(2026, 1, 1).tzinfo).date() for r in Reminder.objects.filter(group=group)})
    assert days[0] == dt.date(2026, 12, 1)
    assert days[-1] == dt.date(2026, 12, 11)
    assert Reminder.objects.get(group=group, title="种草第1天：发一条内容").text.startswith("第1天")


def test_playbook_with_campaign_steps_needs_a_campaign():
    with pytest.raises(ValidationError):
        playbook_apply(playbook=shipped_playbook("weekly-warm-up"), groups=[GroupFactory()], now=NOW)


def test_daily_sop_extends_a_week_ahead_without_duplicates():
    group = GroupFactory()
    playbook = shipped_playbook("daily-group-sop")
    playbook_apply(playbook=playbook, groups=[group], now=NOW, starts_at=NOW)
    first = Reminder.objects.filter(group=group).count()
    assert first == 4 * 7 - 1  # 08:30 on the first day had passed at 09:00
    assert playbook_assignments_extend(now=NOW) == 0
    assert playbook_assignments_extend(now=NOW + dt.timedelta(days=3)) == 4 * 3


def test_copy_playbook_and_remember_groups_that_run_it():
    playbook = shipped_playbook("daily-group-sop")
    copy = playbook_copy(playbook=playbook, code="daily-sop-chengdu", name="成都日常群 SOP")
    assert copy.copied_from == playbook
    assert copy.steps.count() == playbook.steps.count()
    groups = [GroupFactory(), GroupFactory()]
    playbook_apply(playbook=copy, groups=groups, now=NOW, is_copy=True)
    assert set(PlaybookAssignment.objects.filter(playbook=copy, is_copy=True).values_list("group", flat=True)) == {
        g.pk for g in groups
    }


def test_series_creates_weekly_campaigns_in_shanghai_time_and_applies_its_playbook():
    group = GroupFactory()
    series = CampaignSeries.objects.create(
        code="VIPTHU", name="VIP周四特惠", weekday=3, start_time=dt.time(10), duration=dt.timedelta(hours=12),
        first_date=dt.date(2026, 12, 3), weeks=4, playbook=shipped_playbook("weekly-warm-up"),
        loss_cap=Decimal("500"),
    )  # fmt: skip
    series.groups.add(group)
    campaigns = campaign_series_create(series=series, now=NOW)
    assert [c.code for c in campaigns] == ["VIPTHU-20261203", "VIPTHU-20261210", "VIPTHU-20261217", "VIPTHU-20261224"]
    assert campaigns[1].starts_at == local(2026, 12, 10, 10)
    assert campaigns[1].ends_at == local(2026, 12, 10, 22)
    assert campaigns[1].preview_at == local(2026, 12, 9, 12)
    assert campaigns[0].loss_cap == Decimal("500.00")
    assert list(campaigns[0].groups.all()) == [group]
    per_campaign = series.playbook.steps.count()
    assert Reminder.objects.count() == 4 * per_campaign
    campaign_series_create(series=series, now=NOW)
    assert Campaign.objects.filter(series=series).count() == 4
    assert Reminder.objects.count() == 4 * per_campaign


def test_series_first_date_must_be_its_weekday():
    series = CampaignSeries(code="X", name="x", weekday=3, first_date=dt.date(2026, 12, 2), weeks=2)
    with pytest.raises(ValidationError) as error:
        series.full_clean()
    assert "first_date" in error.value.message_dict


def test_status_advances_draft_published_live_ended():
    campaign = CampaignFactory(status=Campaign.Status.PUBLISHED)
    draft = CampaignFactory()
    campaigns_advance(now=local(2026, 12, 3, 10, 1))
    campaign.refresh_from_db()
    draft.refresh_from_db()
    assert campaign.status == "live"
    assert draft.status == "draft"
    campaigns_advance(now=local(2026, 12, 3, 22))
    campaign.refresh_from_db()
    assert campaign.status == "ended"
