"""The Redis path of the live-code choice: places held in Redis (one Lua script), scans counted in the
process's file and flushed to the database exactly once; the snapshot dropped when a group fills; the database
path while Redis is down."""

import io
import socket

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from livecodes import choice
from livecodes.counting import scans_flush
from livecodes.models import LiveCode, QRImage, ScanHold
from members.models import Group, Member
from members.services import group_close, membership_invite, membership_mark_joined

from .helpers import live_code_with, set_expiry

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_redis(redis_server, settings):
    settings.LIVECODE_REDIS_URL = redis_server.url
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    choice._down_until = 0.0
    yield client
    client.flushdb()
    choice._down_until = 0.0


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


def shown():
    result = choice.scan("vip")
    return result.candidate.group_id if result.candidate else None


def test_scans_hold_places_in_redis_and_are_counted_once(live_redis, owner):
    live_code_with(owner, [("A", 500, 197), ("B", 500, 0)])
    a, b = (Group.objects.get(code=code) for code in "AB")
    assert [shown() for _ in range(5)] == [a.pk, a.pk, a.pk, b.pk, b.pk]
    assert not ScanHold.objects.exists(), "with Redis up, no scan writes to the database"
    assert QRImage.objects.get(entry__group=a).scans == 0
    assert scans_flush() == 5
    assert scans_flush() == 0
    assert QRImage.objects.get(entry__group=a).scans == 3
    assert QRImage.objects.get(entry__group=b).scans == 2


def test_a_group_that_just_filled_is_dropped_from_the_cached_pool(live_redis, owner):
    live_code_with(owner, [("A", 500, 199), ("B", 500, 0)], margin=0)
    a, b = (Group.objects.get(code=code) for code in "AB")
    assert live_redis.exists(choice.pool_key("vip")) == 0
    assert shown() == a.pk  # the last place, held
    assert live_redis.exists(choice.pool_key("vip")) == 1
    assert shown() == b.pk
    # The hold expires (nobody joined that way) but a member joins by invitation: A is full by members.
    live_redis.delete(choice.hold_key(a.pk))
    membership = membership_invite(member=Member.objects.create(external_id="X"), groups=[a])
    membership_mark_joined(membership=membership)
    assert live_redis.exists(choice.pool_key("vip")) == 0, "the join dropped the cached pool"
    assert shown() == b.pk


def test_a_group_closed_or_made_smaller_is_dropped_from_the_cached_pool(live_redis, owner, tmp_path):
    live_code_with(owner, [("A", 500, 100), ("B", 500, 100), ("C", 500, 0)], margin=0)
    a, b, c = (Group.objects.get(code=code) for code in "ABC")
    assert shown() == a.pk
    group_close(group=a, closure=Group.Closure.DISSOLVED)
    assert live_redis.exists(choice.pool_key("vip")) == 0, "closing A dropped the cached pool"
    assert shown() == b.pk
    # The groups import writes by SQL (no Group.save): it drops the pool all the same.
    assert live_redis.exists(choice.pool_key("vip")) == 1
    path = tmp_path / "groups.csv"
    path.write_text("code,name,capacity\nB,B群,100\n", encoding="utf-8")
    call_command("import_groups", str(path), stdout=io.StringIO())
    assert Group.objects.get(pk=b.pk).capacity == 100
    assert live_redis.exists(choice.pool_key("vip")) == 0, "the import that filled B dropped the cached pool"
    assert shown() == c.pk


