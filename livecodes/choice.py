"""Which group a scan of a live code is sent to, and counting the scan: the one home of the rule.

A group has room for `min(capacity, LIVECODE_SCAN_JOIN_LIMIT) − margin − open memberships − held places`.
A scan is a member about to join: it holds a place in the group it was shown for LIVECODE_HOLD_MINUTES, so
many scans at once against the last free places never send more people to a group than it has room for.
A place is then counted twice for a while (held, and the membership once recorded): the error errs on the
side of a group never overflowing. Groups fill in pool order; a group is shown only with an unexpired image.

Two ways to take a place, one rule:

- With Redis (LIVECODE_REDIS_URL): the pool's snapshot (what the database says: room by members, the newest
  unexpired image of each group) is cached in Redis; one Lua script, atomic on the server, drops expired
  holds, picks the first group whose held places are under its room and whose image has not expired, adds
  the hold and counts the scan (a hash the beat task `livecodes.flush_scans` moves into the database, once).
  No database query on the way: the page costs about what an empty view costs.
- Without Redis (none configured, or down): one transaction locks the pool's groups' rows, reads the room
  from the database (memberships and `ScanHold` rows), writes the hold and adds the scan to the image's count.

The snapshot is dropped whenever what it was made of changes (memberships, the pool, its images, the live
code) and lives at most LIVECODE_POOL_CACHE_SECONDS. Known limit: while Redis is down, the places held in it
are not seen; the database path then counts memberships and its own holds only.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from members.models import Group, Membership

from .models import LiveCode, QRImage, ScanHold

log = logging.getLogger(__name__)

SCANS_KEY = "lc:scans"
REDIS_DOWN_SECONDS = 5.0  # after a failure, the database path is used this long before Redis is tried again


def pool_key(slug: str) -> str:
    return f"lc:pool:{slug}"


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


def hold_seconds() -> float:
    return settings.LIVECODE_HOLD_MINUTES * 60


def group_limit(group: Group, margin: int) -> int:
    return min(group.capacity, settings.LIVECODE_SCAN_JOIN_LIMIT) - margin


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
        _client = redis.Redis.from_url(url, socket_connect_timeout=0.1, socket_timeout=0.5)
        _client_url = url
    return _client


def redis_failed(error: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + REDIS_DOWN_SECONDS
    log.warning("live codes: Redis unavailable (%s); using the database for %.0f s", error, REDIS_DOWN_SECONDS)


# KEYS[1] the pool's snapshot, KEYS[2] the scan counts. ARGV: now (s), hold window (s), a unique hold id.
# Returns {code, entry} as JSON texts: entry '' when no group has room; {'', ''} when there is no snapshot.
_TAKE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {'', ''} end
local snap = cjson.decode(raw)
if snap['code'] == cjson.null then return {'null', ''} end
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
for _, e in ipairs(snap['entries']) do
  if e[4] > now then
    local hk = 'lc:hold:' .. e[2]
    redis.call('ZREMRANGEBYSCORE', hk, '-inf', now - window)
    if redis.call('ZCARD', hk) < e[5] then
      redis.call('ZADD', hk, now, ARGV[3])
      redis.call('EXPIRE', hk, math.ceil(window) + 60)
      redis.call('HINCRBY', KEYS[2], 'i' .. e[3], 1)
      return {cjson.encode(snap['code']), cjson.encode(e)}
    end
  end
end
redis.call('HINCRBY', KEYS[2], 'c' .. snap['code']['id'], 1)
return {cjson.encode(snap['code']), ''}
"""
_take_script = None
_decoded: dict[bytes, object] = {}  # JSON text -> its value: the same few texts come back on every scan


def _json(raw: bytes):
    value = _decoded.get(raw)
    if value is None:
        if len(_decoded) > 1000:
            _decoded.clear()
        value = _decoded[raw] = json.loads(raw)
    return value


def _take(client: redis.Redis, slug: str):
    global _take_script
    if _take_script is None:
        _take_script = client.register_script(_TAKE)
    return _take_script(keys=[pool_key(slug), SCANS_KEY], args=[time.time(), hold_seconds(), os.urandom(8).hex()])


def _scan_with_redis(client: redis.Redis, slug: str) -> Choice | None:
    code, entry = _take(client, slug)
    if not code:
        snapshot = snapshot_build(slug, now=timezone.now())
        client.set(pool_key(slug), json.dumps(snapshot), ex=max(1, int(settings.LIVECODE_POOL_CACHE_SECONDS)))
        code, entry = _take(client, slug)
        if not code:  # dropped again at once (a change right now): decide from the database instead
            raise redis.RedisError("the pool snapshot keeps disappearing")
    info = _json(code)
    if info is None:
        return None
    return Choice(info, Candidate(*_json(entry)) if entry else None)


# --- The database --------------------------------------------------------------------------------------


def _scan_in_database(slug: str) -> Choice | None:
    now = timezone.now()
    with transaction.atomic():
        live_code = LiveCode.objects.filter(slug=slug, is_active=True).first()
        if live_code is None:
            return None
        group_ids = list(live_code.entries.filter(is_active=True).values_list("group_id", flat=True))
        # Scans of every live code that shares a group wait here for each other (in one order: no deadlock),
        # so two never take the same last place.
        list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk").values_list("pk", flat=True))
        for candidate in candidates(live_code, now=now):
            if candidate.expires_ts > now.timestamp():
                ScanHold.objects.create(group_id=candidate.group_id, at=now)
                QRImage.objects.filter(pk=candidate.image_id).update(scans=F("scans") + 1)
                return Choice(_code_info(live_code), candidate)
        LiveCode.objects.filter(pk=live_code.pk).update(unavailable_scans=F("unavailable_scans") + 1)
        return Choice(_code_info(live_code), None)


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
    client = redis_client()
    if client is None or not slugs:
        return
    try:
        client.delete(*[pool_key(slug) for slug in slugs])
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
