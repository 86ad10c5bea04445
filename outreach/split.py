"""Splitting a call list among agents: who calls whom. Pure functions over ids, so they are tested alone."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Share:
    """An agent's share of a list: a weight (round robin), or regions they take (by region)."""

    agent_id: int
    weight: int = 1
    regions: tuple[str, ...] = field(default=())


def split_round_robin(member_ids: Sequence[int], shares: Sequence[Share]) -> dict[int, int]:
    """Member id → agent id, dealt in turn so that each agent gets members in proportion to their weight.

    Smooth weighted round robin (as nginx balances upstreams): at every step each agent gains its weight,
    the one with most takes the member and pays the total. Over any prefix of the list the shares stay within
    one member of their exact proportions, so the best members (the list is ordered) are shared fairly too.
    """
    shares = [share for share in shares if share.weight > 0]
    if not shares:
        raise ValueError("at least one agent with a weight above 0")
    total = sum(share.weight for share in shares)
    current = [0] * len(shares)
    out: dict[int, int] = {}
    for member_id in member_ids:
        for i, share in enumerate(shares):
            current[i] += share.weight
        best = max(range(len(shares)), key=current.__getitem__)
        current[best] -= total
        out[member_id] = shares[best].agent_id
    return out


def split_by_region(members: Sequence[tuple[int, str]], shares: Sequence[Share]) -> dict[int, int]:
    """Member id → agent id, a whole region to one agent, as the seed team split its list.

    Regions an agent was given are theirs. Every other region goes, largest first, to the agent whose load
    per unit of weight is lowest (the greedy rule for balancing), so the split stays even without anyone
    having to list every region. Members without a region are dealt round robin.
    """
    shares = [share for share in shares if share.weight > 0]
    if not shares:
        raise ValueError("at least one agent with a weight above 0")
    owner: dict[str, int] = {}
    for share in shares:
        for region in share.regions:
            owner.setdefault(region, share.agent_id)
    sizes = Counter(region for _, region in members if region)
    load: dict[int, int] = defaultdict(int)
    for region, size in sizes.items():
        if region in owner:
            load[owner[region]] += size
    weights = {share.agent_id: share.weight for share in shares}
    for region, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
        if region not in owner:
            agent_id = min(weights, key=lambda a: (load[a] / weights[a], a))
            owner[region] = agent_id
            load[agent_id] += size
    out = {member_id: owner[region] for member_id, region in members if region}
    out.update(split_round_robin([member_id for member_id, region in members if not region], shares))
    return out
