"""The demo data: the seed's story of a Sichuan B2B pharmacy platform that sells through WeChat groups.

About 2,000 pharmacy and clinic owners across Sichuan; VIP (precise) groups per region built from
the three selection dimensions of the seed (buying power, recent activity, regions where local sales
reps out-discount the platform are excluded); daily groups where new customers land; flash groups;
a KOC super-user group; legacy broad-fan groups to reorganise. Over the last 8 weeks: orders, four
Thursday campaigns 10:00–22:00 in the last month making about ¥330k against a ¥300k monthly target,
and groups whose GMV moves for different reasons:

- VIP-CD1 (成都①) gains repurchases: its core members buy more often each campaign;
- VIP-CD2 (成都②) loses AOV: its members shift to cheap items;
- VIP-NC (南充) loses core members: several leave the group before the last campaigns.

Everything derives from one `random.Random(seed)` and `now`, so a seed and an instant give the same
data. Rows are written with `bulk_create` (a few seconds in all).

Extending it: each step is a function `step(demo: Demo) -> None` in `STEPS`, run in order inside one
transaction; a later step reads what earlier ones put on `demo` (users, tags, groups, members,
personas, memberships, campaigns, orders) and may add its own attributes. Apps that keep derived
tables connect to `demo_loaded` to rebuild them (bulk_create sends no per-row signals).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.dispatch import Signal
from django.utils import timezone

from communityops.money import ZERO, to_money
from communityops.roles import Role
from members.models import Group, Member, Membership, Tag, TagCategory
from members.phones import InvalidPhone, normalize_phone

from .models import Campaign, Order

DEFAULT_SEED = 20
OLD_MEMBERS = 1740  # customers of the platform before the 8 weeks
NEW_MEMBERS = 260  # customers who registered during the 8 weeks and landed in a daily group
WEEKS = 8
MONTHLY_TARGET = Decimal("300000.00")
# The seed's month: four Thursday campaigns made ¥330k against ¥300k. The first had technical problems.
CAMPAIGN_GMV = [Decimal("72480.00"), Decimal("79350.00"), Decimal("85960.00"), Decimal("92410.00")]
CAMPAIGN_START = dt.time(10, 0)
CAMPAIGN_HOURS = 12
REFUND_RATE = 0.04

# Sent after every step has run, inside the transaction: `demo` is the Demo below.
demo_loaded = Signal()


# --- Users ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    name: str


# The first user of each role is the one the README and `bin/demo` print.
DEMO_USERS = [
    DemoUser("yunying", "yunying123", Role.OPERATOR, "李婷"),
    DemoUser("kefu", "kefu123", Role.AGENT, "刘芳"),
    DemoUser("jingli", "jingli123", Role.MANAGER, "周强"),
    DemoUser("admin", "admin123", Role.ADMIN, "系统管理员"),
    DemoUser("yunying2", "yunying123", Role.OPERATOR, "张敏"),
    DemoUser("yunying3", "yunying123", Role.OPERATOR, "陈露"),
    DemoUser("kefu2", "kefu123", Role.AGENT, "杨洋"),
    DemoUser("kefu3", "kefu123", Role.AGENT, "黄丽"),
]


def demo_logins() -> list[DemoUser]:
    """One login per role, in the order operator, agent, manager, admin."""
    first: dict[str, DemoUser] = {}
    for user in DEMO_USERS:
        first.setdefault(user.role, user)
    return list(first.values())


# --- Geography: Sichuan prefectures, their districts and landline area codes ------------------------

# (prefecture, short name, weight, area code, districts, VIP group code or None when excluded)
# Excluded regions (攀枝花, 凉山, 巴中): the seed's "local sales reps out-discount the platform there".
REGIONS = [
    ("成都市", "成都", 30, "28", ["锦江区", "青羊区", "金牛区", "武侯区", "成华区", "龙泉驿区", "新都区", "温江区",
                              "双流区", "郫都区", "新津区", "都江堰市", "彭州市", "崇州市", "简阳市", "金堂县"], "CD"),
    ("绵阳市", "绵阳", 8, "816", ["涪城区", "游仙区", "安州区", "江油市", "三台县", "盐亭县", "梓潼县"], "VIP-MY"),
    ("德阳市", "德阳", 7, "838", ["旌阳区", "罗江区", "广汉市", "什邡市", "绵竹市", "中江县"], "VIP-DY"),
    ("南充市", "南充", 7, "817", ["顺庆区", "高坪区", "嘉陵区", "阆中市", "南部县", "营山县", "仪陇县"], "VIP-NC"),
    ("宜宾市", "宜宾", 6, "831", ["翠屏区", "南溪区", "叙州区", "江安县", "长宁县", "高县"], "VIP-CN"),
    ("泸州市", "泸州", 5, "830", ["江阳区", "纳溪区", "龙马潭区", "泸县", "合江县"], "VIP-CN"),
    ("乐山市", "乐山", 5, "833", ["市中区", "沙湾区", "五通桥区", "峨眉山市", "夹江县", "犍为县"], "VIP-CN"),
    ("自贡市", "自贡", 3, "813", ["自流井区", "贡井区", "大安区", "沿滩区", "富顺县"], "VIP-CN"),
    ("内江市", "内江", 3, "832", ["市中区", "东兴区", "隆昌市", "威远县", "资中县"], "VIP-CN"),
    ("达州市", "达州", 5, "818", ["通川区", "达川区", "万源市", "宣汉县", "大竹县", "渠县"], "VIP-DZ"),
    ("广安市", "广安", 3, "826", ["广安区", "前锋区", "华蓥市", "岳池县", "邻水县"], "VIP-DZ"),
    ("遂宁市", "遂宁", 3, "825", ["船山区", "安居区", "射洪市", "蓬溪县", "大英县"], "VIP-DZ"),
    ("眉山市", "眉山", 3, "28", ["东坡区", "彭山区", "仁寿县", "洪雅县"], "CD"),
    ("资阳市", "资阳", 2, "28", ["雁江区", "安岳县", "乐至县"], "CD"),
    ("雅安市", "雅安", 2, "835", ["雨城区", "名山区", "荥经县", "汉源县"], "CD"),
    ("广元市", "广元", 2, "839", ["利州区", "昭化区", "旺苍县", "剑阁县", "苍溪县"], "VIP-MY"),
    ("巴中市", "巴中", 2, "827", ["巴州区", "恩阳区", "通江县", "南江县", "平昌县"], None),
    ("攀枝花市", "攀枝花", 2, "812", ["东区", "西区", "仁和区", "米易县", "盐边县"], None),
    ("凉山彝族自治州", "凉山", 2, "834", ["西昌市", "会理市", "德昌县", "冕宁县", "宁南县"], None),
]  # fmt: skip
EXCLUDED_REGIONS = [name for name, _s, _w, _a, _d, vip in REGIONS if vip is None]

SURNAMES = (
    "李王张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜"
    "戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文向牟苟敬"
)
# Weights: the first dozen surnames cover about half of Sichuan's people.
SURNAME_WEIGHTS = [12 if i < 12 else 4 if i < 40 else 1 for i in range(len(SURNAMES))]
GIVEN_NAMES = [
    "建华", "建国", "国强", "志强", "秀英", "桂英", "秀兰", "玉兰", "丽华", "德明", "永红", "红梅", "晓燕", "海燕",
    "小红", "勇", "军", "伟", "平", "敏", "静", "丽", "刚", "斌", "涛", "强", "明", "杰", "芳", "霞", "英", "梅",
    "琴", "云", "华", "春梅", "德华", "学军", "志勇", "文军", "光明", "开明", "世平", "成刚", "晓东", "小平",
    "淑芬", "秀珍", "建平", "永刚", "红英", "晓红", "家兵", "德芳", "泽民", "明辉", "雪梅", "婷", "倩", "欢",
    "兴华", "朝阳", "跃进", "维", "庆", "渝", "川", "蓉", "俊", "磊", "鹏", "超", "颖", "娟", "莉", "洪",
]  # fmt: skip
BRANDS = [
    "康宁", "仁心", "百姓", "济民", "同仁", "益康", "惠民", "民生", "德仁", "福寿", "安康", "永康", "健民", "杏林",
    "回春", "佳禾", "众康", "泰和", "广济", "博爱", "万家", "天顺", "和平", "春天", "中和", "长寿", "利民", "金康",
    "宏康", "瑞康", "德济", "仁寿", "慈航", "普济", "同济", "顺天", "一品", "国药", "新特", "华康", "正和", "天和",
]  # fmt: skip
CHAINS = ["仁和堂", "康济堂", "百草堂", "同善堂", "福泰", "太极"]
ROADS = ["玉林", "人民", "建设", "文化", "光华", "府河", "滨江", "解放", "胜利", "新华", "红星", "东风", "朝阳"]
TOWNS = ["永太", "龙台", "石泉", "太平", "白果", "新店", "高桥", "金山", "清平", "两河", "马鞍", "双河", "柳树"]
VILLAGES = ["高店", "石桥", "黄桷", "桂花", "新民", "团结", "红岩", "青杠", "大湾", "竹林", "凤凰", "龙井"]
NICKNAME_WORDS = [
    "平安是福", "知足常乐", "心想事成", "家和万事兴", "天道酬勤", "阳光总在风雨后", "岁月静好", "上善若水",
    "淡泊明志", "厚德载物", "一路向前", "静待花开", "健康是福", "宁静致远", "开心每一天", "随缘", "山水有相逢",
]  # fmt: skip

# (kind, weight, tag code, basket median in ¥ for a campaign order)
STORE_TYPES = [
    ("pharmacy", 52, "S1", 230),
    ("chain", 12, "S2", 380),
    ("clinic", 26, "S3", 170),
    ("village", 10, "S4", 95),
]

# --- The codebook (密码本): digits for concerns, letters for wishes, as the seed's teams do ---------------

CODEBOOK = [
    ("store", "门店类型", [("S1", "单体药店"), ("S2", "连锁药店(加盟)"), ("S3", "诊所"), ("S4", "村卫生室")]),
    (
        "concern",
        "关注品类",
        [
            ("1", "感冒发烧/止咳"),
            ("2", "慢病用药(三高)"),
            ("3", "皮肤外用"),
            ("4", "儿科用药"),
            ("5", "中药饮片"),
            ("6", "医疗器械/检测"),
            ("7", "保健营养"),
            ("8", "消杀防护"),
        ],
    ),
    (
        "wish",
        "进货诉求",
        [
            ("A", "价格低于大平台"),
            ("B", "账期/月结"),
            ("C", "新品首发"),
            ("D", "配送更快"),
            ("E", "专属客服"),
            ("F", "店员培训"),
        ],
    ),
    ("identity", "客户身份", [("V", "VIP会员"), ("K", "KOC/意见领袖")]),
]
TAG_DESCRIPTIONS = {
    "1": "问卷「您店里最近走量最快的品类?」选了感冒/止咳",
    "2": "问卷选了高血压、糖尿病等慢病用药",
    "A": "问卷「您最希望平台提供什么?」选了比大平台更低的进货价",
    "D": "问卷选了配送更快",
    "K": "在群里活跃、愿意分享用药经验并带来新客户的店主",
}

# --- Groups ---------------------------------------------------------------------------------------

# (code, name, tier, platform, region, owner, capacity, stage)
GROUPS = [
    ("VIP-CD1", "成都VIP会员特供群①", "precise", "wechat", "成都市", "yunying", 500, "conversion"),
    ("VIP-CD2", "成都VIP会员特供群②", "precise", "wechat", "成都市", "yunying", 500, "conversion"),
    ("VIP-MY", "绵阳广元VIP会员特供群", "precise", "wechat", "绵阳市", "yunying2", 500, "conversion"),
    ("VIP-DY", "德阳VIP会员特供群", "precise", "wechat", "德阳市", "yunying2", 500, "conversion"),
    ("VIP-NC", "南充VIP会员特供群", "precise", "wechat", "南充市", "yunying3", 500, "retention"),
    ("VIP-CN", "川南VIP会员特供群", "precise", "wechat", "川南", "yunying3", 500, "conversion"),
    ("VIP-DZ", "川东北VIP会员特供群", "precise", "wechat", "川东北", "yunying3", 500, "conversion"),
    ("SU-KOC", "川药掌柜KOC俱乐部", "super_user", "wechat", "四川", "yunying", 100, "retention"),
    ("DAILY-01", "四川新客福利群①", "daily", "wecom", "四川", "yunying2", 500, "acquisition"),
    ("DAILY-02", "四川新客福利群②", "daily", "wechat", "四川", "yunying2", 500, "acquisition"),
    ("DAILY-03", "成都新客服务群", "daily", "wechat", "成都市", "yunying", 500, "acquisition"),
    ("FLASH-FLU", "流感季备货快闪群", "flash", "wechat", "四川", "yunying3", 200, "conversion"),
    ("FLASH-1212", "双12囤货快闪群", "flash", "wechat", "四川", "yunying3", 200, "acquisition"),
    ("OLD-2019", "2019老客户群", "legacy", "wechat", "四川", "yunying2", 500, "retention"),
    ("OLD-FANS", "药店老板交流群(泛粉)", "legacy", "wechat", "四川", "yunying2", 500, "retention"),
    ("OLD-QQ", "平台QQ老客户群", "legacy", "qq", "四川", "yunying3", 500, "retention"),
    ("OLD-SALE", "老活动群(已停更)", "legacy", "wechat", "四川", "yunying3", 500, "retention"),
]
VIP_GROUPS = [code for code, _n, tier, *_rest in GROUPS if tier == "precise"]
LEGACY_SIZES = {"OLD-2019": 470, "OLD-FANS": 455, "OLD-QQ": 290, "OLD-SALE": 210}

# How each VIP group's campaigns move, campaign by campaign (the stories of the month).
# Extra orders (beyond the first) a core buyer places in a campaign, on average.
REPEAT_EXTRA = {"VIP-CD1": [0.5, 1.0, 1.8, 2.6]}
REPEAT_EXTRA_USUAL = [0.9, 0.9, 0.9, 0.9]
# Order value, × the member's usual basket.
AOV_FACTOR = {"VIP-CD2": [1.2, 0.95, 0.75, 0.55]}
AOV_FACTOR_USUAL = [1.0, 1.02, 0.99, 1.03]
# VIP-NC's core members who leave before the third campaign, and of the rest before the fourth.
NC_LEAVERS_SHARE = 0.45


# --- The generation context ------------------------------------------------------------------------


@dataclass
class Persona:
    """How a generated member behaves; never stored, only used to make their rows."""

    index: int
    city: str
    city_short: str
    district: str
    vip_group: str | None
    store_type: str
    brand: str
    kind: str  # core / regular / occasional / silent / one_time
    basket: float  # median campaign order value in ¥
    is_new: bool
    history: Decimal  # purchases before the 8 weeks (the shop's cumulative figure, minus our orders)
    active_days_ago: float
    groups: list[str] = field(default_factory=list)


@dataclass
class Demo:
    seed: int
    now: dt.datetime
    log: Callable[[str], None] = print
    rng: random.Random = field(init=False)
    tz: ZoneInfo = field(init=False)
    users: dict[str, User] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)
    personas: list[Persona] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = self.now.replace(microsecond=0)

    # Time helpers: local (Asia/Shanghai) calendar, stored as aware datetimes.
    @property
    def start(self) -> dt.datetime:
        """The first instant of the data: orders are placed in [start, now)."""
        return self.now - dt.timedelta(weeks=WEEKS)

    def local(self, day: dt.date, at: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, at, tzinfo=self.tz)

    def ago(self, days: float) -> dt.datetime:
        return (self.now - dt.timedelta(days=days)).replace(microsecond=0)

    @property
    def campaign_days(self) -> list[dt.date]:
        """The last four Thursdays whose campaign has ended, oldest first."""
        today = self.now.astimezone(self.tz).date()
        day = today - dt.timedelta(days=(today.weekday() - 3) % 7)
        if self.local(day, CAMPAIGN_START) + dt.timedelta(hours=CAMPAIGN_HOURS) > self.now:
            day -= dt.timedelta(weeks=1)
        return [day - dt.timedelta(weeks=k) for k in (3, 2, 1, 0)]

    def campaign_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = self.local(day, CAMPAIGN_START)
        return start, start + dt.timedelta(hours=CAMPAIGN_HOURS)

    @property
    def vip_created_at(self) -> dt.datetime:
        """The VIP groups were opened on the Tuesday nine days before the first campaign."""
        return self.local(self.campaign_days[0] - dt.timedelta(days=9), dt.time(15, 30))


# --- Steps -----------------------------------------------------------------------------------------


def create_users(demo: Demo) -> None:
    """One user per DEMO_USERS entry, in its role; passwords as printed by `demo_logins()`."""
    roles = {group.name: group for group in AuthGroup.objects.filter(name__in=Role.values)}
    hasher = get_hasher()
    encoded: dict[str, str] = {}
    for spec in DEMO_USERS:
        if spec.password not in encoded:
            if isinstance(hasher, PBKDF2PasswordHasher):
                # A tenth of the iterations keeps loading fast; Django re-hashes at the first login (the
                # hasher's must_update), so a demo password ends up as strongly stored as any other.
                encoded[spec.password] = hasher.encode(spec.password, hasher.salt(), iterations=hasher.iterations // 10)
            else:
                encoded[spec.password] = hasher.encode(spec.password, hasher.salt())
        is_admin = spec.role == Role.ADMIN
        user = User.objects.create(
            username=spec.username,
            password=encoded[spec.password],
            first_name=spec.name,
            email=f"{spec.username}@demo.communityops.local",
            is_staff=is_admin,
            is_superuser=is_admin,
        )
        user.groups.add(roles[spec.role])
        demo.users[spec.username] = user


def create_codebook(demo: Demo) -> None:
    """The codebook: tag categories and their short codes."""
    categories = TagCategory.objects.bulk_create(
        [TagCategory(code=code, name=name, position=i) for i, (code, name, _tags) in enumerate(CODEBOOK)]
    )
    tags = [
        Tag(code=code, name=name, category=category, description=TAG_DESCRIPTIONS.get(code, ""))
        for category, (_c, _n, entries) in zip(categories, CODEBOOK, strict=True)
        for code, name in entries
    ]
    demo.tags = {tag.code: tag for tag in Tag.objects.bulk_create(tags)}


def create_groups(demo: Demo) -> None:
    """Groups of every tier, owned by the operators, created when their story says."""
    created = {
        "precise": demo.vip_created_at,
        "super_user": demo.ago(190),
        "daily": demo.ago(400),
        "legacy": demo.ago(1600),
    }
    special = {
        "DAILY-02": demo.ago(240),
        "DAILY-03": demo.ago(120),
        "FLASH-FLU": demo.local(demo.now.astimezone(demo.tz).date() - dt.timedelta(days=20), dt.time(19, 0)),
        "FLASH-1212": demo.local(demo.now.astimezone(demo.tz).date() - dt.timedelta(days=4), dt.time(19, 0)),
        "OLD-FANS": demo.ago(1300),
        "OLD-QQ": demo.ago(2100),
        "OLD-SALE": demo.ago(900),
    }
    rows = [
        Group(
            code=code,
            name=name,
            tier=tier,
            platform=platform,
            region=region,
            owner=demo.users[owner],
            capacity=capacity,
            stage=stage,
            created_at=min(special.get(code) or created[tier], demo.now),
        )
        for code, name, tier, platform, region, owner, capacity, stage in GROUPS
    ]
    demo.groups = {group.code: group for group in Group.objects.bulk_create(rows)}


def _person_name(rng: random.Random) -> str:
    return rng.choices(SURNAMES, SURNAME_WEIGHTS)[0] + rng.choice(GIVEN_NAMES)


def _store_name(rng: random.Random, persona: Persona) -> str:
    district = persona.district
    city = persona.city if rng.random() < 0.6 else persona.city_short
    if persona.store_type == "chain":
        return f"{rng.choice(CHAINS)}大药房({district}{rng.choice(ROADS)}店)"
    if persona.store_type == "village":
        return f"{district}{rng.choice(TOWNS)}镇{rng.choice(VILLAGES)}村卫生室"
    if persona.store_type == "clinic":
        return f"{city}{district}{persona.brand}{rng.choice(['诊所', '诊所', '中医诊所', '门诊部'])}"
    return f"{city}{district}{persona.brand}{rng.choice(['大药房', '大药房', '药房', '药店'])}"


def _nickname(rng: random.Random, name: str, persona: Persona) -> str:
    surname = name[0]
    choice = rng.random()
    if choice < 0.25:
        label = {"clinic": "诊所", "village": "卫生室"}.get(persona.store_type, "药房")
        shop = persona.district[:2] if persona.store_type == "village" else persona.brand
        return f"{shop}{label}-{surname}{rng.choice('姐哥')}"
    if choice < 0.45:
        return rng.choice(NICKNAME_WORDS)
    if choice < 0.6:
        return f"{surname}{'医生' if persona.store_type in ('clinic', 'village') else '老板'}"
    if choice < 0.72:
        return f"A{persona.city_short}{persona.brand}"
    if choice < 0.85:
        return name[1:] if len(name) > 2 else name
    return f"{persona.district[:2]}{persona.brand}{rng.choice(['', '🌿', '☘️', '✨'])}"


def _phone(rng: random.Random, area: str, used: set[str]) -> str:
    """A phone that members.phones accepts: mostly mobiles, some shop landlines (028-8xxxxxxx)."""
    while True:
        if rng.random() < 0.06:
            local_len = 8 if area == "28" else 7
            raw = f"0{area}-{rng.randint(2, 8)}{rng.randrange(10 ** (local_len - 1)):0{local_len - 1}d}"
        else:
            prefix = rng.choice(["13", "13", "15", "18", "18", "17", "19"]) + str(rng.randint(0, 9))
            if prefix in ("154", "174", "179", "192", "194", "197"):
                continue
            raw = f"{prefix}{rng.randrange(10**8):08d}"
        try:
            phone = normalize_phone(raw)
        except InvalidPhone:
            continue
        if phone not in used:
            used.add(phone)
            return phone


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def create_members(demo: Demo) -> None:
    """About 2,000 pharmacy and clinic owners with their store, phone, nickname, history and tags."""
    rng = demo.rng
    weights = [weight for _n, _s, weight, *_rest in REGIONS]
    store_weights = [weight for _k, weight, _t, _b in STORE_TYPES]
    used_phones: set[str] = set()
    members: list[Member] = []
    personas: list[Persona] = []
    for index in range(OLD_MEMBERS + NEW_MEMBERS):
        is_new = index >= OLD_MEMBERS
        city, city_short, _w, area, districts, vip = rng.choices(REGIONS, weights)[0]
        store_type, _sw, _tag, basket = rng.choices(STORE_TYPES, store_weights)[0]
        if is_new:
            kind = rng.choices(["one_time", "regular", "silent"], [50, 18, 32])[0]
        else:
            kind = rng.choices(["core", "regular", "occasional", "silent"], [14, 26, 30, 30])[0]
        # Buying power: the shop's cumulative figure before our 8 weeks, heavily skewed.
        history_median = {"core": 60000, "regular": 24000, "occasional": 9000, "silent": 4000}.get(kind, 0)
        history = 0.0 if is_new else _lognormal(rng, history_median * (1.8 if store_type == "chain" else 1), 0.9)
        active_days = {
            "core": rng.uniform(0, 5),
            "regular": rng.uniform(0, 20),
            "occasional": rng.uniform(2, 75),
            "silent": rng.expovariate(1 / 120),
        }.get(kind, rng.uniform(0, 30))
        if vip == "CD":
            vip = "VIP-CD1" if rng.random() < 0.52 else "VIP-CD2"
        persona = Persona(
            index=index,
            city=city,
            city_short=city_short,
            district=rng.choice(districts),
            vip_group=vip,
            store_type=store_type,
            brand=rng.choice(BRANDS),
            kind=kind,
            basket=_lognormal(rng, basket, 0.35) * (1.15 if kind == "core" else 1),
            is_new=is_new,
            history=to_money(history),
            active_days_ago=active_days,
        )
        name = _person_name(rng)
        if is_new:
            created_at = demo.ago(rng.uniform(0.5, WEEKS * 7 - 1))
        else:
            created_at = demo.ago(rng.uniform(WEEKS * 7 + 10, 1900))
        members.append(
            Member(
                external_id=f"C{(1200001 if is_new else 1000001) + index - (OLD_MEMBERS if is_new else 0)}",
                name=name,
                phone=_phone(rng, area, used_phones),
                region=city,
                store_name=_store_name(rng, persona),
                wechat_nickname=_nickname(rng, name, persona),
                cumulative_purchase=ZERO,  # set by finish_members once the orders exist
                created_at=created_at,
            )
        )
        personas.append(persona)
    demo.members = Member.objects.bulk_create(members, batch_size=500)
    demo.personas = personas
    _tag_members(demo)


def _tag_members(demo: Demo) -> None:
    rng = demo.rng
    through = Member.tags.through
    store_tag = {kind: tag for kind, _w, tag, _b in STORE_TYPES}
    rows = []
    for member, persona in zip(demo.members, demo.personas, strict=True):
        codes = [store_tag[persona.store_type]]
        codes += rng.sample("12345678", rng.choice([1, 1, 2, 2, 3]))
        codes += rng.sample("ABCDEF", rng.choice([0, 1, 1, 2]))
        rows += [through(member_id=member.pk, tag_id=demo.tags[code].pk) for code in codes]
    through.objects.bulk_create(rows, batch_size=1000)


def create_referrals(demo: Demo) -> None:
    """Fission: most new customers and a few older ones were referred, mostly by core members."""
    rng = demo.rng
    referrers = [m for m, p in zip(demo.members, demo.personas, strict=True) if not p.is_new and p.kind == "core"]
    others = [m for m, p in zip(demo.members, demo.personas, strict=True) if not p.is_new and p.kind == "regular"]
    changed = []
    for member, persona in zip(demo.members, demo.personas, strict=True):
        chance = 0.62 if persona.is_new else 0.07
        if rng.random() >= chance:
            continue
        pool = referrers if rng.random() < 0.75 else others
        referrer = rng.choice(pool)
        if referrer.created_at < member.created_at:
            member.referred_by = referrer
            changed.append(member)
    _update_columns(Member, changed, ["referred_by"])


def _nickname_in_group(rng: random.Random, member: Member, persona: Persona, *, compliant: bool) -> str:
    # The seed's first rule: nickname = region + store name.
    if compliant:
        store = (
            member.store_name.replace(persona.city, "").replace(persona.city_short, "").replace(persona.district, "")
        )
        return f"{persona.district}-{store}"[:100]
    return member.wechat_nickname


def create_memberships(demo: Demo) -> None:
    """Who is in which group since when: VIP by region, KOC, daily, flash, legacy; some left or removed."""
    rng = demo.rng
    groups = demo.groups
    rows: list[Membership] = []
    now = demo.now

    def add(member, persona, code, joined_at, *, status="active", left_at=None, strikes=0, compliant=None):
        group = groups[code]
        joined_at = max(joined_at, group.created_at, member.created_at) if joined_at else None
        if joined_at and joined_at >= now:
            joined_at = now - dt.timedelta(minutes=rng.randint(5, 600))
        if left_at is not None:
            left_at = min(max(left_at, (joined_at or left_at) + dt.timedelta(hours=1)), now)
        if compliant is None:
            compliant = group.tier != "legacy" and rng.random() < 0.85
        rows.append(
            Membership(
                member=member,
                group=group,
                status=status,
                joined_at=joined_at,
                left_at=left_at,
                group_nickname=_nickname_in_group(rng, member, persona, compliant=compliant),
                strikes=strikes,
                created_at=joined_at or now - dt.timedelta(hours=rng.randint(2, 72)),
            )
        )
        persona.groups.append(code)

    pairs = list(zip(demo.members, demo.personas, strict=True))
    vip_open = demo.vip_created_at
    first_campaign = demo.local(demo.campaign_days[0], CAMPAIGN_START)
    # VIP groups: the seed's three dimensions. Buying power, recent activity, region not excluded.
    for member, persona in pairs:
        if persona.is_new or persona.vip_group is None:
            continue
        if persona.history < Decimal("8000") or persona.active_days_ago > 60:
            continue
        if rng.random() < 0.08:  # called, not reached or declined
            continue
        wave = rng.random()
        if wave < 0.03:
            add(member, persona, persona.vip_group, None, status="invited")  # accepted on the phone, not in yet
            continue
        if wave < 0.85:  # the first phone wave, before the first campaign
            joined = vip_open + (first_campaign - vip_open - dt.timedelta(hours=6)) * rng.random()
        else:  # later call-backs, between campaigns
            joined = first_campaign + (now - first_campaign) * rng.random()
        roll = rng.random()
        if roll < 0.006:
            add(member, persona, persona.vip_group, joined, status="removed", left_at=joined + dt.timedelta(days=9),
                strikes=2)  # fmt: skip
        elif roll < 0.009:
            add(member, persona, persona.vip_group, joined, status="removed", left_at=joined + dt.timedelta(days=4),
                strikes=1)  # fmt: skip
        elif roll < 0.02:
            add(member, persona, persona.vip_group, joined, strikes=1)
        else:
            add(member, persona, persona.vip_group, joined)
    _nc_core_members_leave(demo, rows)

    # The KOC club: the deepest buyers who also bring friends.
    referral_counts: dict[int, int] = {}
    for member in demo.members:
        if member.referred_by_id:
            referral_counts[member.referred_by_id] = referral_counts.get(member.referred_by_id, 0) + 1
    koc = sorted(
        (pair for pair in pairs if pair[1].kind == "core" and pair[1].vip_group in pair[1].groups),
        key=lambda pair: (referral_counts.get(pair[0].pk, 0), pair[1].history),
        reverse=True,
    )[:42]
    through = Member.tags.through
    through.objects.bulk_create([through(member_id=m.pk, tag_id=demo.tags["K"].pk) for m, _p in koc])
    for member, persona in koc:
        add(member, persona, "SU-KOC", groups["SU-KOC"].created_at + dt.timedelta(days=rng.uniform(0, 150)),
            compliant=True)  # fmt: skip

    # Daily groups: every new customer lands in one; some older occasional buyers too.
    for member, persona in pairs:
        if persona.is_new:
            code = "DAILY-03" if persona.city == "成都市" else rng.choice(["DAILY-01", "DAILY-02"])
            joined = member.created_at + dt.timedelta(hours=rng.uniform(0.2, 48))
            if rng.random() < 0.05:
                add(
                    member, persona, code, joined, status="left", left_at=joined + dt.timedelta(days=rng.uniform(1, 20))
                )
            else:
                add(member, persona, code, joined)
        elif persona.kind in ("occasional", "silent") and rng.random() < 0.16:
            code = rng.choice(["DAILY-01", "DAILY-02", "DAILY-03"])
            add(member, persona, code, groups[code].created_at + dt.timedelta(days=rng.uniform(0, 200)))

    # Flash groups: flu-season stocking, built from concern tag 1; a fresh one for 双12, seeding now.
    flu_tag = demo.tags["1"].pk
    flu_members = set(through.objects.filter(tag_id=flu_tag).values_list("member_id", flat=True))
    flu = [(m, p) for m, p in pairs if m.pk in flu_members and not set(p.groups) & set(VIP_GROUPS)]
    for member, persona in rng.sample(flu, min(170, len(flu))):
        add(member, persona, "FLASH-FLU", groups["FLASH-FLU"].created_at + dt.timedelta(hours=rng.uniform(0, 30)))
    fresh = [(m, p) for m, p in pairs if p.is_new and "FLASH-FLU" not in p.groups]
    for member, persona in rng.sample(fresh, min(85, len(fresh))):
        add(member, persona, "FLASH-1212", groups["FLASH-1212"].created_at + dt.timedelta(hours=rng.uniform(0, 60)))

    # Legacy broad-fan groups: old, large, drifting; people left over the years.
    old = [pair for pair in pairs if not pair[1].is_new]
    for code, size in LEGACY_SIZES.items():
        created = groups[code].created_at
        for member, persona in rng.sample(old, size):
            joined = created + (now - created) * rng.random() ** 2 * 0.7
            if rng.random() < 0.13:
                left = joined + (now - joined) * rng.random()
                add(member, persona, code, joined, status="left", left_at=left, compliant=False)
            else:
                add(member, persona, code, joined, compliant=False)

    demo.memberships = Membership.objects.bulk_create(rows, batch_size=1000)
    vip_members = {row.member_id for row in demo.memberships if row.group.code in VIP_GROUPS and row.status == "active"}
    through.objects.bulk_create([through(member_id=pk, tag_id=demo.tags["V"].pk) for pk in sorted(vip_members)])


def _nc_core_members_leave(demo: Demo, rows: list[Membership]) -> None:
    """VIP-NC's story: a competitor's local rep wins back a good part of its core before campaigns 3 and 4."""
    rng = demo.rng
    days = demo.campaign_days
    index_of = {member.pk: i for i, member in enumerate(demo.members)}
    for row in rows:
        persona = demo.personas[index_of[row.member.pk]]
        if row.group.code != "VIP-NC" or row.status != "active" or persona.kind != "core":
            continue
        if rng.random() < NC_LEAVERS_SHARE:
            before = days[2]
        elif rng.random() < NC_LEAVERS_SHARE / (1 - NC_LEAVERS_SHARE):
            before = days[3]
        else:
            continue
        left_at = demo.local(before - dt.timedelta(days=rng.randint(1, 5)), dt.time(rng.randint(9, 21)))
        if row.joined_at is None or left_at <= row.joined_at + dt.timedelta(days=7):
            continue  # only members who had time to become core leave
        row.status = Membership.Status.LEFT
        row.left_at = left_at


# --- Campaigns and orders -------------------------------------------------------------------------


def create_campaigns(demo: Demo) -> None:
    """The month's four Thursday campaigns for the VIP groups, and next Thursday's still in draft."""
    vip_groups = [demo.groups[code] for code in VIP_GROUPS]
    campaigns = []
    days = demo.campaign_days + [demo.campaign_days[-1] + dt.timedelta(weeks=1)]
    for number, day in enumerate(days, start=1):
        starts_at, ends_at = demo.campaign_window(day)
        upcoming = number > len(CAMPAIGN_GMV)
        campaigns.append(
            Campaign(
                code=f"VIP-{day:%Y%m%d}",
                name=f"VIP会员特供日 第{number}期({day.month}月{day.day}日 周四)",
                starts_at=starts_at,
                ends_at=ends_at,
                gmv_target=to_money(MONTHLY_TARGET / len(CAMPAIGN_GMV)),
                status=Campaign.Status.DRAFT if upcoming else Campaign.Status.ENDED,
                created_at=min(starts_at - dt.timedelta(days=6), demo.now),
            )
        )
    demo.campaigns = Campaign.objects.bulk_create(campaigns)
    through = Campaign.groups.through
    through.objects.bulk_create(
        [through(campaign_id=campaign.pk, group_id=group.pk) for campaign in demo.campaigns for group in vip_groups]
    )


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _campaign_minute(rng: random.Random) -> float:
    """Minutes after 10:00: the opening rush, lunch, the evening peak after the countdown, the last call."""
    roll = rng.random()
    if roll < 0.34:
        minute = min(rng.expovariate(1 / 22), 110)
    elif roll < 0.48:
        minute = rng.uniform(120, 270)
    elif roll < 0.78:
        minute = 600 + rng.triangular(0, 90, 25)
    elif roll < 0.9:
        minute = 690 + rng.uniform(0, 29.9)
    else:
        minute = rng.uniform(0, 719.9)
    return min(minute, 719.9)


def _open_at(memberships: list[Membership], code: str, at: dt.datetime) -> bool:
    for row in memberships:
        if row.group.code != code or row.joined_at is None or row.joined_at > at:
            continue
        if row.left_at is None or row.left_at > at:
            return True
    return False


def create_orders(demo: Demo) -> None:
    """Eight weeks of orders: campaign spikes in the VIP groups, a trickle elsewhere, some refunds."""
    rng = demo.rng
    by_member: dict[int, list[Membership]] = {}
    for row in demo.memberships:
        by_member.setdefault(row.member_id, []).append(row)
    windows = [demo.campaign_window(day) for day in demo.campaign_days]
    vip = set(VIP_GROUPS)
    orders: list[Order] = []
    campaign_orders: list[list[Order]] = [[] for _ in windows]

    def in_vip_window(at: dt.datetime) -> bool:
        return any(start <= at < end for start, end in windows)

    def add(member, at, amount, group_code, campaign=None):
        order = Order(
            member=member,
            placed_at=at.replace(microsecond=0),
            amount=to_money(max(amount, 3.5)),
            status=Order.Status.REFUNDED if rng.random() < REFUND_RATE else Order.Status.PAID,
            group=demo.groups[group_code] if group_code else None,
            # Campaign orders come through the group's own campaign link, so the shop reports the group.
            group_is_explicit=campaign is not None,
            campaign=campaign,
            campaign_is_explicit=False,
        )
        orders.append(order)
        return order

    for member, persona in zip(demo.members, demo.personas, strict=True):
        rows = by_member.get(member.pk, [])
        vip_code = persona.vip_group if persona.vip_group in persona.groups else None
        # Campaign orders.
        for number, (start, _end) in enumerate(windows):
            if vip_code is None or not _open_at(rows, vip_code, start):
                continue
            chance = {"core": 0.72, "regular": 0.3, "occasional": 0.08}.get(persona.kind, 0)
            if number == 0:
                chance *= 0.8  # the first campaign's technical problems
            if rng.random() >= chance:
                continue
            count = 1
            if persona.kind == "core":
                count += _poisson(rng, REPEAT_EXTRA.get(vip_code, REPEAT_EXTRA_USUAL)[number])
            elif persona.kind == "regular" and rng.random() < 0.18:
                count += 1
            aov = AOV_FACTOR.get(vip_code, AOV_FACTOR_USUAL)[number]
            for minute in sorted(_campaign_minute(rng) for _ in range(count)):
                seconds = min(int(minute * 60) + rng.randint(0, 59), CAMPAIGN_HOURS * 3600 - 1)
                at = start + dt.timedelta(seconds=seconds)
                amount = _lognormal(rng, persona.basket * aov, 0.45)
                campaign_orders[number].append(add(member, at, amount, vip_code, demo.campaigns[number]))
        # Orders outside campaigns: through the KOC club, daily and flash groups, legacy groups, or none.
        for at, group_code in _everyday_orders(demo, persona, rows):
            if group_code in vip and in_vip_window(at):
                continue
            add(member, at, _lognormal(rng, persona.basket * 0.8, 0.55), group_code)

    _calibrate_campaigns(demo, campaign_orders)
    orders.sort(key=lambda order: order.placed_at)
    per_day: dict[dt.date, int] = {}
    for order in orders:
        day = order.placed_at.astimezone(demo.tz).date()
        per_day[day] = per_day.get(day, 0) + 1
        order.order_id = f"SO{day:%Y%m%d}{per_day[day]:05d}"
    demo.orders = Order.objects.bulk_create(orders, batch_size=1000)


def _everyday_orders(demo: Demo, persona: Persona, rows: list[Membership]) -> list[tuple[dt.datetime, str | None]]:
    rng = demo.rng
    rate = {"core": 0.5, "regular": 0.22, "occasional": 0.06, "one_time": 0.0, "silent": 0.0}[persona.kind]
    picks: list[tuple[dt.datetime, str | None]] = []
    first_day = demo.start.astimezone(demo.tz).date()
    for _ in range(_poisson(rng, rate * WEEKS)):
        day = first_day + dt.timedelta(days=rng.randint(0, WEEKS * 7))
        at = demo.local(
            day, dt.time(rng.choice([9, 10, 11, 14, 15, 16, 19, 20, 21]), rng.randint(0, 59), rng.randint(0, 59))
        )
        if not (demo.start <= at < demo.now):
            continue
        picks.append((at, _attribute(persona, rows, at)))
    # New customers: a first order soon after joining (many never order again), in their daily group.
    if persona.is_new and persona.kind in ("one_time", "regular") and rows:
        first_row = min((row for row in rows if row.joined_at), key=lambda row: row.joined_at, default=None)
        if first_row is not None and rng.random() < 0.8:
            at = first_row.joined_at + dt.timedelta(hours=rng.uniform(1, 96))
            if at < demo.now:
                picks.append((at, first_row.group.code))
                if persona.kind == "regular" and rng.random() < 0.5:
                    again = at + dt.timedelta(days=rng.uniform(3, 20))
                    if again < demo.now:
                        picks.append((again, _attribute(persona, rows, again) or first_row.group.code))
    # Flash group: 5 days of seeding, then 6 days of concentrated conversion.
    if "FLASH-FLU" in persona.groups and persona.kind != "silent":
        opened = demo.groups["FLASH-FLU"].created_at
        if rng.random() < 0.3:
            at = opened + dt.timedelta(days=5 + rng.uniform(0, 6))
            if at < demo.now:
                picks.append((at, "FLASH-FLU"))
    return picks


# Which group an everyday order is attributed to when the member is in several at that instant.
_ATTRIBUTION_ORDER = ["super_user", "flash", "precise", "daily", "legacy"]


def _attribute(persona: Persona, rows: list[Membership], at: dt.datetime) -> str | None:
    open_rows = [
        row
        for row in rows
        if row.joined_at is not None and row.joined_at <= at and (row.left_at is None or row.left_at > at)
    ]
    if not open_rows:
        return None
    open_rows.sort(key=lambda row: _ATTRIBUTION_ORDER.index(row.group.tier))
    return open_rows[0].group.code


def _calibrate_campaigns(demo: Demo, campaign_orders: list[list[Order]]) -> None:
    """Scale each campaign's order values so its paid GMV is the story's figure, to the cent."""
    for target, orders in zip(CAMPAIGN_GMV, campaign_orders, strict=True):
        paid = [order for order in orders if order.status == Order.Status.PAID]
        raw = sum((order.amount for order in paid), ZERO)
        if not paid or raw == 0:
            continue
        factor = target / raw
        for order in orders:
            order.amount = to_money(order.amount * factor)
        # Rounding leaves a few cents; the largest paid order absorbs them.
        residue = target - sum((order.amount for order in paid), ZERO)
        max(paid, key=lambda order: order.amount).amount += residue


def finish_members(demo: Demo) -> None:
    """The shop's figures: cumulative purchase (history + paid orders) and the last active instant."""
    rng = demo.rng
    paid: dict[int, Decimal] = {}
    last_order: dict[int, dt.datetime] = {}
    for order in demo.orders:
        if order.status == Order.Status.PAID:
            paid[order.member_id] = paid.get(order.member_id, ZERO) + order.amount
        last_order[order.member_id] = max(order.placed_at, last_order.get(order.member_id, order.placed_at))
    for member, persona in zip(demo.members, demo.personas, strict=True):
        member.cumulative_purchase = persona.history + paid.get(member.pk, ZERO)
        seen = demo.ago(persona.active_days_ago)
        if member.pk in last_order:
            seen = max(seen, min(last_order[member.pk] + dt.timedelta(minutes=rng.randint(1, 180)), demo.now))
        member.last_active_at = max(seen, member.created_at)
    _update_columns(Member, demo.members, ["cumulative_purchase", "last_active_at"])


