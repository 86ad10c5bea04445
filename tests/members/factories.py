"""factory_boy factories for the members domain and orders. General on purpose: other test modules import them.

Values are deterministic sequences (Chinese names, Sichuan regions, unique E.164 mobiles), so a failing test
shows the same data every run.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import Campaign, Order
from members.models import Group, Member, Membership, Tag, TagCategory

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]
REGIONS = ["四川/成都", "四川/绵阳", "四川/德阳", "四川/南充", "四川/宜宾", "四川/乐山"]
STORE_KINDS = ["大药房", "诊所", "药店", "卫生室"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class TagCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TagCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat{n}")
    name = factory.Sequence(lambda n: f"类别{n}")
    position = factory.Sequence(lambda n: n)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"标签{n}")
    category = factory.SubFactory(TagCategoryFactory)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    external_id = factory.Sequence(lambda n: f"M{n:06d}")
    name = factory.Sequence(lambda n: SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)])
    # Unique mainland mobiles in E.164, e.g. +8613900000007.
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    region = factory.Sequence(lambda n: REGIONS[n % len(REGIONS)])
    store_name = factory.Sequence(lambda n: f"康宁{STORE_KINDS[n % len(STORE_KINDS)]}{n}号店")
    wechat_nickname = factory.Sequence(lambda n: f"微信{n}")
    cumulative_purchase = Decimal("1000.00")
    last_active_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    code = factory.Sequence(lambda n: f"G{n:04d}")
    name = factory.Sequence(lambda n: f"四川药店VIP{n}群")
    tier = Group.Tier.DAILY
    platform = Group.Platform.WECHAT
    region = "四川/成都"
    capacity = Group.DEFAULT_CAPACITY
    stage = Group.Stage.ACQUISITION


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(MemberFactory)
    group = factory.SubFactory(GroupFactory)
    status = Membership.Status.ACTIVE
    joined_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    left_at = factory.LazyAttribute(
        lambda o: None if o.status in Membership.OPEN_STATUSES else o.joined_at + timedelta(days=10)
    )
    group_nickname = factory.LazyAttribute(lambda o: f"{o.member.region.split('/')[-1]}-{o.member.store_name}")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.Sequence(lambda n: f"周四特惠{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=12))


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    order_id = factory.Sequence(lambda n: f"O{n:08d}")
    member = factory.SubFactory(MemberFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))
    amount = Decimal("199.00")
    status = Order.Status.PAID
    group = None
