"""Reads of the source tables (orders, memberships, groups) for the fact store, as numpy columns.

Raw SQL on purpose: building the store reads a million orders, and going through model instances or
`values()` with per-row datetime parsing costs seconds. Times come back as integer microseconds since the
Unix epoch (UTC) and money as integer cents, computed by the database so nothing is lost on the way:
PostgreSQL's `EXTRACT(EPOCH ...)` is exact (numeric); SQLite stores text and is parsed below to the
microsecond. Any other database goes through the ORM (slower, same result).
"""

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.db import connections
from django.utils.dateparse import parse_datetime

from campaigns.models import Order
from members.models import Group, Membership

# "No join date" and "not left" as instants far outside any real data, so intervals compare as plain ints.
NEVER_BEFORE = -(1 << 62)
NEVER_AFTER = 1 << 62

ORDERS = Order._meta.db_table
MEMBERSHIPS = Membership._meta.db_table


def _sqlite_epoch_us(col: str) -> str:
    """Microseconds since the epoch from SQLite's datetime text, exact for what Django and isoformat() write
    ('YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]'); other shapes are rounded to the millisecond by julianday().
    `%%s` because Django turns `%s` into a placeholder when parameters are given (they always are here)."""
    return f"""(CASE
      WHEN {col} IS NULL THEN NULL
      WHEN substr({col}, 20, 1) <> '.' THEN CAST(strftime('%%s', {col}) AS INTEGER) * 1000000
      WHEN substr({col}, 21, 6) GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]' AND substr({col}, 27, 1) NOT GLOB '[0-9]'
        THEN CAST(strftime('%%s', substr({col}, 1, 19) || substr({col}, 27)) AS INTEGER) * 1000000
             + CAST(substr({col}, 21, 6) AS INTEGER)
      ELSE CAST(ROUND((julianday({col}) - 2440587.5) * 86400000.0) AS INTEGER) * 1000
    END)"""


def _epoch_us(vendor: str, col: str) -> str:
    if vendor == "sqlite":
        return _sqlite_epoch_us(col)
    return f"(EXTRACT(EPOCH FROM {col}) * 1000000)::bigint"


def _epoch_s(vendor: str, col: str) -> str:
    """Whole seconds, for checksums only (julianday is three times cheaper than strftime in SQLite)."""
    if vendor == "sqlite":
        return f"CAST((julianday({col}) - 2440587.5) * 86400 AS INTEGER)"
    return f"floor(EXTRACT(EPOCH FROM {col}))::bigint"


def _cents(vendor: str, col: str) -> str:
    # SQLite keeps DecimalField values as REAL: 12.3 * 100 is 1230.0000000000002, hence the ROUND.
    if vendor == "sqlite":
        return f"CAST(ROUND({col} * 100) AS INTEGER)"
    return f"({col} * 100)::bigint"


def _native(vendor: str) -> bool:
    return vendor in ("sqlite", "postgresql")


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch, exactly (no float on the way)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    from datetime import timedelta

    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))


@dataclass(frozen=True)
class OrderColumns:
    """Every order (paid or refunded, with or without a group), sorted by id."""

    id: np.ndarray  # int64
    member: np.ndarray  # int64
    group: np.ndarray  # int64, -1 when the order has no group
    ts: np.ndarray  # int64 µs since the epoch
    cents: np.ndarray  # int64
    paid: np.ndarray  # bool

    @classmethod
    def empty(cls) -> "OrderColumns":
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z, np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True)
class MembershipColumns:
    """Memberships that put a member in a group (invited ones do not: the member has not joined yet)."""

    group: np.ndarray  # int64
    member: np.ndarray  # int64
    joined: np.ndarray  # int64 µs; NEVER_BEFORE when unknown (in the group since before any data)
    left: np.ndarray  # int64 µs; NEVER_AFTER while still in the group


def _fetch_matrix(cursor, sql: str, params: list, ncols: int) -> np.ndarray:
    cursor.execute(sql, params)
    # fetchmany keeps the peak of Python tuples bounded for a million rows.
    chunks = []
    while True:
        rows = cursor.fetchmany(200_000)
        if not rows:
            break
        chunks.append(np.array(rows, dtype=np.int64).reshape(-1, ncols))
    if not chunks:
        return np.zeros((0, ncols), dtype=np.int64)
    return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]


