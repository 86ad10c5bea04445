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

This module holds the story's facts and the generation context; `people.py` makes users, the codebook,
groups, members and memberships, `sales.py` the campaigns and orders, `loader.py` runs the steps.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from campaigns.models import Campaign, Order
from core.roles import Role
from members.models import Group, Member, Membership, Tag

DEFAULT_SEED = 20
OLD_MEMBERS = 1740  # customers of the platform before the 8 weeks
NEW_MEMBERS = 260  # customers who registered during the 8 weeks and landed in a daily group
WEEKS = 8
MONTHLY_TARGET = Decimal("300000.00")
# The seed's month: four Thursday campaigns made ¥330k against ¥300k. The first had technical problems.
CAMPAIGN_GMV = [Decimal("72480.00"), Decimal("79350.00"), Decimal("85960.00"), Decimal("92410.00")]
CAMPAIGN_START = dt.time(10, 0)
# The Thursday campaigns are one weekly run; its campaigns are coded "<run code>-YYYYMMDD".
RUN_CODE = "VIP"
RUN_NAME = "VIP会员特供日"
CAMPAIGN_HOURS = 12
REFUND_RATE = 0.04


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


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def update_columns(model, objects, names: list[str]) -> None:
    """One UPDATE per row through executemany: bulk_update's CASE expressions take seconds on SQLite here."""
    fields = [model._meta.get_field(name) for name in names]
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    pk_column = connection.ops.quote_name(model._meta.pk.column)
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk_column} = %s", rows)
