"""A seeded generator of realistic import files: groups, members and orders of a Sichuan B2B pharmacy platform.

Used by the import benchmark (`bench/imports.py`), and meant for the analytics benchmarks and the demo data
too, so it is a module with a function API as well as a command:

    python bench/generate.py --members 100000 --orders 1000000 --groups 200 --weeks 104 --seed 42 \\
        --out bench/out --format csv --format xlsx

    from bench.generate import generate_dataset, write_dataset
    data = generate_dataset(members=2000, orders=20000, groups=24, weeks=8, seed=7, end=date.today())
    data.groups, data.members, data.orders, data.memberships, data.codebook   # pandas DataFrames
    write_dataset(data, out_dir, formats=("csv",))

Everything is a pure function of its arguments: the same seed gives byte-identical files.

The shape follows the seed playbooks: most customers buy once or never, a core of pharmacy owners
repurchases weekly (Thursday campaigns, peaks at 10:00 and 20:00), order amounts are B2B-sized with a long
tail, a member is in one group at a time, a tenth of them moved group once (left one, joined another).
The files use exactly the import formats of docs/imports.md; `memberships.csv` and
`codebook.csv` are extra tables for loaders that need the history or the tags.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_END = dt.date(2026, 3, 2)  # a Monday; fixed so that a seed always gives the same files

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
SURNAME_WEIGHTS = np.linspace(3.0, 0.6, len(SURNAMES))
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥建华志强晓东燕丹春梅海波鹏飞琳雪婷瑶宇浩然欣怡子涵"
)
# Sichuan's cities and prefectures, weighted roughly by population (Chengdu dominates).
REGIONS = {
    "成都市": 21, "绵阳市": 5, "德阳市": 4, "南充市": 6, "宜宾市": 5, "泸州市": 4, "达州市": 5, "乐山市": 3,
    "自贡市": 3, "内江市": 3, "遂宁市": 3, "眉山市": 3, "广安市": 3, "资阳市": 2, "雅安市": 1.5, "巴中市": 2,
    "攀枝花市": 1.2, "广元市": 2, "凉山州": 4, "阿坝州": 0.8, "甘孜州": 1,
}  # fmt: skip
DISTRICTS = [
    "高新",
    "武侯",
    "锦江",
    "青羊",
    "金牛",
    "成华",
    "双流",
    "温江",
    "郫都",
    "新都",
    "龙泉驿",
    "城东",
    "城南",
    "城西",
]
STORE_SUFFIXES = ["大药房", "药房", "药店", "诊所", "中医诊所", "卫生室", "医药连锁", "社区卫生服务站", "口腔诊所"]
STORE_SUFFIX_WEIGHTS = [30, 20, 12, 14, 6, 6, 6, 4, 2]
STORE_BRANDS = [
    "康泰",
    "仁和",
    "济民",
    "同仁",
    "百草",
    "益生",
    "春天",
    "德仁",
    "惠民",
    "华康",
    "福寿",
    "正和",
    "安康",
    "博爱",
]
NICK_PARTS = [
    "药师",
    "掌柜",
    "小",
    "老",
    "阿",
    "医生",
    "大夫",
    "药房",
    "健康",
    "平安",
    "开心",
    "向日葵",
    "晴天",
    "清风",
]

TIERS = ["daily", "flash", "precise", "super_user", "legacy"]
TIER_WEIGHTS = [0.45, 0.15, 0.15, 0.07, 0.18]
TIER_LABELS = {"daily": "日常群", "flash": "快闪群", "precise": "精准群", "super_user": "超级用户群", "legacy": "老群"}
PLATFORMS = ["wechat", "wecom", "qq", "dingtalk"]
PLATFORM_WEIGHTS = [0.74, 0.21, 0.03, 0.02]

# The codebook (密码本): (category code, category name, tag code, tag name).
CODEBOOK = [
    ("concern", "关注品类", "1", "感冒发烧"),
    ("concern", "关注品类", "2", "慢病用药"),
    ("concern", "关注品类", "3", "皮肤痘痘"),
    ("concern", "关注品类", "4", "儿童用药"),
    ("concern", "关注品类", "5", "中药饮片"),
    ("concern", "关注品类", "6", "保健营养"),
    ("wish", "诉求", "A", "要低价"),
    ("wish", "诉求", "B", "要账期"),
    ("wish", "诉求", "C", "要独家品种"),
    ("wish", "诉求", "D", "想解决痘痘问题"),
    ("store", "门店类型", "S1", "单体药店"),
    ("store", "门店类型", "S2", "连锁门店"),
    ("store", "门店类型", "S3", "诊所"),
    ("value", "价值", "V1", "高潜力"),
    ("value", "价值", "V2", "价格敏感"),
]

MOBILE_PREFIXES = [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159, 166, 170,
                   173, 175, 176, 177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 199]  # fmt: skip

ORDER_HOUR_WEIGHTS = np.array(
    [
        0.2,
        0.1,
        0.05,
        0.05,
        0.05,
        0.1,
        0.3,
        0.8,
        1.6,
        2.6,
        4.5,
        4.0,
        2.6,
        2.0,
        2.2,
        2.4,
        2.2,
        2.0,
        1.8,
        2.2,
        3.8,
        3.6,
        2.0,
        0.8,
    ]
)
# Monday..Sunday: Thursday is campaign day, Wednesday has the preview.
ORDER_WEEKDAY_WEIGHTS = np.array([1.0, 1.0, 1.3, 3.2, 1.1, 0.8, 0.7])


@dataclass
class Dataset:
    """The generated tables, in the import formats (all columns are strings except where noted)."""

    groups: pd.DataFrame
    members: pd.DataFrame
    orders: pd.DataFrame
    memberships: pd.DataFrame
    codebook: pd.DataFrame
    start: dt.datetime
    end: dt.datetime


def _local(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())  # naive local time, as the import files carry it


def _fmt_times(values: np.ndarray) -> np.ndarray:
    """datetime64[s] -> 'YYYY-MM-DD HH:MM:SS' strings (local, no offset)."""
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    return np.char.replace(text, "T", " ")


def _fmt_money(cents: np.ndarray) -> np.ndarray:
    cents = cents.astype(np.int64)
    return np.array([f"{c // 100}.{c % 100:02d}" for c in cents.tolist()], dtype=object)


def generate_groups(
    rng: np.random.Generator, n: int, *, start: dt.datetime, end: dt.datetime, owners=()
) -> pd.DataFrame:
    regions = list(REGIONS)
    weights = np.array(list(REGIONS.values()), dtype=float)
    region = rng.choice(regions, size=n, p=weights / weights.sum())
    tier = rng.choice(TIERS, size=n, p=TIER_WEIGHTS)
    platform = rng.choice(PLATFORMS, size=n, p=PLATFORM_WEIGHTS)
    capacity = np.where(tier == "flash", 200, 500)
    # Legacy groups are old; the rest were opened in the year before the period or in its first half.
    half = max((end - start).days // 2, 1)
    age_days = np.where(tier == "legacy", rng.integers(400, 900, n), rng.integers(-half, 365, n))
    created = (
        np.datetime64(start, "s") - age_days.astype("timedelta64[D]") + rng.integers(9, 21, n).astype("timedelta64[h]")
    )
    names = []
    counters: dict[tuple[str, str], int] = {}
    for reg, tr in zip(region.tolist(), tier.tolist(), strict=True):
        counters[(reg, tr)] = counters.get((reg, tr), 0) + 1
        names.append(f"{reg.removesuffix('市').removesuffix('州')}{TIER_LABELS[tr]}{counters[(reg, tr)]:02d}")
    owner = rng.choice(list(owners), size=n) if owners else np.full(n, "")
    return pd.DataFrame(
        {
            "code": [f"G{i:04d}" for i in range(1, n + 1)],
            "name": names,
            "tier": tier,
            "platform": platform,
            "region": ["四川省" + r for r in region],
            "capacity": capacity.astype(str),
            "owner": owner,
            "created_at": _fmt_times(created),
        }
    )


def _order_counts(rng: np.random.Generator, n_members: int, n_orders: int, cap_per_member: int) -> np.ndarray:
    """Orders per member: many never buy or buy once, some occasionally, a core buys most of the volume."""
    kind = rng.choice(4, size=n_members, p=[0.30, 0.36, 0.24, 0.10])  # never, once, occasional, core
    counts = np.zeros(n_members, dtype=np.int64)
    counts[kind == 1] = 1
    occasional = kind == 2
    counts[occasional] = 2 + rng.poisson(1.2, occasional.sum())
    core = np.flatnonzero(kind == 3)
    remainder = n_orders - counts.sum()
    if remainder < 2 * len(core):
        # A small order volume for the members: thin the one-time and occasional buyers until it fits.
        counts = np.minimum(counts, 1)
        buyers = np.flatnonzero(counts)
        keep = rng.permutation(buyers)[: max(n_orders - 2 * len(core), 0)]
        counts[:] = 0
        counts[keep] = 1
        remainder = n_orders - counts.sum()
    if len(core) and remainder > 0:
        # A long tail among the core: a few pharmacies order several times a week, most about weekly.
        weights = rng.lognormal(0.0, 0.7, len(core))
        extra = rng.multinomial(remainder, weights / weights.sum())
        cap = max(cap_per_member - 2, 1)
        while (overflow := int(np.clip(extra - cap, 0, None).sum())) and (extra < cap).any():
            extra = np.minimum(extra, cap)
            room = np.flatnonzero(extra < cap)
            extra[room] += rng.multinomial(overflow, np.full(len(room), 1 / len(room)))
        counts[core] += extra
    elif remainder > 0:
        counts += rng.multinomial(remainder, np.full(n_members, 1 / n_members))
    return counts


def _random_times(rng: np.random.Generator, lower: np.ndarray, upper: np.datetime64) -> np.ndarray:
    """One local time per row in [lower, upper), shaped by weekday and hour (Thursday 10:00 peaks)."""
    n = len(lower)
    upper_s = upper.astype("datetime64[s]").astype(np.int64)
    lower_s = lower.astype("datetime64[s]").astype(np.int64)
    span_days = np.maximum((upper_s - lower_s) // 86400, 1)
    # A slow upward trend: later weeks sell a little more (u**0.8 leans toward the end).
    day = lower_s // 86400 + (span_days * rng.random(n) ** 0.8).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    keep_p = ORDER_WEEKDAY_WEIGHTS[weekday] / ORDER_WEEKDAY_WEIGHTS.max()
    # Resample days rejected by the weekday shape (two rounds are close enough).
    for _ in range(2):
        rejected = rng.random(n) > keep_p
        day[rejected] = lower_s[rejected] // 86400 + (span_days[rejected] * rng.random(rejected.sum())).astype(np.int64)
        keep_p = ORDER_WEEKDAY_WEIGHTS[(day + 3) % 7] / ORDER_WEEKDAY_WEIGHTS.max()
    hour = rng.choice(24, size=n, p=ORDER_HOUR_WEIGHTS / ORDER_HOUR_WEIGHTS.sum())
    seconds = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    seconds = np.clip(seconds, lower_s, upper_s - 1)
    return seconds.astype("datetime64[s]")


def generate_dataset(
    *,
    members: int = 100_000,
    orders: int = 1_000_000,
    groups: int = 200,
    weeks: int = 104,
    seed: int = 42,
    end: dt.date = DEFAULT_END,
    owners: tuple[str, ...] = (),
) -> Dataset:
    """Generate the whole data set in memory; `end` is exclusive (local midnight), the period is `weeks` long."""
    rng = np.random.default_rng(seed)
    end_dt = _local(end)
    start_dt = end_dt - dt.timedelta(weeks=weeks)
    start64, end64 = np.datetime64(start_dt, "s"), np.datetime64(end_dt, "s")
    group_df = generate_groups(rng, groups, start=start_dt, end=end_dt, owners=owners)
    n = members

    # Members: names, phones, stores, regions.
    surname = rng.choice(SURNAMES, size=n, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    given1 = rng.choice(GIVEN, size=n)
    given2 = np.where(rng.random(n) < 0.65, rng.choice(GIVEN, size=n), "")
    name = np.char.add(np.char.add(surname.astype(str), given1.astype(str)), given2.astype(str))
    region_names = list(REGIONS)
    region_w = np.array(list(REGIONS.values()), dtype=float)
    region = rng.choice(region_names, size=n, p=region_w / region_w.sum())
    brand = rng.choice(STORE_BRANDS, size=n)
    district = rng.choice(DISTRICTS, size=n)
    suffix = rng.choice(STORE_SUFFIXES, size=n, p=np.array(STORE_SUFFIX_WEIGHTS) / sum(STORE_SUFFIX_WEIGHTS))
    store = [
        f"{r.removesuffix('市').removesuffix('州')}{d}{b}{s}" if k % 3 else f"{nm}{s}"
        for k, (r, d, b, s, nm) in enumerate(zip(region, district, brand, suffix, name, strict=True))
    ]
    prefixes = np.array(MOBILE_PREFIXES)
    suffixes = rng.choice(100_000_000, size=n, replace=False)
    mobile = rng.choice(prefixes, size=n).astype(np.int64) * 100_000_000 + suffixes
    phone = mobile.astype(str).astype(object)
    style = rng.random(n)
    spaced = style < 0.04  # "138 0013 8000", as typed by hand
    phone[spaced] = [f"{p[:3]} {p[3:7]} {p[7:]}" for p in phone[spaced]]
    prefixed = (style >= 0.04) & (style < 0.06)
    phone[prefixed] = ["+86" + p for p in phone[prefixed]]
    landline = (style >= 0.06) & (style < 0.08)  # a clinic's landline in Chengdu
    phone[landline] = [f"028-8{v:07d}" for v in rng.integers(0, 10_000_000, landline.sum())]
    phone[(style >= 0.08) & (style < 0.12)] = ""
    nickname = np.where(
        rng.random(n) < 0.8,
        np.char.add(rng.choice(NICK_PARTS, size=n).astype(str), given1.astype(str)),
        "",
    )

    # Memberships: most members sit in one group; a tenth moved once; some never joined a group.
    group_codes = group_df["code"].to_numpy()
    group_created = pd.to_datetime(group_df["created_at"]).to_numpy().astype("datetime64[s]")
    live = group_df["tier"].to_numpy() != "legacy"
    weights = np.where(live, 1.0, 0.35) * rng.uniform(0.3, 1.7, groups)
    member_group = rng.choice(groups, size=n, p=weights / weights.sum())
    in_group = rng.random(n) < 0.86
    earliest = np.maximum(group_created[member_group], start64 - np.timedelta64(180, "D"))
    span = (end64 - earliest).astype(np.int64)
    joined = earliest + (span * rng.random(n) ** 1.3).astype("timedelta64[s]")
    moved = in_group & (rng.random(n) < 0.10)
    old_group = rng.choice(groups, size=n, p=weights / weights.sum())
    moved &= old_group != member_group
    old_joined = np.maximum(group_created[old_group], start64 - np.timedelta64(365, "D"))
    old_left = joined.copy()
    moved &= old_joined < old_left
    ms_rows = {
        "member_external_id": [],
        "group": [],
        "joined_at": [],
        "left_at": [],
        "status": [],
    }
    ids = np.array([f"KH{i:07d}" for i in range(1, n + 1)], dtype=object)
    for mask, grp, j, left, status in (
        (moved, old_group, old_joined, old_left, "left"),
        (in_group, member_group, joined, None, "active"),
    ):
        k = mask.sum()
        ms_rows["member_external_id"].append(ids[mask])
        ms_rows["group"].append(group_codes[grp[mask]])
        ms_rows["joined_at"].append(_fmt_times(j[mask]))
        ms_rows["left_at"].append(_fmt_times(left[mask]) if left is not None else np.full(k, ""))
        ms_rows["status"].append(np.full(k, status))
    membership_df = pd.DataFrame({key: np.concatenate(parts) for key, parts in ms_rows.items()})

    # Orders: counts per member, times after the member's first join (or anywhere, for members in no group).
    counts = _order_counts(rng, n, orders, cap_per_member=weeks * 7)
    owner_idx = np.repeat(np.arange(n), counts)
    first_join = np.where(moved, old_joined, np.where(in_group, joined, start64))
    lower = np.maximum(first_join[owner_idx], start64)
    # A few orders predate the member's group (bought on the shop before being invited).
    early = rng.random(len(owner_idx)) < 0.05
    lower[early] = start64
    placed = _random_times(rng, lower, end64)
    cents = np.round(np.exp(rng.normal(np.log(78_000), 0.95, len(owner_idx)))).astype(np.int64)
    cents = np.clip(cents, 990, 30_000_000)
    round_price = rng.random(len(owner_idx)) < 0.15
    cents[round_price] = (cents[round_price] // 10_000) * 10_000 + 10_000  # whole hundreds of yuan
    refunded = rng.random(len(owner_idx)) < 0.03
    explicit_group = (rng.random(len(owner_idx)) < 0.08) & in_group[owner_idx]
    order_sort = np.argsort(placed, kind="stable")
    placed, owner_idx, cents = placed[order_sort], owner_idx[order_sort], cents[order_sort]
    refunded, explicit_group = refunded[order_sort], explicit_group[order_sort]
    days = placed.astype("datetime64[D]")
    day_text = np.datetime_as_string(days, unit="D")
    _, first_of_day = np.unique(days, return_index=True)
    seq = np.arange(len(days)) - np.repeat(first_of_day, np.diff(np.append(first_of_day, len(days))))
    order_ids = [f"SO{d.replace('-', '')}{s + 1:06d}" for d, s in zip(day_text.tolist(), seq.tolist(), strict=True)]
    order_df = pd.DataFrame(
        {
            "order_id": order_ids,
            "member_external_id": ids[owner_idx],
            "placed_at": _fmt_times(placed),
            "amount": _fmt_money(cents),
            "status": np.where(refunded, "refunded", "paid"),
            "group": np.where(explicit_group, group_codes[member_group[owner_idx]], ""),
            "campaign": "",
        }
    )

    # Back to the members: what the shop reports (cumulative purchase, last active), tags, referrals.
    paid = ~refunded
    cumulative = np.bincount(owner_idx[paid], weights=cents[paid], minlength=n).astype(np.int64)
    last_order = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    np.maximum.at(last_order.view(np.int64), owner_idx, placed.astype(np.int64))  # NaT is the smallest int64
    last_active = np.where(np.isnat(last_order), joined, last_order)
    last_active_text = np.where(in_group | ~np.isnat(last_order), _fmt_times(last_active), "")
    tag_codes = np.array([row[2] for row in CODEBOOK])
    n_tags = rng.choice(4, size=n, p=[0.35, 0.35, 0.2, 0.1])
    tags = [
        ";".join(sorted(rng.choice(tag_codes, size=k, replace=False).tolist())) if k else "" for k in n_tags.tolist()
    ]
    referred = rng.random(n) < 0.12
    referred[0] = False
    referrer = (rng.random(n) * np.arange(n)).astype(np.int64)  # an earlier member: exists in the same file
    member_df = pd.DataFrame(
        {
            "external_id": ids,
            "name": name,
            "phone": phone,
            "region": ["四川省" + r for r in region],
            "store_name": store,
            "wechat_nickname": nickname,
            "cumulative_purchase": _fmt_money(cumulative),
            "last_active_at": last_active_text,
            "tags": tags,
            "group": np.where(in_group, group_codes[member_group], ""),
            "joined_at": np.where(in_group, _fmt_times(joined), ""),
            "referred_by": np.where(referred, ids[referrer], ""),
        }
    )
    codebook_df = pd.DataFrame(CODEBOOK, columns=["category_code", "category_name", "code", "name"])
    return Dataset(group_df, member_df, order_df, membership_df, codebook_df, start_dt, end_dt)


def write_members_xlsx(members: pd.DataFrame, path: Path) -> None:
    """The members file as Excel saves it: phones and money as numbers, times as date cells."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("members")
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    columns = list(members.columns)
    sheet.write_row(0, 0, columns)
    converted = {}
    for col in ("last_active_at", "joined_at"):
        converted[col] = pd.to_datetime(members[col].replace("", None)).dt.to_pydatetime()
    phone_digits = members["phone"].str.fullmatch(r"\d{11}").to_numpy()
    for row_number, row in enumerate(members.itertuples(index=False, name=None), start=1):
        for col_number, (column, value) in enumerate(zip(columns, row, strict=True)):
            if value == "":
                continue
            if column == "phone" and phone_digits[row_number - 1]:
                sheet.write_number(row_number, col_number, int(value))
            elif column == "cumulative_purchase":
                sheet.write_number(row_number, col_number, float(value))
            elif column in converted:
                sheet.write_datetime(row_number, col_number, converted[column][row_number - 1], datetime_format)
            else:
                sheet.write_string(row_number, col_number, value)
    workbook.close()


