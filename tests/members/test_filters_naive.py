"""The members filter against a naive one written in plain Python, on generated members (hypothesis):
regions in and out, tags any / all / none, referred or not, in or not in a group of a tier."""

from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.filters import MemberFilter
from members.models import Group, Member, Membership, Tag, TagCategory

REGIONS = ["成都市", "绵阳市", "攀枝花市", "凉山彝族自治州", "巴中市"]
TIERS = [Group.Tier.DAILY, Group.Tier.PRECISE, Group.Tier.LEGACY]

member_rows = st.lists(
    st.fixed_dictionaries(
        {
            "region": st.sampled_from([*REGIONS, ""]),
            "tags": st.sets(st.integers(0, 3), max_size=4),
            "referred": st.booleans(),
            "groups": st.lists(
                st.tuples(st.integers(0, 2), st.sampled_from(["active", "invited", "left"])),
                max_size=2,
                unique_by=lambda g: g[0],
            ),
        }
    ),  # fmt: skip
    min_size=1,
    max_size=25,
)
filters = st.fixed_dictionaries(
    {},
    optional={
        "region": st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True),
        "region_exclude": st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True),
        "tags": st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),
        "tags_match": st.just("all"),
        "tags_none": st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True),
        "referred": st.sampled_from(["yes", "no"]),
        "tier": st.sampled_from(TIERS),
        "not_tier": st.sampled_from(TIERS),
    },
)


def naive(rows, params, group_tiers):
    def keep(row):
        tiers_open = {group_tiers[g] for g, status in row["groups"] if status in ("active", "invited")}
        if "region" in params and row["region"] not in params["region"]:
            return False
        if "region_exclude" in params and row["region"] in params["region_exclude"]:
            return False
        if "tags" in params:
            wanted = set(params["tags"])
            if params.get("tags_match") == "all" and not wanted <= row["tags"]:
                return False
            if params.get("tags_match") != "all" and not wanted & row["tags"]:
                return False
        if "tags_none" in params and set(params["tags_none"]) & row["tags"]:
            return False
        if params.get("referred") == "yes" and not row["referred"]:
            return False
        if params.get("referred") == "no" and row["referred"]:
            return False
        if "tier" in params and params["tier"] not in tiers_open:
            return False
        return not ("not_tier" in params and params["not_tier"] in tiers_open)

    return {i for i, row in enumerate(rows) if keep(row)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=member_rows, params=filters)
def test_the_filter_selects_what_the_naive_filter_selects(db, rows, params):
    category = TagCategory.objects.create(code="c", name="类")
    tags = [Tag.objects.create(code=f"T{i}", name=f"标签{i}", category=category) for i in range(4)]
    groups = [Group.objects.create(code=f"G{i}", name=f"群{i}", tier=tier) for i, tier in enumerate(TIERS)]
    referrer = Member.objects.create(external_id="REF", region="外地")
    members = []
    for i, row in enumerate(rows):
        member = Member.objects.create(
            external_id=f"M{i}", region=row["region"], referred_by=referrer if row["referred"] else None
        )
        member.tags.set([tags[t] for t in row["tags"]])
        for g, status in row["groups"]:
            left = {"left_at": member.created_at} if status == "left" else {}
            Membership.objects.create(member=member, group=groups[g], status=status, joined_at=member.created_at,
                                      **left)  # fmt: skip
        members.append(member)
    try:
        query = QueryDict(mutable=True)
        for key, value in params.items():
            values = value if isinstance(value, list) else [value]
            if key in ("tags", "tags_none"):
                values = [tags[t].pk for t in values]
            query.setlist(key, [str(v) for v in values])
        filterset = MemberFilter(query, queryset=Member.objects.exclude(pk=referrer.pk))
        assert filterset.is_valid(), filterset.errors
        got = {members.index(m) for m in filterset.qs}
        assert got == naive(rows, params, dict(enumerate(TIERS))), query.urlencode()
    finally:
        Membership.objects.all().delete()
        Member.objects.all().delete()
        Group.objects.all().delete()
        Tag.objects.all().delete()
        TagCategory.objects.all().delete()
