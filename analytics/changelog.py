"""Reading the change log the triggers write (`analytics.triggers`): where the store stands, what changed
since, and pruning what every persisted copy has absorbed.

A *position* says which log entries a copy of the data has absorbed; it is read *before* the rows it
describes, so a change committed in between is read twice (harmless: re-reading a row gives its current
state) rather than never.

- SQLite: the highest log id absorbed. Writers are serialised and ids come from AUTOINCREMENT (never reused
  for committed rows), so the entries after a position are exactly those with a higher id.
- PostgreSQL: a snapshot (`pg_current_snapshot()`, as text `xmin:xmax:xip,…`). Sequence values are not in
  commit order — a transaction can take log id 100, another 101 and commit first — so entries are told apart
  by their writing transaction: new since a snapshot are the entries of transactions not visible in it, i.e.
  those that were still running then (its xip list, as far as they have finished since) or had not started
  (xact >= its xmax). Both are index look-ups on `xact`; a long transaction still running is skipped until
  it ends instead of being scanned on every check.

The *floor* of a position is the lowest log key it may not have absorbed (SQLite: id + 1; PostgreSQL: the
snapshot's xmin, below which every transaction had ended). Pruning deletes entries below the floor of the
persisted snapshot and records it in the state row: a process whose floor is lower may have missed deleted
entries, so it reloads the snapshot or rebuilds.

Inside a transaction the connection also sees its own uncommitted entries (which may roll back, and whose
SQLite ids may then be reused): `changes(…, own=…)` reads them too, and the store uses them only for a
throw-away view.
"""

import uuid
from dataclasses import dataclass

import numpy as np
from django.db import transaction

from .triggers import LOG_TABLE, SOURCES, STATE_TABLE

ORDERS = SOURCES["campaigns_order"]
MEMBERSHIPS = SOURCES["members_membership"]


@dataclass(frozen=True)
class Position:
    vendor: str
    value: str  # SQLite: a log id; PostgreSQL: a pg_snapshot as text

    def _snapshot(self) -> tuple[int, int, list[int]]:
        xmin, xmax, xip = self.value.split(":")
        return int(xmin), int(xmax), [int(x) for x in xip.split(",") if x]

    @property
    def floor(self) -> int:
        """Entries with a key below it are absorbed (keys: SQLite log ids, PostgreSQL transaction ids)."""
        return int(self.value) + 1 if self.vendor == "sqlite" else self._snapshot()[0]

    @property
    def head(self) -> int:
        """Entries with a key at or above it had not been written: they are new to this position."""
        return int(self.value) + 1 if self.vendor == "sqlite" else self._snapshot()[1]

    def running(self) -> list[int]:
        return [] if self.vendor == "sqlite" else self._snapshot()[2]

    def key(self) -> tuple[int, int]:
        """Positions of one database grow in this order."""
        return (self.floor, self.head)


@dataclass(frozen=True)
class Head:
    """The log as one statement saw it: its position, the database's instance token and pruning point."""

    position: Position
    instance: str
    pruned_through: int
    own_xact: int | None = None  # PostgreSQL, inside a transaction that wrote: its id


@dataclass(frozen=True)
class Changes:
    orders: np.ndarray  # sorted unique row ids
    memberships: np.ndarray
    everything: bool  # a row-less entry (TRUNCATE, triggers re-installed) or more rows than the limit
    pruned_through: int  # read after the entries: when it passed the position's floor, some may be gone

    @property
    def empty(self) -> bool:
        return not (self.everything or len(self.orders) or len(self.memberships))


