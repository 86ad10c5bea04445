"""Call lists for tests: a saved selection, agents, a list built through the service."""

from members.models import SavedSelection
from outreach.services import CallListSpec, call_list_build
from outreach.split import Share
from tests.conftest import make_user
from tests.members.factories import GroupFactory


def build_list(*, by, agents, query="region=四川/成都", groups=None, name="成都药店 VIP 邀约", **spec):
    selection, _ = SavedSelection.objects.get_or_create(name=f"sel {query}", defaults={"query": query})
    groups = groups if groups is not None else [GroupFactory()]
    shares = [Share(agent_id=agent.pk) for agent in agents]
    return call_list_build(CallListSpec(name=name, selection=selection, groups=groups, shares=shares, **spec), by=by)


def make_agent(username: str):
    return make_user(username, "agent")
