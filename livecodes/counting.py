"""Moving the scans counted in Redis into the database, exactly once.

The counts hash is renamed to a batch (atomically, in Redis) and the batch's token recorded beside it; the
batch's counts are added to the images and live codes in one transaction that also stores the token
(`ScanFlush`, unique); the batch is deleted afterwards. A flush that dies anywhere is finished by the next:
a token already stored means the batch was written, so it is only deleted. Two flushes at once cannot both
store the token, so a batch is never added twice.
"""

from __future__ import annotations

import uuid

import redis
from django.db import IntegrityError, transaction
from django.db.models import F

from .choice import SCANS_KEY, counts_sync, redis_client, redis_failed
from .models import LiveCode, QRImage, ScanFlush

PENDING_KEY = "lc:flush:pending"

# Returns the pending batch's token, making one from the current counts if none is pending; '' if nothing.
_BATCH = """
local pending = redis.call('GET', KEYS[2])
if pending then return pending end
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
redis.call('RENAME', KEYS[1], 'lc:flush:batch:' .. ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
return ARGV[1]
"""
_DONE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', 'lc:flush:batch:' .. ARGV[1])
  redis.call('DEL', KEYS[1])
end
return 1
"""


def _apply(token: str, counts: dict[bytes, bytes]) -> int:
    total = 0
    try:
        with transaction.atomic():
            for field, value in counts.items():
                name, count = field.decode(), int(value)
                total += count
                if name.startswith("i"):
                    QRImage.objects.filter(pk=int(name[1:])).update(scans=F("scans") + count)
                elif name.startswith("c"):
                    LiveCode.objects.filter(pk=int(name[1:])).update(unavailable_scans=F("unavailable_scans") + count)
            ScanFlush.objects.create(token=token, scans=total)
    except IntegrityError:
        if not ScanFlush.objects.filter(token=token).exists():
            raise
        return 0  # another flush wrote this batch
    return total


def scans_flush() -> int:
    """Write the scans counted in Redis to the database; returns how many were written now."""
    client = redis_client()
    if client is None:
        return 0
    written = 0
    try:
        counts_sync()
        for _batch in range(2):  # a batch left by a flush that died, then the current counts
            token = client.eval(_BATCH, 2, SCANS_KEY, PENDING_KEY, uuid.uuid4().hex)
            token = token.decode() if isinstance(token, bytes) else token
            if not token:
                break
            if not ScanFlush.objects.filter(token=token).exists():
                written += _apply(token, client.hgetall(f"lc:flush:batch:{token}"))
            client.eval(_DONE, 1, PENDING_KEY, token)
    except (redis.RedisError, OSError) as error:
        redis_failed(error)
    return written
