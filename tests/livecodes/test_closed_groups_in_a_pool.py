"""A group of a live code's pool that closes (dissolved, merged, a flash group past its end date) must be shown to
no scan: it is read-only and takes no new members.

Both paths decide by `Group.takes_new_members`: the Redis path from it, the database path in its SQL.
"""

import datetime as dt

import pytest
import redis
from django.utils import timezone

from livecodes import choice
from members import services as members
from members.models import Group

from .helpers import live_code_with

pytestmark = pytest.mark.django_db


def close_first_group() -> None:
    members.group_close(group=Group.objects.get(code="A"), closure=Group.Closure.DISSOLVED)


def end_first_flash_group() -> None:
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Group.objects.filter(code="A").update(tier=Group.Tier.FLASH, flash_ends_on=yesterday)


def shown() -> str | None:
    result = choice.scan("vip")
    return result.candidate.group_name if result.candidate else None


@pytest.mark.parametrize("closing", [close_first_group, end_first_flash_group], ids=["closed", "flash-ended"])
def test_without_redis_a_closed_group_gets_no_scan(settings, operator, closing):
    settings.LIVECODE_REDIS_URL = ""
    live_code_with(operator, [("A", 500, 0), ("B", 500, 0)])
    assert shown() == "A群"
    closing()
    choice.snapshots_drop(["vip"])
    assert shown() == "B群"


@pytest.mark.redis
@pytest.mark.parametrize("closing", [close_first_group, end_first_flash_group], ids=["closed", "flash-ended"])
def test_with_redis_a_closed_group_gets_no_scan(settings, operator, redis_server, closing):
    settings.LIVECODE_REDIS_URL = redis_server.url
    redis.Redis.from_url(redis_server.url).flushdb()
    choice._down_until = 0.0
    live_code_with(operator, [("A", 500, 0), ("B", 500, 0)])
    assert shown() == "A群"
    closing()
    choice.snapshots_drop(["vip"])
    assert shown() == "B群"
