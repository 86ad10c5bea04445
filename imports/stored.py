"""Reading what is stored, to compare a file with it: raw SQL into numpy/pandas, no model instances.

Why raw: 100k members and their memberships load in a fraction of a second this way; the ORM spends ~60 µs a
value preparing a 5,000-value IN list, and a converter per value on the way back. Datetimes come back as
stored text on SQLite (`as_text`) and are parsed column-wise (`utc64`); money comes back as float (SQLite)
or Decimal (PostgreSQL), exact once rounded to cents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db import connection

from .writing import in_batches, quote


def select_in(select: str, column: str, keys: list) -> list[tuple]:
    """Raw `SELECT … WHERE column IN (…)` in batches small enough for every database."""
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for batch in in_batches(keys):
            cursor.execute(f"{select} WHERE {column} IN ({', '.join(['%s'] * len(batch))})", list(batch))
            rows.extend(cursor.fetchall())
    return rows


def as_text(column: str) -> str:
    """A datetime column as its stored text on SQLite (parsed column-wise later), as it is elsewhere."""
    return f"CAST({column} AS TEXT)" if connection.vendor == "sqlite" else column


def query_frame(sql: str, columns: list[str], params: list | None = None) -> pd.DataFrame:
    """The rows of a raw query as a DataFrame of object columns."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame({c: np.array(v, dtype=object) for c, v in zip(columns, values, strict=True)})


def fetch_columns(model, columns: list[str], where: str = "") -> pd.DataFrame:
    """Columns of every row of `model`'s table (datetimes as stored text on SQLite)."""
    fields = {f.column: f for f in model._meta.concrete_fields}

    def expression(name: str) -> str:
        if fields[name].get_internal_type() == "DateTimeField":
            return as_text(quote(name))
        return quote(name)

    sql = f"SELECT {', '.join(expression(c) for c in columns)} FROM {quote(model._meta.db_table)}"
    return query_frame(sql + (f" WHERE {where}" if where else ""), columns)


def utc64(values) -> np.ndarray:
    """Stored aware datetimes (text on SQLite, datetimes on PostgreSQL) as UTC datetime64[us], NaT for None."""
    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return parsed.dt.tz_localize(None).to_numpy().astype("datetime64[us]")


def utc_naive(moment) -> np.datetime64:
    """An aware datetime as UTC datetime64[us], to compare with parsed file values."""
    return np.datetime64(pd.Timestamp(moment).tz_convert("UTC").tz_localize(None), "us")


def same_times(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnat(a) & np.isnat(b))


def cents(values) -> np.ndarray:
    """Stored money (float on SQLite, Decimal on PostgreSQL; at most two places) as exact integer cents."""
    return np.array([round(value * 100) for value in values], dtype=np.int64)
