"""What the groups and members importers share: stored rows to compare a file with, field lengths."""

from __future__ import annotations

import pandas as pd

from imports.stored import as_text, select_in
from imports.writing import quote


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def stored_rows(model, key: str, keys: list[str], fields: list[str]) -> pd.DataFrame:
    """Stored rows of `model` whose `key` is in `keys`: the key as index, `fields` (column names) as columns.

    'referred_by__external_id' names the referrer's external_id. Datetimes may come back as text (SQLite)
    and money as float (SQLite) or Decimal: compare them through utc64 and a 2-decimal format.
    """
    table = quote(model._meta.db_table)
    columns = []
    for name in fields:
        if name == "referred_by__external_id":
            columns.append(f"r.{quote('external_id')}")
        elif model._meta.get_field(name).get_internal_type() == "DateTimeField":
            columns.append(as_text(f"t.{quote(name)}"))
        else:
            columns.append(f"t.{quote(name)}")
    join = (
        f" LEFT JOIN {table} r ON r.{quote('id')} = t.{quote('referred_by_id')}"
        if "referred_by__external_id" in fields
        else ""
    )
    select = f"SELECT t.{quote(key)}, {', '.join(columns)} FROM {table} t{join}"
    if not model.objects.exists():
        rows = []
    else:
        rows = select_in(select, f"t.{quote(key)}", keys)
    return pd.DataFrame(rows, columns=[key, *fields], dtype=object).set_index(key)
