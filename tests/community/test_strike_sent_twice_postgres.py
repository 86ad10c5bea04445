"""The same strike form sent by several requests at once on PostgreSQL (a double click on a slow network reaches
two web processes together): one strike, no removal for a two-strike rule, and no request fails."""

import pytest

from tests.at_once import at_once
from tests.campaigns.realparts import fetch, manage

pytestmark = [pytest.mark.postgres]

SEED = """
from django.contrib.auth.models import Group as Role, User
from django.utils import timezone
from community.services import rules_apply_templates
from members.models import Group, Member, Membership

owner = User.objects.create_user("owner")
owner.groups.add(Role.objects.get(name="operator"))
group = Group.objects.create(code="VIP-CD1", name="成都VIP①", tier="precise", owner=owner)
rules_apply_templates(groups=[group])
member = Member.objects.create(external_id="M1", name="张建国")
Membership.objects.create(member=member, group=group, joined_at=timezone.now() - timezone.timedelta(days=9))
"""

RECORD = """
from django.contrib.auth.models import User
from community.models import Rule
from community.services import violation_record
from members.models import Membership

violation = violation_record(
    membership=Membership.objects.get(member__external_id="M1"),
    rule=Rule.objects.get(template_key="short_video"),
    by=User.objects.get(username="owner"),
    submission="one-form-token-0123456789abcdef",
)
print("strike", violation.number)
"""


def test_one_form_sent_by_four_requests_at_once_is_one_strike(postgres_url, tmp_path):
    manage(postgres_url, "migrate", "--no-input")
    manage(postgres_url, "shell", "-c", SEED)
    logs = at_once(postgres_url, tmp_path, [RECORD] * 4)
    assert [log.strip() for log in logs] == ["strike 1"] * 4, logs
    assert fetch(postgres_url, "SELECT number FROM community_violation") == [(1,)]
    assert fetch(postgres_url, "SELECT strikes FROM members_membership") == [(1,)]
    assert fetch(postgres_url, "SELECT count(*) FROM community_removal") == [(0,)]
