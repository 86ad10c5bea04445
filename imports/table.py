"""An open import file (`Table`) and what its readers share: header names, empty rows, typed cells as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Table:
    """An open import file: its header and an iterator over chunks of rows.

    Each chunk is a DataFrame of strings (never NaN) whose index holds the line numbers people see (the
    header is line 1; for XLSX the sheet's own row numbers). Entirely empty rows are dropped (they are not
    data), but line numbers still count them. `chunks(n)` reads the file again from the start, at most n
    rows (and a bounded number of bytes) at a time; a limit passed on the way raises ImportFileError.
    """

    header: list[str]
    rows_estimate: int
    chunks: Callable[[int], Iterator[pd.DataFrame]]
    encoding: str | None = None  # what the page shows: "UTF-8", "GB18030", … (None: not text)
    format: str = "csv"


def normalise_header(names: Iterable) -> list[str]:
    return [str(name).replace("\ufeff", "").strip().lower() for name in names]


def drop_empty_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    empty = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        empty &= (frame[column] == "").to_numpy()
        if not empty.any():
            return frame
    return frame[~empty]


def cell_text(value) -> str:
    """A typed spreadsheet cell as the text a person would have typed into a CSV."""
    if type(value) is float:
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # a phone or an id stored as a number: 13800138000.0 -> 13800138000
        text = repr(value)
        rounded = round(value, 6)
        if abs(value - rounded) < 1e-9:  # 0.30000000000000004 (float noise from a formula) -> 0.3
            text = format(rounded, "f").rstrip("0").rstrip(".")
        return text
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()