def order_columns(*, using: str = "default", updated_since: datetime | None = None) -> OrderColumns:
    """All orders, or those with `updated_at >= updated_since`, as columns sorted by id."""
    connection = connections[using]
    vendor = connection.vendor
    if not _native(vendor):
        return _order_columns_orm(using=using, updated_since=updated_since)
    sql = (
        f"SELECT id, member_id, COALESCE(group_id, -1), {_epoch_us(vendor, 'placed_at')}, "
        f"{_cents(vendor, 'amount')}, CASE WHEN status = %s THEN 1 ELSE 0 END FROM {ORDERS}"
    )
    params: list = [Order.Status.PAID.value]
    if updated_since is not None:
        # No ORDER BY here: it would make SQLite walk the primary key instead of an updated_at index.
        sql += " WHERE updated_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(updated_since))
    else:
        sql += " ORDER BY id"
    with connection.cursor() as cursor:
        matrix = _fetch_matrix(cursor, sql, params, 6)
    if updated_since is not None and len(matrix):
        matrix = matrix[np.argsort(matrix[:, 0], kind="stable")]
    return OrderColumns(
        id=np.ascontiguousarray(matrix[:, 0]),
        member=np.ascontiguousarray(matrix[:, 1]),
        group=np.ascontiguousarray(matrix[:, 2]),
        ts=np.ascontiguousarray(matrix[:, 3]),
        cents=np.ascontiguousarray(matrix[:, 4]),
        paid=matrix[:, 5].astype(bool),
    )


def _order_columns_orm(*, using: str, updated_since: datetime | None) -> OrderColumns:
    qs = Order.objects.using(using).order_by("id")
    if updated_since is not None:
        qs = qs.filter(updated_at__gte=updated_since)
    rows = list(qs.values_list("id", "member_id", "group_id", "placed_at", "amount", "status"))
    if not rows:
        return OrderColumns.empty()
    return OrderColumns(
        id=np.array([r[0] for r in rows], dtype=np.int64),
        member=np.array([r[1] for r in rows], dtype=np.int64),
        group=np.array([-1 if r[2] is None else r[2] for r in rows], dtype=np.int64),
        ts=np.array([to_us(r[3]) for r in rows], dtype=np.int64),
        cents=np.array([int(r[4] * 100) for r in rows], dtype=np.int64),
        paid=np.array([r[5] == Order.Status.PAID for r in rows], dtype=bool),
    )


def membership_columns(*, using: str = "default") -> MembershipColumns:
    connection = connections[using]
    vendor = connection.vendor
    if not _native(vendor):
        rows = [
            (
                g,
                m,
                NEVER_BEFORE if j is None else to_us(j),
                NEVER_AFTER if left is None else to_us(left),
            )
            for g, m, j, left in Membership.objects.using(using)
            .exclude(status=Membership.Status.INVITED)
            .values_list("group_id", "member_id", "joined_at", "left_at")
        ]
        matrix = np.array(rows, dtype=np.int64).reshape(-1, 4)
    else:
        sql = (
            f"SELECT group_id, member_id, COALESCE({_epoch_us(vendor, 'joined_at')}, {NEVER_BEFORE}), "
            f"COALESCE({_epoch_us(vendor, 'left_at')}, {NEVER_AFTER}) FROM {MEMBERSHIPS} WHERE status <> %s"
        )
        with connection.cursor() as cursor:
            matrix = _fetch_matrix(cursor, sql, [Membership.Status.INVITED.value], 4)
    return MembershipColumns(*(np.ascontiguousarray(matrix[:, i]) for i in range(4)))


def group_rows(*, using: str = "default") -> list[tuple[int, str, str, int]]:
    """(id, code, name, capacity) of every group, by code."""
    return list(Group.objects.using(using).order_by("code").values_list("id", "code", "name", "capacity"))


# --- change detection -------------------------------------------------------------------------------


