"""Writing checked rows: bulk SQL in one transaction, no model instances (a million orders in seconds).

Checked rows wait in a temporary file (`Spill`) between checking and writing, so memory stays flat; on
SQLite a large load runs with a big page cache and, when it at least doubles a table, rebuilds the table's
indexes once at the end instead of a random index insert per row (`sqlite_bulk_load`).
"""

from __future__ import annotations

import datetime as dt
import pickle
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from django.db import connection

from .report import ImportReport


def db_datetimes(values: np.ndarray) -> list:
    """UTC datetime64 values as the database's own text for them (None for NaT), for raw bulk SQL.

    SQLite stores Django datetimes as text and compares them as text, so the format must be exactly
    Django's ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC); PostgreSQL gets the same with an explicit +00:00.
    """
    values = values.astype("datetime64[us]")
    missing = np.isnat(values)
    seconds = values.astype("datetime64[s]")
    text = np.datetime_as_string(seconds, unit="s")
    fraction = (values - seconds).astype(np.int64)
    if (fraction[~missing] != 0).any():
        text = np.where(fraction != 0, np.datetime_as_string(values, unit="us"), text)
    text = np.ascontiguousarray(text)
    if len(text) and text.dtype.itemsize >= 11 * 4:
        # 'YYYY-MM-DDTHH:MM:SS' -> 'YYYY-MM-DD HH:MM:SS' in place: a str array is fixed-width UCS-4.
        codes = text.view(np.uint32).reshape(len(text), -1)
        codes[:, 10] = np.where(codes[:, 10] == ord("T"), ord(" "), codes[:, 10])
    strings = text.tolist()
    if connection.vendor != "sqlite":
        strings = [s + "+00:00" for s in strings]
    if missing.any():
        strings = [None if m else s for s, m in zip(strings, missing.tolist(), strict=True)]
    return strings


def db_datetime(value: dt.datetime):
    """One aware datetime as a raw-SQL parameter (what Django itself would send)."""
    return connection.ops.adapt_datetimefield_value(value)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


