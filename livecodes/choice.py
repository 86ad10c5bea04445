"""Which group a scan of a live code is sent to, and counting the scan: the one home of the rule.

A group has room for `min(capacity, Group.SCAN_JOIN_LIMIT) − margin − open memberships − held places`.
A scan is a member about to join: it holds a place in the group it was shown for LIVECODE_HOLD_MINUTES, so
many scans at once against the last free places never send more people to a group than it has room for.
A place is then counted twice for a while (held, and the membership once recorded): the error errs on the
side of a group never overflowing. Groups fill in pool order (a few at a time while many scan at once); a
group is shown only with an unexpired image.

Two ways to take a place, one rule:

- With Redis (LIVECODE_REDIS_URL): the pool's snapshot (what the database says: room by members, the newest
  unexpired image of each group) is cached in Redis; one Lua script, atomic on the server, drops expired
  holds, picks the first groups whose held places are under their room and whose image has not expired, and
  holds a few places there for the process's next scans (a lease). The scan is counted in the process's
  memory-mapped count file (`counting`), moved into the database exactly once. No database query and, most scans, no
  Redis call on the way: the page costs about what an empty view costs.
- Without Redis (none configured, or down): one transaction locks the pool's groups' rows, reads the room
  from the database (memberships and `ScanHold` rows), writes the hold and adds the scan to the image's count.

The snapshot is dropped whenever what it was made of changes (memberships, the pool, its images, the live
code, a group's settings or closing: `receivers`) and lives at most LIVECODE_POOL_CACHE_SECONDS; another
process's lease of a group just closed lasts at most LEASE_SECONDS. Known limit: while Redis is down, the places
held in it are not seen; the database path then counts memberships and its own holds only.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from core.dates import local_date
from core.sqlite_turns import writer_turn
from members.models import Group, Membership

from .counting import count
from .models import LiveCode, QRImage, ScanHold

log = logging.getLogger(__name__)

REDIS_DOWN_SECONDS = 5.0  # after a failure, the database path is used this long before Redis is tried again


def pool_key(slug: str) -> str:
    return f"lc:pool:{slug}"


def cursor_key(slug: str) -> str:
    return f"lc:pool:{slug}:from"


def hold_key(group_id: int) -> str:
    return f"lc:hold:{group_id}"


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    group_id: int
    image_id: int
    expires_ts: float
    room: int  # places by members and the database's holds, before Redis's holds
    group_name: str


@dataclass(frozen=True)
class Choice:
    """What a scan found. `candidate` None: no group has room (show the service account)."""

    live_code: dict  # id, slug, name, contact_text, has_contact_image
    candidate: Candidate | None
    # What the page shows, as the Redis path returned it: the same for every scan shown that group's image,
    # so the page's HTML can be kept per process under it. None on the database path.
    key: tuple[bytes, bytes] | None = None


def hold_seconds() -> float:
    return settings.LIVECODE_HOLD_MINUTES * 60


def group_limit(group: Group, margin: int) -> int:
    return min(group.capacity, Group.SCAN_JOIN_LIMIT) - margin


def pool_rooms(live_code: LiveCode, *, now, redis_holds: dict[int, int] | None = None) -> list[tuple]:
    """Every active pool entry of `live_code` with its room and newest unexpired image: a list of
    (entry, room, image or None), in pool order. Legacy groups take nobody (`Group.takes_new_members`)."""
    entries = list(live_code.entries.filter(is_active=True).select_related("group").order_by("position", "id"))
    group_ids = [entry.group_id for entry in entries]
    members = dict(
        Membership.objects.open().filter(group_id__in=group_ids).values_list("group").annotate(n=Count("id"))
    )
    holds = dict(
        ScanHold.objects.filter(group_id__in=group_ids, at__gt=now - timezone.timedelta(seconds=hold_seconds()))
        .values_list("group")
        .annotate(n=Count("id"))
    )
    images: dict[int, QRImage] = {}
    for image in QRImage.objects.unexpired(now=now).filter(entry__in=entries).order_by("entry", "-expires_at", "-id"):
        images.setdefault(image.entry_id, image)
    rows = []
    for entry in entries:
        room = (
            group_limit(entry.group, live_code.margin) - members.get(entry.group_id, 0) - holds.get(entry.group_id, 0)
        )
        room -= (redis_holds or {}).get(entry.group_id, 0)
        if not entry.group.takes_new_members:
            room = 0
        rows.append((entry, max(room, 0), images.get(entry.pk)))
    return rows


def candidates(live_code: LiveCode, *, now) -> list[Candidate]:
    """The groups a scan may be sent to, in pool order: room left by members and database holds, an image."""
    return [
        Candidate(entry.pk, entry.group_id, image.pk, image.expires_at.timestamp(), room, entry.group.name)
        for entry, room, image in pool_rooms(live_code, now=now)
        if room > 0 and image is not None
    ]


def _code_info(live_code: LiveCode) -> dict:
    return {
        "id": live_code.pk,
        "slug": live_code.slug,
        "name": live_code.name,
        "contact_text": live_code.contact_text,
        "has_contact_image": bool(live_code.contact_image),
    }


def snapshot_build(slug: str, *, now) -> dict:
    """What the Redis path decides from: the live code and its candidates (JSON-ready)."""
    live_code = LiveCode.objects.filter(slug=slug, is_active=True).first()
    if live_code is None:
        return {"code": None, "entries": []}
    return {
        "code": _code_info(live_code),
        "entries": [
            [c.entry_id, c.group_id, c.image_id, c.expires_ts, c.room, c.group_name]
            for c in candidates(live_code, now=now)
        ],
    }


# --- Redis ----------------------------------------------------------------------------------------------

_client: redis.Redis | None = None
_client_url = ""
_down_until = 0.0


def redis_client() -> redis.Redis | None:
    """The live codes' Redis, or None when none is configured or it failed in the last few seconds."""
    global _client, _client_url
    url = settings.LIVECODE_REDIS_URL
    if not url or time.monotonic() < _down_until:
        return None
    if _client is None or _client_url != url:
        # Short timeouts: a Redis that is down must cost the page milliseconds, not seconds.
        _client = redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=1.0)
        _client_url = url
    return _client