def _update_columns(model, objects, names: list[str]) -> None:
    """One UPDATE per row through executemany: bulk_update's CASE expressions take seconds on SQLite here."""
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk_column} = %s", rows)


def apply_playbooks(demo: Demo) -> None:
    """The seed's week: next Thursday published with its warm-up, and a flash campaign whose reminders fire soon."""
    from .demo_reminders import demo_apply_playbooks

    demo_apply_playbooks(now=demo.now)


def save_selections(demo: Demo) -> None:
    """The call lists a team keeps by name: reactivate the old group's big dormant buyers, push first orders
    in the VIP groups, turn the flash group's new buyers into repeat buyers."""
    from members.services import selection_save

    old = demo.groups["OLD-2019"].pk
    for name, query in [
        ("2019老客户群·沉睡·累计≥¥5,000（唤醒）", f"group={old}&segment=dormant&min_purchase=5000&sort=-purchase"),
        ("VIP群·潜在客户（推首单）", "tier=precise&segment=potential&sort=-purchase"),
        ("快闪群·新客户（促复购）", "tier=flash&segment=new&sort=-active"),
    ]:
        selection_save(name=name, query=query, by=demo.users["yunying"])


STEPS: list[Callable[[Demo], None]] = [
    create_users,
    create_codebook,
    create_groups,
    create_members,
    create_referrals,
    create_memberships,
    create_campaigns,
    create_orders,
    finish_members,
    apply_playbooks,
    save_selections,
]


