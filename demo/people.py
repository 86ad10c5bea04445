"""The demo's people and groups: users, the codebook, groups, members with their personas, referrals and
memberships (who joined which group when, who left)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import User

from core.money import ZERO, to_money
from core.roles import Role
from members.models import Group, Member, Membership, Tag, TagCategory
from members.phones import InvalidPhone, normalize_phone

from .story import (
    BRANDS,
    CAMPAIGN_START,
    CHAINS,
    CODEBOOK,
    DEMO_USERS,
    GIVEN_NAMES,
    GROUPS,
    LEGACY_SIZES,
    NC_LEAVERS_SHARE,
    NEW_MEMBERS,
    NICKNAME_WORDS,
    OLD_MEMBERS,
    REGIONS,
    ROADS,
    STORE_TYPES,
    SURNAME_WEIGHTS,
    SURNAMES,
    TAG_DESCRIPTIONS,
    TOWNS,
    VILLAGES,
    VIP_GROUPS,
    WEEKS,
    Demo,
    Persona,
    lognormal,
    update_columns,
)


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
        history = 0.0 if is_new else lognormal(rng, history_median * (1.8 if store_type == "chain" else 1), 0.9)
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
            basket=lognormal(rng, basket, 0.35) * (1.15 if kind == "core" else 1),
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
    update_columns(Member, changed, ["referred_by"])


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
