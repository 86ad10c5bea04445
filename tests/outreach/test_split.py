"""Splitting a list among agents: every member exactly once, weights and regions respected."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from outreach.split import Share, split_by_region, split_round_robin

weights = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=10)


@given(n=st.integers(min_value=0, max_value=2000), ws=weights)
def test_round_robin_deals_every_member_once_within_one_of_the_weighted_share(n, ws):
    shares = [Share(agent_id=100 + i, weight=w) for i, w in enumerate(ws)]
    members = list(range(1, n + 1))
    dealt = split_round_robin(members, shares)
    assert sorted(dealt) == members
    counts = Counter(dealt.values())
    total = sum(ws)
    for share in shares:
        exact = n * share.weight / total
        assert abs(counts[share.agent_id] - exact) <= 1, (counts, share)


@given(n=st.integers(min_value=1, max_value=500), ws=weights)
def test_round_robin_is_fair_over_every_prefix_so_the_best_members_are_shared_too(n, ws):
    shares = [Share(agent_id=i, weight=w) for i, w in enumerate(ws)]
    dealt = split_round_robin(list(range(n)), shares)
    total = sum(ws)
    running = Counter()
    for member in range(n):
        running[dealt[member]] += 1
        for share in shares:
            assert abs(running[share.agent_id] - (member + 1) * share.weight / total) < len(shares)


regions = st.sampled_from(["成都", "绵阳", "德阳", "南充", "宜宾", "乐山", ""])


@given(members=st.lists(regions, max_size=300), ws=weights, data=st.data())
def test_by_region_gives_each_region_to_one_agent_and_honours_assigned_regions(members, ws, data):
    rows = [(i + 1, region) for i, region in enumerate(members)]
    assigned = data.draw(st.sampled_from(["成都", "绵阳", "乐山"]))
    shares = [Share(agent_id=100 + i, weight=w, regions=(assigned,) if i == 0 else ()) for i, w in enumerate(ws)]
    dealt = split_by_region(rows, shares)
    assert sorted(dealt) == [pk for pk, _ in rows]
    owners = {}
    for pk, region in rows:
        if region:
            assert owners.setdefault(region, dealt[pk]) == dealt[pk], "a region is split between agents"
    if assigned in owners:
        assert owners[assigned] == 100


def test_by_region_balances_unassigned_regions_largest_first():
    rows = [(i, "成都") for i in range(50)] + [(100 + i, "绵阳") for i in range(30)]
    rows += [(200 + i, "德阳") for i in range(25)]
    dealt = split_by_region(rows, [Share(1), Share(2)])
    load = Counter(dealt.values())
    assert load == {1: 50, 2: 55}  # 成都 to one, 绵阳 + 德阳 to the other