# --- Entry points ---------------------------------------------------------------------------------

# The apps whose rows make up the demo (and which --reset empties), dependents first.
DOMAIN_APPS = ["analytics", "outreach", "campaigns", "members"]
# Rows a reset keeps: what data migrations ship with the app (model label -> the rows to keep).
RESET_KEEPS: dict[str, Q] = {
    "campaigns.Playbook": Q(is_shipped=True),
    "campaigns.PlaybookStep": Q(playbook__is_shipped=True),
}


def demo_data_exists() -> bool:
    """Any member, group or order: then loading would mix the demo into real (or earlier) data."""
    return Member.objects.exists() or Group.objects.exists() or Order.objects.exists()


def demo_reset() -> dict[str, int]:
    """Delete every row of the domain apps and the demo users. Returns the count deleted per model."""
    models = [
        model
        for label in DOMAIN_APPS
        if label in django_apps.app_configs
        for model in reversed(list(django_apps.get_app_config(label).get_models()))
        if model._meta.managed and not model._meta.proxy  # unmanaged models may have no table at all
    ]
    deleted: dict[str, int] = {}
    with transaction.atomic():
        # Protected foreign keys may need another pass once their dependents are gone.
        for _attempt in range(len(models) + 1):
            blocked = False
            for model in models:
                try:
                    rows = model.objects.all()
                    if model._meta.label in RESET_KEEPS:
                        rows = rows.exclude(RESET_KEEPS[model._meta.label])
                    with transaction.atomic():
                        _count, per_model = rows.delete()
                except (ProtectedError, RestrictedError):
                    blocked = True
                    continue
                for label, count in per_model.items():
                    deleted[label] = deleted.get(label, 0) + count
            if not blocked:
                break
        else:
            raise RuntimeError("could not empty the domain tables: protected rows remain")
        _count, per_model = User.objects.filter(username__in=[user.username for user in DEMO_USERS]).delete()
        deleted["auth.User"] = per_model.get("auth.User", 0)
    return {label: count for label, count in deleted.items() if count}