class Spill:
    """Checked rows parked in a temporary file between checking and writing, so memory stays flat.

    Each `add()` pickles one batch (numpy arrays: a few MB for 50k rows); iterating reads them back in order.
    """

    def __enter__(self) -> Spill:
        self.file = tempfile.TemporaryFile(prefix="communityops-import-")
        self.rows = 0
        self.batches = 0
        return self

    def add(self, batch) -> None:
        pickle.dump(batch, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.rows += len(batch)
        self.batches += 1

    def __iter__(self) -> Iterator:
        self.file.seek(0)
        for _batch in range(self.batches):
            yield pickle.load(self.file)  # our own temporary file

    def __exit__(self, *exc_info) -> None:
        self.file.close()


# SQLite's page cache during a bulk load (KiB). The default 2 MB makes every index insert of a million-row
# load miss the cache; 128 MB keeps the indexes being built in memory (measured: 60 s -> 20 s of CPU).
SQLITE_BULK_CACHE_KIB = 128 * 1024


@contextmanager
def sqlite_bulk_load(model, *, drop_indexes: bool) -> Iterator[None]:
    """Inside a transaction, make a large load into `model`'s table fast on SQLite (nothing elsewhere).

    A big page cache and sorter threads for the duration; with `drop_indexes`, the table's secondary
    indexes are dropped first and created again, from the exact SQL SQLite kept for them, at the end:
    one sort per index instead of a random insert per row and index. The transaction makes it atomic.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous_cache = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
        cursor.execute("PRAGMA threads = 2")
        indexes = []
        if drop_indexes:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [model._meta.db_table],
            )
            indexes = cursor.fetchall()
            for index_name, _sql in indexes:
                cursor.execute(f"DROP INDEX {quote(index_name)}")
    try:
        yield
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous_cache)}")
            cursor.execute("PRAGMA threads = 0")


def default_value(field, now):
    """The value a raw INSERT gives a column it does not set: the field's default (now for auto_now)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return db_datetime(now)
    return field.get_db_prep_save(field.get_default(), connection)


# Rows per INSERT statement: one statement per row costs SQLite a statement's overhead (and an
# AUTOINCREMENT bookkeeping write) each time; 2,000 parameters a statement stays far below every limit.
INSERT_PARAMETERS = 2_000


def insert_rows(model, columns: dict[str, Sequence | object], *, now) -> None:
    """Bulk INSERT: `columns` maps column names to equally long lists of values (or one value for all rows);
    every other concrete column of the model gets its default.

    Raw multi-row INSERTs through executemany, no model instances: a million orders in ~6 s of CPU.
    """
    lengths = {len(v) for v in columns.values() if isinstance(v, (list, tuple, np.ndarray))}
    count = lengths.pop() if lengths else 0
    if not count:
        return
    others = [f for f in model._meta.concrete_fields if not f.primary_key and f.column not in columns]
    values = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v] * count for v in columns.values()] + [
        [default_value(f, now)] * count for f in others
    ]
    names = [*columns, *(f.column for f in others)]
    width = len(names)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in names)}) VALUES "
    one = f"({', '.join(['%s'] * width)})"

    def flat(start: int, stop: int) -> list:
        # Interleave the columns with slice assignments (C loops), not a tuple per row.
        out = [None] * ((stop - start) * width)
        for position, column in enumerate(values):
            out[position::width] = column[start:stop]
        return out

    per_statement = max(1, INSERT_PARAMETERS // width)
    full = count - count % per_statement
    with connection.cursor() as cursor:
        if full:
            sql = head + ", ".join([one] * per_statement)
            cursor.executemany(sql, [flat(start, start + per_statement) for start in range(0, full, per_statement)])
        if full < count:
            cursor.execute(head + ", ".join([one] * (count - full)), flat(full, count))


def update_rows(model, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Bulk UPDATE by primary key: each row is (values for `columns`..., pk)."""
    if not rows:
        return
    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def in_batches(values: Sequence, size: int = 5_000) -> Iterator[Sequence]:
    """Slices small enough for an `IN (…)` list on every database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Creating at least this many rows (and at least as many as the table holds) rebuilds the table's indexes
# once instead of updating them row by row (SQLite only; below it the difference does not matter).
BULK_LOAD_MIN_ROWS = 50_000


def bulk_load(model, new_rows: int):
    """sqlite_bulk_load for a table receiving `new_rows`: rebuild its indexes when that at least doubles it."""
    return sqlite_bulk_load(model, drop_indexes=new_rows >= max(model.objects.count(), BULK_LOAD_MIN_ROWS))


def add_counts(report: ImportReport, is_new: np.ndarray, changed: np.ndarray) -> None:
    """Add one batch's counts to the report (importers that plan and write a batch at a time)."""
    created, updated = int(is_new.sum()), int(changed.sum())
    report.created += created
    report.updated += updated
    report.unchanged += len(is_new) - created - updated


def new_rows(model, batches, valid: int, stored_keys) -> int:
    """How many of `valid` rows coming in `batches` are new: what bulk_load decides by. Counted (one key
    lookup a batch: `stored_keys(rows)` is how many of them are stored) only when the file could at least
    double the table."""
    stored = model.objects.count()
    if not stored:
        return valid
    if valid < max(stored, BULK_LOAD_MIN_ROWS):
        return 0  # too few to matter either way
    return sum(len(rows) - stored_keys(rows) for rows in batches())


def valid_batches(spill: Spill, bad: np.ndarray):
    """A function giving the valid rows of a spill of checked chunks (`bad`: per row, in file order), a chunk
    at a time, each call a fresh pass."""

    def batches():
        offset = 0
        for frame in spill:
            part = frame[~bad[offset : offset + len(frame)]]
            offset += len(frame)
            if len(part):
                yield part

    return batches