def source_token(*, using: str = "default", recent_since: datetime | None = None) -> tuple:
    """A cheap fingerprint of the source tables; the store refreshes when it changes.

    Orders: count, highest id and latest `updated_at` (every writer, the bulk importer included, stamps
    it), plus the count and the sum of the `updated_at` seconds of the rows stamped at or after
    `recent_since` (the store's watermark minus its margin). The latter catches a transaction that
    stamped its rows before another one's but committed after it: its rows change neither the count nor
    the latest stamp, but they do move into the recent window.
    Memberships have no `updated_at`, so their fingerprint is a weighted checksum over the columns that
    matter (group, member, status, joined and left instants): a leave, a rejoin or a corrected date
    changes it.
    """
    connection = connections[using]
    vendor = connection.vendor
    with connection.cursor() as cursor:
        bound = None if recent_since is None else connection.ops.adapt_datetimefield_value(recent_since)
        epoch = _epoch_s(vendor, "updated_at") if _native(vendor) else "0"
        if _updated_at_indexed(using):
            # With an index on updated_at each part is an index lookup or a range over the recent rows only;
            # folded into one statement they would scan the whole index.
            # (SQLite answers a lone MAX() from an index, but scans when it shares the SELECT with COUNT.)
            values = []
            for aggregate in ("COUNT(*)", "MAX(id)", "MAX(updated_at)"):
                cursor.execute(f"SELECT {aggregate} FROM {ORDERS}", [])
                values.append(cursor.fetchone()[0])
            count, max_id, max_updated = values
            recent = recent_sum = 0
            if bound is not None:
                cursor.execute(f"SELECT COUNT(*), SUM({epoch}) FROM {ORDERS} WHERE updated_at >= %s", [bound])
                recent, recent_sum = cursor.fetchone()
            row = (count, max_id, max_updated, recent, recent_sum)
        elif bound is None:
            cursor.execute(f"SELECT COUNT(*), MAX(id), MAX(updated_at), 0, 0 FROM {ORDERS}", [])
            row = cursor.fetchone()
        else:
            # Without the index, one scan for everything.
            cursor.execute(
                f"SELECT COUNT(*), MAX(id), MAX(updated_at), SUM(CASE WHEN updated_at >= %s THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN updated_at >= %s THEN {epoch} ELSE 0 END) FROM {ORDERS}",
                [bound, bound],
            )
            row = cursor.fetchone()
        count, max_id, max_updated, recent, recent_sum = row
        if isinstance(max_updated, datetime):
            max_updated = max_updated.isoformat()
        # Plain ints and strings only: the token is stored in the snapshot file with repr().
        orders = (
            int(count),
            None if max_id is None else int(max_id),
            None if max_updated is None else str(max_updated),
            int(recent or 0),
            int(recent_sum or 0),
        )
        if _native(vendor):
            mod = "(id %% 101)" if vendor == "sqlite" else "mod(id, 101)"
            cursor.execute(
                f"SELECT COUNT(*), MAX(id), SUM(({mod} + 1) * (member_id + group_id * 7919"
                f" + CASE WHEN status = %s THEN 104729 ELSE 0 END"
                f" + COALESCE({_epoch_s(vendor, 'joined_at')}, 1) + 3 * COALESCE({_epoch_s(vendor, 'left_at')}, 1)))"
                f" FROM {MEMBERSHIPS}",
                [Membership.Status.INVITED.value],
            )
            memberships = tuple(int(v) if v is not None else None for v in cursor.fetchone())
        else:
            memberships = (
                hash(
                    tuple(
                        Membership.objects.using(using)
                        .order_by("id")
                        .values_list("id", "group_id", "member_id", "status", "joined_at", "left_at")
                    )
                ),
            )
    return (orders, memberships)


_indexed: dict[tuple, bool] = {}


def _updated_at_indexed(using: str) -> bool:
    """Whether an index starts with orders.updated_at (asked once per database and process)."""
    connection = connections[using]
    key = (using, str(connection.settings_dict.get("NAME")))
    if key not in _indexed:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, ORDERS)
        _indexed[key] = any(
            c.get("index") and (c.get("columns") or [None])[0] == "updated_at" for c in constraints.values()
        )
    return _indexed[key]


def token_watermark(token: tuple) -> datetime | None:
    """The latest `updated_at` of the orders in a token, as an aware datetime."""
    raw = token[0][2]
    if raw is None:
        return None
    value = parse_datetime(raw)
    if value is None:
        raise ValueError(f"unreadable updated_at {raw!r}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def token_order_count(token: tuple) -> tuple[int, int | None]:
    return int(token[0][0]), (None if token[0][1] is None else int(token[0][1]))


# A file changed this recently may change again within the file system's timestamp granularity without
# its mtime moving, so it is not trusted as "unchanged".
_MTIME_TRUST_SECONDS = 2.0


def source_marker(*, using: str = "default"):
    """Something that changes whenever any transaction commits a write to the database, read in well
    under a millisecond; None when there is no such thing (then the token is read every time).

    SQLite: the database and WAL files' size and mtime. PostgreSQL: `pg_current_snapshot()`, which is the
    same only if no transaction that wrote anything has finished or begun in between. Inside a
    transaction our own uncommitted writes move neither, so there is no marker there.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        return None
    vendor = connection.vendor
    if vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if not name or name == ":memory:" or "mode=memory" in name or connection.is_in_memory_db():
            return None
        parts = []
        now = time.time()
        for path in (name, name + "-wal"):
            try:
                st = os.stat(path)
            except FileNotFoundError:
                parts.append(None)
                continue
            if st.st_size == 0 and path.endswith("-wal"):
                # An empty WAL holds nothing: every open connection creates one and the last to close
                # removes it, so its presence alone must not look like a change.
                parts.append(None)
                continue
            if now - st.st_mtime < _MTIME_TRUST_SECONDS:
                return None
            parts.append((st.st_size, st.st_mtime_ns, st.st_ino))
        return ("sqlite", tuple(parts))
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_snapshot()::text", [])
            return ("postgresql", cursor.fetchone()[0])
    return None