@transaction.atomic
def demo_load(*, seed: int = DEFAULT_SEED, now: dt.datetime | None = None, log: Callable[[str], None] = print) -> Demo:
    """Create the whole demo in one transaction; the caller checks `demo_data_exists()` first."""
    demo = Demo(seed=seed, now=now or timezone.now(), log=log)
    for step in STEPS:
        started = time.perf_counter()
        step(demo)
        log(f"  {step.__name__:<20} {time.perf_counter() - started:5.2f}s")
    demo_loaded.send(sender=Demo, demo=demo)
    return demo


def demo_summary(demo: Demo) -> list[str]:
    """What was made, in a few lines for the console."""
    lines = [
        f"{len(demo.members)} members, {len(demo.groups)} groups, {len(demo.memberships)} memberships, "
        f"{len(demo.orders)} orders, {len(demo.campaigns)} campaigns, {len(demo.tags)} tags, "
        f"{len(demo.users)} users",
    ]
    total = ZERO
    for campaign in demo.campaigns:
        gmv = sum(
            (o.amount for o in demo.orders if o.campaign_id == campaign.pk and o.status == Order.Status.PAID), ZERO
        )
        total += gmv
        local = campaign.starts_at.astimezone(demo.tz)
        lines.append(f"  {campaign.code}  {local:%Y-%m-%d %H:%M}  {campaign.get_status_display():<6}  ¥{gmv:>10,.2f}")
    lines.append(f"  month: ¥{total:,.2f} against a target of ¥{MONTHLY_TARGET:,.2f}")
    return lines
