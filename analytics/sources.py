"""Reads of the source tables (orders, memberships, groups) for the fact store, as numpy columns.

Raw SQL on purpose: building the store reads a million orders, and going through model instances or
`values()` with per-row datetime parsing costs seconds. Times come back as integer microseconds since the
Unix epoch (UTC) and money as integer cents, computed by the database so nothing is lost on the way:
PostgreSQL's `EXTRACT(EPOCH ...)` is exact (numeric); SQLite stores text and is parsed below to the
microsecond. Any other database goes through the ORM (slower, same result).

The store reads whole tables only when it has no usable snapshot or when much changed at once; otherwise it
reads just the rows the change log names (`ids=`), so a refund costs one indexed look-up, not a scan.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.db import connections

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
    """Memberships that put a member in a group (invited ones do not: the member has not joined yet),
    sorted by id."""

    id: np.ndarray  # int64
    group: np.ndarray  # int64
    member: np.ndarray  # int64
    joined: np.ndarray  # int64 µs; NEVER_BEFORE when unknown (in the group since before any data)
    left: np.ndarray  # int64 µs; NEVER_AFTER while still in the group

    @classmethod
    def empty(cls) -> "MembershipColumns":
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, z, z)

    def __len__(self) -> int:
        return len(self.id)


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


def _ids_clause(vendor: str, ids: np.ndarray | None) -> tuple[str, list]:
    """The WHERE condition for "only these ids": one parameter however many there are."""
    if ids is None:
        return "", []
    if vendor == "sqlite":
        return " AND id IN (SELECT value FROM json_each(%s))", [json.dumps(ids.tolist())]
    return " AND id = ANY(%s::bigint[])", [ids.tolist()]


def order_columns(*, using: str = "default", ids: np.ndarray | None = None) -> OrderColumns:
    """All orders, or those with the given ids that still exist, as columns sorted by id."""
    connection = connections[using]
    vendor = connection.vendor
    if not _native(vendor):
        return _order_columns_orm(using=using, ids=ids)
    where, params = _ids_clause(vendor, ids)
    sql = (
        f"SELECT id, member_id, COALESCE(group_id, -1), {_epoch_us(vendor, 'placed_at')}, "
        f"{_cents(vendor, 'amount')}, CASE WHEN status = %s THEN 1 ELSE 0 END FROM {ORDERS}"
        f" WHERE TRUE{where} ORDER BY id"
    )
    with connection.cursor() as cursor:
        matrix = _fetch_matrix(cursor, sql, [Order.Status.PAID.value, *params], 6)
    return OrderColumns(
        id=np.ascontiguousarray(matrix[:, 0]),
        member=np.ascontiguousarray(matrix[:, 1]),
        group=np.ascontiguousarray(matrix[:, 2]),
        ts=np.ascontiguousarray(matrix[:, 3]),
        cents=np.ascontiguousarray(matrix[:, 4]),
        paid=matrix[:, 5].astype(bool),
    )


def _by_ids(qs, ids: np.ndarray | None) -> list:
    if ids is None:
        return [qs]
    return [qs.filter(id__in=ids[i : i + 500].tolist()) for i in range(0, len(ids), 500)]


def _order_columns_orm(*, using: str, ids: np.ndarray | None) -> OrderColumns:
    fields = ("id", "member_id", "group_id", "placed_at", "amount", "status")
    rows = [r for qs in _by_ids(Order.objects.using(using).order_by("id"), ids) for r in qs.values_list(*fields)]
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


def membership_columns(*, using: str = "default", ids: np.ndarray | None = None) -> MembershipColumns:
    """Memberships that put a member in a group (all, or those with the given ids), sorted by id. A
    membership that is (again) only an invitation is not returned: for the store it does not exist."""
    connection = connections[using]
    vendor = connection.vendor
    if not _native(vendor):
        qs = Membership.objects.using(using).exclude(status=Membership.Status.INVITED).order_by("id")
        rows = [
            (
                i,
                g,
                m,
                NEVER_BEFORE if j is None else to_us(j),
                NEVER_AFTER if left is None else to_us(left),
            )
            for part in _by_ids(qs, ids)
            for i, g, m, j, left in part.values_list("id", "group_id", "member_id", "joined_at", "left_at")
        ]
        matrix = np.array(rows, dtype=np.int64).reshape(-1, 5)
    else:
        where, params = _ids_clause(vendor, ids)
        sql = (
            f"SELECT id, group_id, member_id, COALESCE({_epoch_us(vendor, 'joined_at')}, {NEVER_BEFORE}), "
            f"COALESCE({_epoch_us(vendor, 'left_at')}, {NEVER_AFTER}) FROM {MEMBERSHIPS} WHERE status <> %s{where}"
            " ORDER BY id"
        )
        with connection.cursor() as cursor:
            matrix = _fetch_matrix(cursor, sql, [Membership.Status.INVITED.value, *params], 5)
    return MembershipColumns(*(np.ascontiguousarray(matrix[:, i]) for i in range(5)))


def group_rows(*, using: str = "default") -> list[tuple[int, str, str, int]]:
    """(id, code, name, capacity) of every group, by code."""
    return list(Group.objects.using(using).order_by("code").values_list("id", "code", "name", "capacity"))
