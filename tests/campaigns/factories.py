import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from campaigns.models import Campaign, CampaignItem, Playbook, PlaybookStep, Product, Reminder
from members.models import Group, Member

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(year, month, day, hour=0, minute=0) -> dt.datetime:
    """An aware instant at a wall time in Asia/Shanghai (the organisation's zone)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    code = factory.Sequence(lambda n: f"G{n:03d}")
    name = factory.Sequence(lambda n: f"四川VIP{n}群")
    tier = Group.Tier.PRECISE
    region = "四川"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    external_id = factory.Sequence(lambda n: f"M{n:05d}")
    name = factory.Sequence(lambda n: f"客户{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU{n:04d}")
    name = factory.Sequence(lambda n: f"商品{n}")
    lowest_public_price = Decimal("100.00")
    unit_cost = Decimal("50.00")
    stock = 1000


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"周四特惠{n}")
    starts_at = local(2026, 12, 3, 10)  # a Thursday
    ends_at = local(2026, 12, 3, 22)
    gmv_target = Decimal("80000.00")
    loss_cap = Decimal("2000.00")
    landing_url = "https://shop.example.com/c/thursday"

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(extracted)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignItem

    campaign = factory.SubFactory(CampaignFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("80.00")
    expected_quantity = 10


class PlaybookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Playbook

    code = factory.Sequence(lambda n: f"pb-{n}")
    name = factory.Sequence(lambda n: f"剧本{n}")


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaybookStep

    playbook = factory.SubFactory(PlaybookFactory)
    anchor = PlaybookStep.Anchor.CAMPAIGN_START
    kind = PlaybookStep.Kind.ANNOUNCEMENT
    title = "群公告 {campaign_time}"


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    key = factory.Sequence(lambda n: f"test:{n}")
    title = factory.Sequence(lambda n: f"提醒{n}")
    due_at = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.SelfAttribute("due_at")


def shipped_playbook(code: str):
    """A playbook the data migration ships; re-shipped when a transactional test has flushed the tables."""
    from importlib import import_module

    from django.apps import apps

    playbook = Playbook.objects.filter(code=code).first()
    if playbook is None:
        import_module("campaigns.migrations.0003_shipped_playbooks").ship(apps, None)
        playbook = Playbook.objects.get(code=code)
    return playbook


def grant_campaign_permissions():
    """The campaigns permissions of the roles, as migration 0005 grants them (again after a flush)."""
    from importlib import import_module

    from django.apps import apps

    import_module("campaigns.migrations.0005_role_permissions").grant(apps, None)
