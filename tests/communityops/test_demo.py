"""The demo data (`manage.py load_demo`): the seed's story, in the shape the README and later issues promise."""

import datetime as dt
import io
import warnings
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory

from campaigns.models import Campaign, Order, Reminder
from core.roles import has_role
from demo import loader as demo_loader
from demo import story as demo_story
from livecodes.choice import candidates
from livecodes.models import LiveCode, QRImage, Referral
from members.models import Group, Member, Membership, Tag
from members.phones import normalize_phone

# Every test here is a database test, so pytest-django runs the module with the other database tests,
# before any transactional test flushes the rows the migrations made (the roles).
pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI)  # a Monday afternoon


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module, rolled back at the end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        with warnings.catch_warnings():
            # A naive datetime reaching a DateTimeField is a RuntimeWarning; here it is a failure.
            warnings.simplefilter("error", RuntimeWarning)
            loaded = demo_loader.demo_load(seed=demo_story.DEFAULT_SEED, now=NOW, log=lambda line: None)
        yield loaded
        transaction.set_rollback(True)


def campaign_gmv(campaign: Campaign) -> Decimal:
    """Paid orders placed in the campaign's window in its groups, computed without the loader's help."""
    groups = list(campaign.groups.values_list("pk", flat=True))
    orders = Order.objects.filter(
        status=Order.Status.PAID,
        group__in=groups,
        placed_at__gte=campaign.starts_at,
        placed_at__lt=campaign.ends_at,
    )
    return sum(orders.values_list("amount", flat=True), Decimal("0.00"))


def core_stats(code: str, campaign: Campaign) -> tuple[int, float, Decimal]:
    """(core members, repurchases, AOV) of a group in a campaign, as docs/metrics.md defines them."""
    per_member = defaultdict(list)
    for member_id, amount in Order.objects.filter(
        campaign=campaign, group__code=code, status=Order.Status.PAID
    ).values_list("member_id", "amount"):
        per_member[member_id].append(amount)
    core = [amounts for amounts in per_member.values() if len(amounts) >= 2]
    orders = sum(len(amounts) for amounts in core)
    return len(core), orders / len(core), sum(sum(a) for a in core) / orders


def test_demo_has_about_2000_members_with_sichuan_stores(demo):
    assert 1900 <= Member.objects.count() <= 2100
    regions = set(Member.objects.values_list("region", flat=True))
    assert {"成都市", "绵阳市", "德阳市", "宜宾市", "南充市", "乐山市", "泸州市", "达州市"} <= regions
    store_names = list(Member.objects.values_list("store_name", flat=True))
    assert all(store_names)
    assert any(name.endswith("大药房") for name in store_names)
    assert any(name.endswith("诊所") for name in store_names)
    assert any(name.endswith("村卫生室") for name in store_names)
    assert Member.objects.exclude(wechat_nickname="").count() == Member.objects.count()
    assert Member.objects.exclude(referred_by=None).count() > 100  # fission


def test_demo_phones_are_valid_e164_and_unique(demo):
    phones = list(Member.objects.values_list("phone", flat=True))
    assert all(phone.startswith("+86") and normalize_phone(phone) == phone for phone in phones)
    assert len(set(phones)) == len(phones)
    assert any(phone.startswith("+8628") for phone in phones)  # a few shop landlines in Chengdu


def test_demo_has_every_tier_and_several_legacy_groups(demo):
    tiers = set(Group.objects.values_list("tier", flat=True))
    assert tiers == set(Group.Tier.values)
    assert Group.objects.filter(tier=Group.Tier.LEGACY).count() >= 3
    assert Group.objects.filter(tier=Group.Tier.PRECISE).count() >= 5
    assert set(Group.objects.values_list("platform", flat=True)) >= {"wechat", "wecom", "qq"}
    assert not Group.objects.filter(owner=None).exists()
    assert all(has_role(group.owner, "operator") for group in Group.objects.select_related("owner"))
    for group in Group.objects.all():
        assert group.memberships.open().count() <= group.capacity


