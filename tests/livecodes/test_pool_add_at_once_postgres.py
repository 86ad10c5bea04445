"""The same group added to a live code's pool by several requests at once on PostgreSQL (a double click on "Add"):
it is in the pool once, the other requests are refused with a sentence, none fails with a database error."""

import pytest

from tests.at_once import at_once
from tests.campaigns.realparts import fetch, manage

pytestmark = [pytest.mark.postgres]

SEED = """
from django.contrib.auth.models import User
from livecodes.models import LiveCode
from members.models import Group

LiveCode.objects.create(slug="vip", name="VIP", owner=User.objects.create_user("owner"))
Group.objects.create(code="A", name="A群", tier="precise")
"""

ADD = """
from django.core.exceptions import ValidationError
from livecodes import services
from livecodes.models import LiveCode
from members.models import Group

live_code, group = LiveCode.objects.get(slug="vip"), Group.objects.get(code="A")
# go
try:
    services.pool_add(live_code=live_code, group=group)
    print("added")
except ValidationError as error:
    print("refused", error.message_dict["group"][0])
"""


def test_one_group_added_by_three_requests_at_once_is_in_the_pool_once(postgres_url, tmp_path):
    manage(postgres_url, "migrate", "--no-input")
    manage(postgres_url, "shell", "-c", SEED)
    logs = sorted(log.strip() for log in at_once(postgres_url, tmp_path, [ADD] * 3))
    assert logs[0] == "added", logs
    assert logs[1:] == ["refused 该群已在群池中。"] * 2, logs
    assert fetch(postgres_url, "SELECT count(*), max(position) FROM livecodes_poolentry") == [(1, 1)]