def redis_failed(error: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + REDIS_DOWN_SECONDS
    log.warning("live codes: Redis unavailable (%s); using the database for %.0f s", error, REDIS_DOWN_SECONDS)


# KEYS[1] the pool's snapshot: a list, the live code's JSON text first, then one JSON text per candidate, in pool
# order. KEYS[2] where the last lease found room (an index into that list): the candidates before it were full
# or their image had expired, so a lease reads a few candidates, not the whole pool. (A group before it whose
# held places expire is offered again when the snapshot is next built, within LIVECODE_POOL_CACHE_SECONDS.)
# ARGV: now (s), hold window (s), the lease's unique id, places wanted, then what a process gives back from its
# previous lease (places unused when it ended): 'group:lease:first:last' ranges joined by ',' ('' for none).
#
# Gives those back, then holds up to `wanted` places: in the first group with room and an unexpired image a
# quarter of what it has left (at least one), and, while fewer than wanted, a quarter of what each of the next
# few such groups has left (none from a group with under four; none after a group's last three places, which
# go one a lease, so a quiet page shows the groups strictly in pool order). A group's last places are so spread over the
# processes serving the page (one holding them all while the others find no room would send members away from
# a group that has some), yet a busy page asks Redis once per many scans. Returns the code's JSON text, then
# (entry's JSON text, places) per group, in pool order: just the code when no group has room, '' when there is
# no snapshot. Holds are named after the lease (lease:1, lease:2, … across its groups), so a retry after a
# timeout (the script ran, its answer was lost) holds the same places, not more.
_LEASE = """
for group, lease, a, b in string.gmatch(ARGV[5], '(%d+):(%w+):(%d+):(%d+)') do
  for n = tonumber(a), tonumber(b) do redis.call('ZREM', 'lc:hold:' .. group, lease .. ':' .. n) end
end
local code = redis.call('LINDEX', KEYS[1], 0)
if not code then return {''} end
if code == 'null' then return {'null'} end
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local wanted = tonumber(ARGV[4])
local last = redis.call('LLEN', KEYS[1]) - 1
local first = tonumber(redis.call('GET', KEYS[2]) or '1')
local out = {code}
local got = 0
local looked = 0
for i = first, last do
  if got >= wanted or looked >= 8 then break end
  local raw = redis.call('LINDEX', KEYS[1], i)
  local e = cjson.decode(raw)
  if e[4] > now then
    local hk = 'lc:hold:' .. e[2]
    local held = redis.call('ZCARD', hk)
    if held >= e[5] then
      redis.call('ZREMRANGEBYSCORE', hk, '-inf', now - window)
      held = redis.call('ZCARD', hk)
    end
    local left = e[5] - held
    if left > 0 then
      local places = math.min(wanted - got, math.floor(left / 4))
      if got == 0 then
        places = math.max(1, places)
        if i ~= first then redis.call('SET', KEYS[2], i, 'EX', math.max(1, redis.call('TTL', KEYS[1]))) end
      end
      if places > 0 then
        for n = got + 1, got + places do redis.call('ZADD', hk, now, ARGV[3] .. ':' .. n) end
        redis.call('EXPIRE', hk, math.ceil(window) + 60)
        out[#out + 1] = raw
        out[#out + 1] = places
        got = got + places
      end
      if left < 4 then break end
    end
  end
  if got > 0 then looked = looked + 1 end
end
if got == 0 then redis.call('SET', KEYS[2], last + 1, 'EX', math.max(1, redis.call('TTL', KEYS[1]))) end
return out
"""
# A process leases places for the scans it serves next: one at first, twice as many as it last asked for each
# time a lease is used up within LEASE_SECONDS (up to LEASE_MAX_PLACES; a lease of a group's last place does not
# slow a busy page down), back to one after a lease ran out of time. Busy pages ask
# Redis once per many scans; a quiet page holds no place it does not use (what a lease did not use is given
# back with the next one).
LEASE_MAX_PLACES = 64
LEASE_SECONDS = 5.0  # a lease unused this long is left; its unused places are given back with the next lease
NO_ROOM_SECONDS = 1.0  # "no group has room" is believed this long before Redis is asked again

_lease_script = None
_decoded: dict[bytes, object] = {}  # JSON text -> its value: the same few texts come back on every scan


@dataclass
class _Lease:
    """Places held for this process's next scans: `parts` is (entry's JSON text, places) per group, in the order
    they are shown; the holds are named lease_id:1 … lease_id:<places in all>, in that order."""

    code: bytes
    parts: list[tuple[bytes, int]]
    until: float  # time.monotonic()
    lease_id: str = ""
    wanted: int = 1  # places asked for: the page's pace, whatever the groups' tails gave
    used: int = 0  # places shown, in all

    @property
    def places(self) -> int:
        return sum(places for _entry, places in self.parts)

    @property
    def left(self) -> int:
        return self.places - self.used

    def current(self) -> bytes | None:
        """The entry of the next place to show (None: used up, or no group had room)."""
        before = 0
        for entry, places in self.parts:
            if self.used < before + places:
                return entry
            before += places
        return None

    def unused(self) -> str:
        """The places not shown, as the lease script takes them back: 'group:lease:first:last,…'."""
        ranges, before = [], 0
        for entry, places in self.parts:
            first = max(self.used, before) + 1
            if first <= before + places:
                ranges.append(f"{_json(entry)[1]}:{self.lease_id}:{first}:{before + places}")
            before += places
        return ",".join(ranges)


_leases: dict[str, _Lease] = {}


def _json(raw: bytes):
    value = _decoded.get(raw)
    if value is None:
        if len(_decoded) > 1000:
            _decoded.clear()
        value = _decoded[raw] = json.loads(raw)
    return value


def _lease(client: redis.Redis, slug: str, *, lease_id: str, wanted: int, previous: _Lease | None) -> list:
    global _lease_script
    if _lease_script is None:
        _lease_script = client.register_script(_LEASE)
    give_back = previous.unused() if previous is not None else ""
    keys, args = [pool_key(slug), cursor_key(slug)], [time.time(), hold_seconds(), lease_id, wanted, give_back]
    try:
        return _lease_script(keys=keys, args=args)
    except redis.TimeoutError:
        return _lease_script(keys=keys, args=args)  # the same lease id: the same places, not more


def snapshot_store(client: redis.Redis, slug: str, snapshot: dict) -> None:
    """Cache `snapshot` (snapshot_build's) as the lease script reads it, its search starting afresh."""
    key = pool_key(slug)
    with client.pipeline(transaction=True) as pipe:
        pipe.delete(key, cursor_key(slug))
        pipe.rpush(key, json.dumps(snapshot["code"]), *[json.dumps(entry) for entry in snapshot["entries"]])
        pipe.expire(key, max(1, int(settings.LIVECODE_POOL_CACHE_SECONDS)))
        pipe.execute()


def _next_size(previous: _Lease | None, now: float) -> int:
    if previous is None or not previous.parts or previous.left > 0 or now >= previous.until:
        return 1
    return min(LEASE_MAX_PLACES, previous.wanted * 2)


def _scan_with_redis(client: redis.Redis, slug: str) -> Choice | None:
    lease = _leases.get(slug)
    now = time.monotonic()
    if lease is None or lease.left <= 0 or now >= lease.until:
        lease_id, wanted = os.urandom(8).hex(), _next_size(lease, now)
        answer = _lease(client, slug, lease_id=lease_id, wanted=wanted, previous=lease)
        if not answer[0]:
            snapshot_store(client, slug, snapshot_build(slug, now=timezone.now()))
            answer = _lease(client, slug, lease_id=lease_id, wanted=wanted, previous=None)
            if not answer[0]:  # dropped again at once (a change right now): decide from the database instead
                raise redis.RedisError("the pool snapshot keeps disappearing")
        parts = [(answer[n], int(answer[n + 1])) for n in range(1, len(answer), 2)]
        until = now + (LEASE_SECONDS if parts else NO_ROOM_SECONDS)
        lease = _leases[slug] = _Lease(answer[0], parts, until, lease_id, wanted)
    info = _json(lease.code)
    if info is None:
        return None
    entry = lease.current()
    candidate = Candidate(*_json(entry)) if entry else None
    if candidate is not None and candidate.expires_ts <= time.time():
        lease.until = 0.0  # its image expired while leased: ask again (its unused places given back)
        return _scan_with_redis(client, slug)
    if candidate is not None:
        lease.used += 1
    count(candidate.image_id if candidate else -info["id"])
    return Choice(info, candidate, key=(lease.code, entry or b""))


# --- The database --------------------------------------------------------------------------------------


# The database path in plain SQL (the same on SQLite and PostgreSQL): it runs on every scan while Redis is
# down, and the ORM's query building would cost more than the queries.
_CODE_SQL = (
    "SELECT id, slug, name, contact_text, contact_image, margin FROM livecodes_livecode WHERE slug = %s AND is_active"
)
_LOCK_SQL = (
    "SELECT g.id FROM members_group g JOIN livecodes_poolentry e ON e.group_id = g.id"
    " WHERE e.live_code_id = %s AND e.is_active ORDER BY g.id FOR UPDATE OF g"
)
# Rooms are computed per entry in pool order (the index livecodes_pool_order), so the read stops at the first
# group with room however many are full before or after it.
_FIRST_WITH_ROOM_SQL = """
SELECT entry_id, group_id, name, room, image_id FROM (
  SELECT e.id AS entry_id, e.group_id AS group_id, g.name AS name, e.position AS position,
    (CASE WHEN g.capacity < %s THEN g.capacity ELSE %s END) - %s
    - (SELECT COUNT(*) FROM members_membership m WHERE m.group_id = e.group_id AND m.status IN ('invited', 'active'))
    - (SELECT COUNT(*) FROM livecodes_scanhold h WHERE h.group_id = e.group_id AND h.at > %s) AS room,
    (SELECT i.id FROM livecodes_qrimage i WHERE i.entry_id = e.id AND i.expires_at > %s
       ORDER BY i.expires_at DESC, i.id DESC LIMIT 1) AS image_id
  FROM livecodes_poolentry e JOIN members_group g ON g.id = e.group_id
  WHERE e.live_code_id = %s AND e.is_active AND g.tier <> 'legacy' AND g.closed_at IS NULL
    AND NOT (g.tier = 'flash' AND g.flash_ends_on IS NOT NULL AND g.flash_ends_on < %s)
) pool
WHERE room > 0 AND image_id IS NOT NULL
ORDER BY position, entry_id
LIMIT 1
"""


def _first_with_room(cursor, code_id: int, margin: int, *, now) -> Candidate | None:
    """`candidates(live_code)[0]` in one query (the rule of `pool_rooms`, with `Group.takes_new_members` as
    SQL: not legacy, not closed, not a flash group past its last day): each entry's open memberships, holds and
    newest unexpired image as subqueries."""
    adapt = connection.ops.adapt_datetimefield_value
    since = now - timezone.timedelta(seconds=hold_seconds())
    limit = Group.SCAN_JOIN_LIMIT
    today = connection.ops.adapt_datefield_value(local_date(now))
    cursor.execute(_FIRST_WITH_ROOM_SQL, [limit, limit, margin, adapt(since), adapt(now), code_id, today])
    row = cursor.fetchone()
    if row is None:
        return None
    entry_id, group_id, name, room, image_id = row
    cursor.execute("SELECT expires_at FROM livecodes_qrimage WHERE id = %s", [image_id])
    expires = cursor.fetchone()[0]
    if convert := getattr(connection.ops, "convert_datetimefield_value", None):  # SQLite answers with text
        expires = convert(expires, None, connection)
    return Candidate(entry_id, group_id, image_id, expires.timestamp(), room, name)


def _scan_in_database(slug: str) -> Choice | None:
    now = timezone.now()
    with writer_turn("livecode"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CODE_SQL, [slug])
        row = cursor.fetchone()
        if row is None:
            return None
        code_id, slug, name, contact_text, contact_image, margin = row
        info = {"id": code_id, "slug": slug, "name": name, "contact_text": contact_text,
                "has_contact_image": bool(contact_image)}  # fmt: skip
        if connection.features.has_select_for_update:
            # Scans of every live code that shares a group wait here for each other (in one order: no
            # deadlock), so two never take the same last place. (SQLite: the transaction is the lock.)
            cursor.execute(_LOCK_SQL, [code_id])
        candidate = _first_with_room(cursor, code_id, margin, now=now)
        if candidate is None:
            cursor.execute("UPDATE livecodes_livecode SET unavailable_scans = unavailable_scans + 1 WHERE id = %s",
                           [code_id])  # fmt: skip
            return Choice(info, None)
        cursor.execute("INSERT INTO livecodes_scanhold (group_id, at) VALUES (%s, %s)",
                       [candidate.group_id, connection.ops.adapt_datetimefield_value(now)])  # fmt: skip
        cursor.execute("UPDATE livecodes_qrimage SET scans = scans + 1 WHERE id = %s", [candidate.image_id])
        return Choice(info, candidate)


def scan(slug: str) -> Choice | None:
    """Take a place for one scan of the live code `slug` and count it; None when there is no such live code."""
    client = redis_client()
    if client is not None:
        try:
            return _scan_with_redis(client, slug)
        except redis.RedisError as error:
            redis_failed(error)
    return _scan_in_database(slug)


def snapshots_drop(slugs) -> None:
    """Forget the cached pools of these live codes: the next scan decides from the database again."""
    slugs = list(slugs)
    for slug in slugs:
        if lease := _leases.get(slug):
            lease.until = 0.0  # ended: the next scan leases again and gives back what this one did not use
    client = redis_client()
    if client is None or not slugs:
        return
    try:
        client.delete(*[key for slug in slugs for key in (pool_key(slug), cursor_key(slug))])
    except redis.RedisError as error:
        redis_failed(error)


def redis_holds(group_ids) -> dict[int, int]:
    """Places held in Redis per group now (for the operator's pages and the run-out watch); {} without Redis."""
    client = redis_client()
    if client is None:
        return {}
    low = time.time() - hold_seconds()
    try:
        with client.pipeline(transaction=False) as pipe:
            for group_id in group_ids:
                pipe.zcount(hold_key(group_id), low, "+inf")
            counts = pipe.execute()
    except redis.RedisError as error:
        redis_failed(error)
        return {}
    return {group_id: int(count) for group_id, count in zip(group_ids, counts, strict=True) if count}