def test_demo_memberships_include_people_who_left_or_were_removed(demo):
    statuses = set(Membership.objects.values_list("status", flat=True))
    assert statuses == set(Membership.Status.values)
    assert Membership.objects.filter(status=Membership.Status.REMOVED, strikes__gte=1).exists()
    assert Membership.objects.filter(group__code="VIP-NC", status=Membership.Status.LEFT).count() >= 3


def test_demo_codebook_has_digit_and_letter_codes(demo):
    codes = set(Tag.objects.values_list("code", flat=True))
    assert {"1", "2", "3", "A", "D", "K"} <= codes
    assert Member.objects.filter(tags__code="K").exists()
    assert Member.objects.filter(tags__code="3").exists()


def test_demo_orders_lie_in_the_last_8_weeks_with_refunds(demo):
    first, last = NOW - dt.timedelta(weeks=8), NOW
    assert Order.objects.count() > 2000
    assert not Order.objects.filter(placed_at__lt=first).exists()
    assert not Order.objects.filter(placed_at__gte=last).exists()
    refunded = Order.objects.filter(status=Order.Status.REFUNDED).count()
    assert 0.01 * Order.objects.count() < refunded < 0.1 * Order.objects.count()
    assert not Order.objects.filter(amount__lte=0).exists()


def test_demo_buyers_are_many_one_time_and_a_repurchasing_core(demo):
    counts = defaultdict(int)
    for member_id in Order.objects.paid().values_list("member_id", flat=True):
        counts[member_id] += 1
    one_time = sum(1 for n in counts.values() if n == 1)
    repeaters = sum(1 for n in counts.values() if n >= 4)
    assert one_time > 0.25 * len(counts)
    assert repeaters > 0.15 * len(counts)
    purchases = sorted(Member.objects.values_list("cumulative_purchase", flat=True), reverse=True)
    top_decile = sum(purchases[: len(purchases) // 10])
    assert top_decile > Decimal("0.4") * sum(purchases)  # buying power is skewed


def test_demo_has_four_thursday_campaigns_making_330k_against_300k(demo):
    ended = list(Campaign.objects.filter(status=Campaign.Status.ENDED).order_by("starts_at"))
    assert len(ended) == 4
    for campaign in ended:
        local_start, local_end = campaign.starts_at.astimezone(SHANGHAI), campaign.ends_at.astimezone(SHANGHAI)
        assert local_start.weekday() == 3
        assert local_start.time() == dt.time(10, 0)
        assert local_end.time() == dt.time(22, 0)
        assert NOW - dt.timedelta(days=31) < campaign.starts_at
        assert campaign.ends_at < NOW
        assert campaign.groups.filter(tier=Group.Tier.PRECISE).count() >= 5
    assert sum(c.gmv_target for c in ended) == Decimal("300000.00")
    month = sum(campaign_gmv(c) for c in ended)
    assert Decimal("320000") <= month <= Decimal("340000")
    # Orders named by a campaign are the ones placed in its window, in its groups.
    for order in Order.objects.exclude(campaign=None).select_related("campaign"):
        assert order.campaign.starts_at <= order.placed_at < order.campaign.ends_at
    # Next Thursday's campaign is published with its warm-up reminders waiting (the seed's weekly rhythm).
    upcoming = Campaign.objects.get(code__startswith="VIP-", starts_at__gt=NOW)
    assert upcoming.status == Campaign.Status.PUBLISHED
    assert upcoming.reminders.filter(status="pending").exists()


def test_demo_thursdays_are_one_run_numbered_in_order_with_their_result(demo):
    from campaigns.models import CampaignSeries
    from campaigns.selectors import series_overview

    run = CampaignSeries.objects.get(code="VIP")
    campaigns = list(run.campaigns.order_by("starts_at"))
    assert len(campaigns) == 5  # the month's four and next Thursday's
    assert [c.name.split("（")[0] for c in campaigns] == [f"VIP会员特供日 第{n}期" for n in range(1, 6)]
    assert all(c.items.exists() for c in campaigns)  # the ended ones show what they sold
    total = series_overview(series=run)["total"]
    assert total.campaigns == 4
    assert total.target == Decimal("300000.00")
    assert total.gmv == sum(campaign_gmv(c) for c in campaigns[:4])
    assert total.attainment_percent == int((100 * total.gmv / total.target).to_integral_value())


def test_demo_groups_move_for_different_reasons(demo):
    ended = list(Campaign.objects.filter(status=Campaign.Status.ENDED).order_by("starts_at"))
    cd1 = [core_stats("VIP-CD1", c) for c in ended]
    cd2 = [core_stats("VIP-CD2", c) for c in ended]
    nc = [core_stats("VIP-NC", c) for c in ended]
    assert cd1[-1][1] > cd1[0][1] + 0.5  # 成都①: more repurchases per core member
    assert cd2[-1][2] < cd2[0][2] * Decimal("0.7")  # 成都②: the AOV drops
    assert nc[-1][0] < max(nc[0][0], nc[1][0])  # 南充: core members leave


def test_demo_has_two_agents_calling_sichuan_pharmacies_with_yesterdays_numbers(demo):
    from campaigns.models import Reminder
    from outreach.models import CallList, Response, Script
    from outreach.stats import call_stats

    call_list = CallList.objects.get()
    agents = {entry.agent.username for entry in call_list.crew.all()}
    assert agents == {"kefu", "kefu2"}
    regions = set(call_list.tasks.values_list("member__region", flat=True))
    assert regions
    assert not regions & set(demo_story.EXCLUDED_REGIONS)
    assert set(call_list.tasks.filter(agent__username="kefu").values_list("member__region", flat=True)) >= {"成都市"}
    per_agent = {
        row.agent_name: row.numbers for row in call_stats(call_list=call_list) if row.day is None and row.agent_id
    }
    assert len(per_agent) == 2
    for numbers in per_agent.values():
        assert numbers.called >= 25
        assert 0 < numbers.accepted < numbers.connected <= numbers.called
        assert 0 < numbers.joined <= numbers.accepted
    assert Reminder.objects.filter(key__startswith="outreach:callback:", assignee__username__in=agents).exists()
    assert Script.objects.filter(tags__isnull=False).exists()
    assert Response.objects.filter(via="call").exists()
    assert call_list.tasks.exclude(priority_reason="").count() > call_list.tasks.count() / 2  # ordered by value
    invited = call_list.tasks.filter(outcome="accepted").select_related("member", "invited_to")
    same_region = [t for t in invited if t.invited_to.region == t.member.region]
    assert same_region, "members of a region with a VIP group in the pool are invited to it"


def test_demo_gives_one_login_per_role(demo):
    logins = demo_story.demo_logins()
    assert [user.role for user in logins] == ["operator", "agent", "manager", "admin"]
    # authenticate() is given the login request, as the login page gives it: django-axes counts failures per address.
    request = RequestFactory().post("/accounts/login/")
    for login in logins:
        user = authenticate(request, username=login.username, password=login.password)
        assert user is not None, login.username
        assert has_role(user, login.role)
    assert authenticate(request, username="admin", password="admin123").is_superuser


def test_load_demo_does_nothing_when_data_exists(demo):
    before = (Member.objects.count(), Order.objects.count(), Group.objects.count())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing to do" in out.getvalue()
    assert (Member.objects.count(), Order.objects.count(), Group.objects.count()) == before


def test_load_demo_reset_without_a_terminal_asks_for_noinput_and_deletes_nothing(demo, monkeypatch):
    from django.core.management import CommandError

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    members = Member.objects.count()
    with pytest.raises(CommandError, match="--noinput"):
        call_command("load_demo", "--reset", stdout=io.StringIO())
    assert Member.objects.count() == members


def test_load_demo_reset_reloads_the_same_data_and_keeps_shipped_rows(demo):
    snapshot = list(Member.objects.order_by("external_id").values_list("external_id", "name", "phone", "store_name"))
    amounts = list(Order.objects.order_by("order_id").values_list("order_id", "amount", "placed_at", "status"))
    shipped = _shipped_playbook_codes()
    out = io.StringIO()
    call_command("load_demo", "--reset", "--no-input", "--now", NOW.isoformat(), stdout=out, stderr=io.StringIO())
    assert "Demo data loaded." in out.getvalue()
    assert "yunying / yunying123" in out.getvalue()
    after = list(Member.objects.order_by("external_id").values_list("external_id", "name", "phone", "store_name"))
    assert after == snapshot  # same seed, same instant: the same data
    assert list(Order.objects.order_by("order_id").values_list("order_id", "amount", "placed_at", "status")) == amounts
    assert _shipped_playbook_codes() == shipped


def _shipped_playbook_codes() -> list[str]:
    from django.apps import apps

    try:
        playbook = apps.get_model("campaigns", "Playbook")
    except LookupError:
        return []
    return sorted(playbook.objects.filter(is_shipped=True).values_list("pk", flat=True))


def test_load_demo_logins_prints_without_loading():
    members = Member.objects.count()
    out = io.StringIO()
    call_command("load_demo", "--logins", stdout=out)
    assert "jingli / jingli123" in out.getvalue()
    assert Member.objects.count() == members


def test_demo_has_a_live_code_for_the_vip_pool_with_one_image_about_to_expire(demo):
    live_code = LiveCode.objects.get(slug="vip")
    assert set(live_code.entries.values_list("group__tier", flat=True)) == {"precise"}
    soon = NOW + dt.timedelta(hours=24)
    expiring = QRImage.objects.filter(entry__live_code=live_code, expires_at__gt=NOW, expires_at__lte=soon)
    assert expiring.count() == 1
    reminder = Reminder.objects.get(key=f"livecode-expiry:{expiring.get().pk}")
    assert reminder.assignee == live_code.owner
    assert Referral.objects.unpaid().exists()
    assert candidates(live_code, now=NOW), "scans of the poster reach a VIP group"


def test_demo_vip_groups_have_rules_strikes_and_a_removal_waiting(demo):
    from campaigns.models import Reminder
    from community.models import Removal, Rule, Violation

    for code in demo_story.VIP_GROUPS:
        assert Rule.objects.filter(group__code=code).count() == 6, code
    # Every strike a membership counts is a recorded violation.
    for membership in Membership.objects.filter(strikes__gte=1, group__tier="precise"):
        assert membership.violations.count() == membership.strikes, membership
    assert Violation.objects.count() >= 5
    removed = Membership.objects.filter(status="removed", group__tier="precise", strikes__gte=1)
    assert removed.exists()
    assert all(m.reason.endswith(("次违规：发短视频", "次违规：骂人")) for m in removed)
    waiting = Removal.objects.get(removed_at__isnull=True)
    assert waiting.reason == "2 次违规：发短视频"
    assert waiting.membership.group.code == "VIP-CD1"
    owner = User.objects.get(username="yunying")
    assert waiting.reminder in Reminder.objects.for_inbox(owner, now=NOW)


def test_demo_has_a_core_member_who_left_this_week_with_the_alert(demo):
    from campaigns.models import Reminder

    monday = dt.datetime(2026, 11, 23, tzinfo=SHANGHAI)
    alert = Reminder.objects.get(key__startswith="community:core-left:")
    membership = Membership.objects.get(pk=int(alert.key.rsplit("ms", 1)[1]))
    assert membership.status == "left"
    assert monday <= membership.left_at < NOW
    assert membership.group.code == "VIP-NC"
    assert alert.assignee == membership.group.owner
    assert alert.due_at.astimezone(SHANGHAI).date() == NOW.date()