def write_dataset(data: Dataset, out: Path, *, formats=("csv",)) -> dict[str, Path]:
    """Write groups.csv, members.csv (and/or members.xlsx), orders.csv, memberships.csv and codebook.csv."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in (
        ("groups", data.groups),
        ("orders", data.orders),
        ("memberships", data.memberships),
        ("codebook", data.codebook),
    ):
        paths[name] = out / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    if "csv" in formats:
        paths["members"] = out / "members.csv"
        data.members.to_csv(paths["members"], index=False)
    if "xlsx" in formats:
        paths["members_xlsx"] = out / "members.xlsx"
        write_members_xlsx(data.members, paths["members_xlsx"])
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=DEFAULT_END, help="exclusive, local date")
    parser.add_argument("--owners", default="", help="comma-separated usernames to own the groups")
    parser.add_argument("--format", action="append", choices=["csv", "xlsx"], help="members file format(s)")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args(argv)
    owners = tuple(o for o in args.owners.split(",") if o)
    data = generate_dataset(
        members=args.members,
        orders=args.orders,
        groups=args.groups,
        weeks=args.weeks,
        seed=args.seed,
        end=args.end,
        owners=owners,
    )
    paths = write_dataset(data, args.out, formats=tuple(args.format or ["csv"]))
    for name, path in paths.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