def read_head(connection) -> Head:
    """One statement; well under a millisecond (SQLite: the log's largest id is an index look-up)."""
    state = (
        f'(SELECT "instance" FROM "{STATE_TABLE}" WHERE "id" = 1), '
        f'(SELECT "pruned_through" FROM "{STATE_TABLE}" WHERE "id" = 1)'
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # sqlite_sequence keeps the largest id ever handed out, also after the log was pruned empty.
            cursor.execute(
                f'SELECT max(COALESCE((SELECT MAX("id") FROM "{LOG_TABLE}"), 0),'
                f" COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)), {state}",
                [LOG_TABLE],
            )
            top, instance, pruned = cursor.fetchone()
            return Head(Position("sqlite", str(int(top))), instance or "", int(pruned or 0))
        cursor.execute(f"SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text, {state}", [])
        snapshot, own, instance, pruned = cursor.fetchone()
        own_xact = int(own) if own is not None and connection.in_atomic_block else None
        return Head(Position("postgresql", snapshot), instance or "", int(pruned or 0), own_xact)


def same(since: Position, head: Head) -> bool:
    """Nothing can have been logged between the two (PostgreSQL: no transaction with an id began or ended)."""
    return since == head.position and head.own_xact is None


def went_back(since: Position, head: Head) -> bool:
    """The database is behind the position: restored from a backup, recreated, or another cluster."""
    return head.position.head < since.head


def changes(connection, since: Position, head: Head, *, limit: int) -> Changes:
    """The rows logged after `since`, up to `head` (more may come along on PostgreSQL: harmless)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f'SELECT DISTINCT "source", "row_id" FROM "{LOG_TABLE}" WHERE "id" > %s AND "id" <= %s LIMIT %s',
                [int(since.value), int(head.position.value), limit + 1],
            )
        else:
            # Transactions running at `since` that have ended by `head`, and those begun after `since`.
            still = set(head.position.running())
            ended = [x for x in since.running() if x not in still]
            if head.own_xact is not None:
                ended.append(head.own_xact)
            cursor.execute(
                f'SELECT DISTINCT "source", "row_id" FROM "{LOG_TABLE}"'
                ' WHERE "xact" IS NOT NULL AND ("xact" = ANY(%s::bigint[]) OR "xact" >= %s) LIMIT %s',
                [ended, since.head, limit + 1],
            )
        rows = cursor.fetchall()
        cursor.execute(f'SELECT "pruned_through" FROM "{STATE_TABLE}" WHERE "id" = 1', [])
        row = cursor.fetchone()
    pruned = int(row[0]) if row else 0
    if len(rows) > limit or any(row_id is None for _source, row_id in rows):
        empty = np.zeros(0, dtype=np.int64)
        return Changes(empty, empty, True, pruned)
    ids = {ORDERS: [], MEMBERSHIPS: []}
    for source, row_id in rows:
        ids[source].append(row_id)
    as_array = {s: np.unique(np.array(v, dtype=np.int64)) for s, v in ids.items()}
    return Changes(as_array[ORDERS], as_array[MEMBERSHIPS], False, pruned)


def prune(connection, floor: int) -> int:
    """Delete the entries below `floor` (absorbed by the persisted snapshot) and record it; the count deleted."""
    column = '"id"' if connection.vendor == "sqlite" else '"xact"'
    highest = "max" if connection.vendor == "sqlite" else "GREATEST"
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "pruned_through" FROM "{STATE_TABLE}" WHERE "id" = 1', [])
        row = cursor.fetchone()
    if row is not None and int(row[0]) >= floor:
        return 0  # the usual case: nothing absorbed since the last pruning (no write transaction taken)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{LOG_TABLE}" WHERE {column} < %s', [floor])
        deleted = cursor.rowcount
        # Recorded in the same transaction as the delete: a reader sees both or neither.
        cursor.execute(
            f'INSERT INTO "{STATE_TABLE}" ("id", "instance", "pruned_through") VALUES (1, %s, %s)'
            f' ON CONFLICT ("id") DO UPDATE SET "pruned_through" ='
            f' {highest}("{STATE_TABLE}"."pruned_through", excluded."pruned_through")',
            ["", floor],
        )
    return deleted


def new_instance(connection) -> str:
    """Give the database a new instance token: every process's copy, and every snapshot file, stops matching
    it (after restoring a backup, `rebuild_analytics` does this so running processes do not trust their
    positions)."""
    token = uuid.uuid4().hex
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{STATE_TABLE}" ("id", "instance", "pruned_through") VALUES (1, %s, 0)'
            ' ON CONFLICT ("id") DO UPDATE SET "instance" = excluded."instance"',
            [token],
        )
    return token
