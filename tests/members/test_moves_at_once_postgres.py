"""The same member moved from two tabs at once on PostgreSQL, each tab's request holding the membership as it was
when its page was shown: the member ends up in one group, the other request is refused, nothing fails."""

import pytest

from tests.at_once import at_once
from tests.campaigns.realparts import fetch, manage

pytestmark = [pytest.mark.postgres]

SEED = """
from django.utils import timezone
from members.models import Group, Member, Membership

for code in ("A", "B", "C"):
    Group.objects.create(code=code, name=code + "群")
Membership.objects.create(member=Member.objects.create(external_id="M1"), group=Group.objects.get(code="A"),
                          joined_at=timezone.now() - timezone.timedelta(days=3))
"""

MOVE = """
from django.core.exceptions import ValidationError
from members import services
from members.models import Group, Membership

membership = Membership.objects.get(member__external_id="M1", group__code="A")
to = Group.objects.get(code="{to}")
# go
try:
    services.membership_move(membership=membership, to=to)
    print("moved")
except ValidationError:
    print("refused")
"""


def test_a_member_moved_to_two_groups_at_once_ends_up_in_one(postgres_url, tmp_path):
    manage(postgres_url, "migrate", "--no-input")
    manage(postgres_url, "shell", "-c", SEED)
    logs = at_once(postgres_url, tmp_path, [MOVE.format(to=to) for to in "BC"])  # each read the membership first
    assert sorted(log.strip() for log in logs) == ["moved", "refused"], logs
    open_groups = fetch(
        postgres_url,
        "SELECT g.code FROM members_membership m JOIN members_group g ON g.id = m.group_id"
        " WHERE m.status IN ('invited', 'active')",
    )
    assert open_groups in ([("B",)], [("C",)])