def test_an_image_that_expires_while_cached_is_not_shown(live_redis, owner):
    live_code_with(owner, [("A", 500, 0), ("B", 500, 0)])
    a, b = (Group.objects.get(code=code) for code in "AB")
    assert shown() == a.pk
    # Expiry moves past now without anything dropping the cache: the script compares the time itself.
    expires = str(QRImage.objects.get(entry__group=a).expires_at.timestamp()).encode()
    cached = live_redis.lrange(choice.pool_key("vip"), 0, -1)
    at = next(n for n, text in enumerate(cached) if expires in text)
    past = str(timezone.now().timestamp() - 1).encode()
    live_redis.lset(choice.pool_key("vip"), at, cached[at].replace(expires, past))
    choice._leases.clear()  # as another process, which holds no places in A yet, would
    assert shown() == b.pk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_down_the_page_is_served_from_the_database_and_nothing_is_lost(settings, owner):
    settings.LIVECODE_REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    choice._down_until = 0.0
    try:
        live_code_with(owner, [("A", 500, 198), ("B", 500, 0)])
        a, b = (Group.objects.get(code=code) for code in "AB")
        assert [shown() for _ in range(3)] == [a.pk, a.pk, b.pk]
        assert ScanHold.objects.count() == 3
        assert sum(QRImage.objects.values_list("scans", flat=True)) == 3
        set_expiry(QRImage.objects.all(), timezone.now() - timezone.timedelta(seconds=1))
        assert shown() is None
        assert LiveCode.objects.get().unavailable_scans == 1
    finally:
        choice._down_until = 0.0


def test_leases_grow_while_used_up_and_give_back_what_they_did_not_use(live_redis, owner):
    live_code_with(owner, [("A", 500, 0)])
    a = Group.objects.get(code="A")
    held = lambda: live_redis.zcard(choice.hold_key(a.pk))  # noqa: E731
    assert shown() == a.pk
    assert held() == 1, "a quiet page holds only the place it shows"
    for _ in range(1 + 2):
        shown()
    assert held() == 1 + 2 + 4, "each lease used up in time doubles the next"
    assert choice._leases["vip"].used == 1
    choice._leases["vip"].until = 0.0  # the lease ran out of time, three of its four places unused
    assert shown() == a.pk
    assert held() == 1 + 2 + 1 + 1, "its unused places were given back with the next lease, of one place"


def test_a_busy_lease_takes_a_quarter_of_each_of_the_first_groups_and_gives_back_what_it_did_not_show(
    live_redis, owner
):
    live_code_with(owner, [("A", 500, 188), ("B", 500, 0), ("C", 500, 0)], margin=0)  # rooms 12, 200, 200
    a, b, c = (Group.objects.get(code=code) for code in "ABC")
    held = lambda group: live_redis.zcard(choice.hold_key(group.pk))  # noqa: E731
    choice.snapshot_store(live_redis, "vip", choice.snapshot_build("vip", now=timezone.now()))

    answer = choice._lease(live_redis, "vip", lease_id="one", wanted=60, previous=None)
    groups = [(choice._json(entry)[1], places) for entry, places in zip(answer[1::2], answer[2::2], strict=True)]
    assert groups == [(a.pk, 3), (b.pk, 50), (c.pk, 7)], "a quarter of what each group has left, up to 60"
    assert (held(a), held(b), held(c)) == (3, 50, 7)

    lease = choice._Lease(answer[0], list(zip(answer[1::2], answer[2::2], strict=True)), until=0.0, lease_id="one")
    lease.used = 4  # A's three places and one of B's were shown
    assert lease.unused() == f"{b.pk}:one:5:53,{c.pk}:one:54:60"
    answer = choice._lease(live_redis, "vip", lease_id="two", wanted=1, previous=lease)
    assert (held(a), held(b), held(c)) == (3 + 1, 1, 0), "the unused places were given back; one more in A"

    # A's last three places go one a lease, each alone: a page shows A's last places before B's.
    live_redis.delete(choice.hold_key(a.pk))
    live_redis.zadd(choice.hold_key(a.pk), {f"x:{n}": timezone.now().timestamp() for n in range(9)})
    for expected in (3, 2, 1):
        answer = choice._lease(live_redis, "vip", lease_id=f"tail{expected}", wanted=60, previous=None)
        assert [choice._json(entry)[1] for entry in answer[1::2]] == [a.pk], expected
    answer = choice._lease(live_redis, "vip", lease_id="after", wanted=60, previous=None)
    assert [choice._json(entry)[1] for entry in answer[1::2]][0] == b.pk
