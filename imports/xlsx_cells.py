"""XLSX cell values as text, the way a person would have typed them: strings, numbers, dates, number formats.

The vectorised conversions (`number_texts`, `date_texts`) turn a whole piece of a sheet at once; they give the
same text as `table.cell_text` of the value python-calamine gave (13800138000.0 -> "13800138000", a whole
date -> "2026-03-05", a time of day -> "14:30:00", else "2026-03-05 14:30:00[.ffffff]"); the tests compare
them with python-calamine on the same workbooks.
"""

from __future__ import annotations

import re

import numpy as np
from django.utils.translation import gettext as _

from .limits import refuse

_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_XSTRING = re.compile(r"_x([0-9A-Fa-f]{4})_")
_TEXT_RUN = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_EPOCH = np.datetime64("1899-12-30T00:00:00", "ms")
_MS_A_DAY = 86_400_000


def unreadable(reason) -> Exception:
    return refuse(1, "", _("the file is not a readable XLSX workbook (%s)") % reason)


def column_letters(index: int) -> str:
    """0 -> "A", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def decode_text(raw: bytes) -> str:
    """XML text as a string: character references and the `_xHHHH_` escapes of OOXML decoded."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise unreadable(exc) from None
    return unescape(text) if "&" in text or "_x" in text else text


def unescape(text: str) -> str:
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        text = _XSTRING.sub(lambda match: chr(int(match.group(1), 16)), text)
    return text


def decode_texts(raws: list[bytes]) -> list[str]:
    """Many XML texts at once: one decode of their join (XML text never holds a NUL to join them with)."""
    if not raws:
        return []
    try:
        joined = b"\x00".join(raws).decode("utf-8")
    except UnicodeDecodeError:
        return [decode_text(raw) for raw in raws]
    texts = joined.split("\x00")
    if len(texts) != len(raws):  # a NUL after all (damaged XML): one at a time
        return [decode_text(raw) for raw in raws]
    if "&" in joined or "_x" in joined:
        texts = [unescape(text) if "&" in text or "_x" in text else text for text in texts]
    return texts


def _entity(match: re.Match) -> str:
    name = match.group(1)
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        return chr(code) if code < 0x110000 else match.group(0)
    return _ENTITIES[name]


def inline_text(body: bytes) -> str:
    """The text of a rich or plain string (the inside of <is> or <si>): its runs, without phonetic guides."""
    if body[:3] == b"<t>" and body.count(b"<") == 2:
        return decode_text(body[3 : body.index(b"<", 3)])
    if b"rPh" in body:
        body = _PHONETIC.sub(b"", body)
    return "".join(decode_text(run) for run in _TEXT_RUN.findall(body))


def number_texts(raws: list[bytes], *, where) -> list[str]:
    """Numeric cells as text: whole numbers without ".0" (a phone typed as a number), others as cell_text.
    `where(i)` is the (line, column) of the i-th, for a refusal."""
    try:
        values = np.array(raws, dtype=np.bytes_).astype(np.float64)
    except ValueError:
        for position, raw in enumerate(raws):
            try:
                float(raw)
            except ValueError:
                raise refuse(*where(position), _("the cell is not a number: %s") % decode_text(raw)) from None
        raise
    texts = np.empty(len(values), dtype=object)
    whole = (values == np.floor(values)) & (np.abs(values) < 1e15)
    texts[whole] = values[whole].astype(np.int64).astype(np.str_).astype(object)
    # Others as cell_text writes them: float noise from a formula rounded away (0.30000000000000004 -> 0.3).
    rest = np.flatnonzero(~whole)
    rounded = np.round(values[rest], 6)
    noise = np.abs(values[rest] - rounded) < 1e-9
    fixed = np.strings.rstrip(np.strings.rstrip(np.char.mod("%f", rounded[noise]).astype(np.str_), "0"), ".")
    texts[rest[noise]] = fixed.astype(object)
    texts[rest[~noise]] = [repr(value) for value in values[rest[~noise]].tolist()]
    return texts.tolist()


def date_texts(raws: list[bytes], date1904: bool) -> list[str]:
    """Date-formatted numeric cells as text: a time below 1, a date when whole, else a date and time (to the
    millisecond, as Excel keeps them); with the 1904 date system and Excel's 29 February 1900."""
    serials = np.array(raws, dtype=np.bytes_).astype(np.float64)
    days = serials + 1462 if date1904 else serials.copy()
    days[days < 60] += 1  # the days before Excel's 29 February 1900 are one off
    with np.errstate(invalid="ignore", over="ignore"):
        moments = _EPOCH + np.round(days * _MS_A_DAY).astype("timedelta64[ms]")
    texts = np.empty(len(serials), dtype=object)
    times = serials < 1
    dates = (serials == np.floor(serials)) & ~times
    texts[dates] = np.datetime_as_string(moments[dates], unit="D").astype(object)
    rest = ~dates
    whole_second = rest & (moments == moments.astype("datetime64[s]"))
    fraction = rest & ~whole_second
    texts[whole_second] = np.datetime_as_string(moments[whole_second], unit="s").astype(object)
    texts[fraction] = np.datetime_as_string(moments[fraction].astype("datetime64[us]"), unit="us").astype(object)
    for text_mask, start in ((times & whole_second, 11), (times & fraction, 11)):
        texts[text_mask] = [text[start:] for text in texts[text_mask].tolist()]
    others = rest & ~times
    texts[others] = [text.replace("T", " ") for text in texts[others].tolist()]
    return texts.tolist()


def is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date or a time: a d, m, y, h or s outside quotes, escapes and
    [colour] brackets, in its first section; [h], [mm], [ss] durations too (as calamine and openpyxl decide)."""
    escaped = quoted = False
    brackets = 0
    previous, hms, am_pm = " ", False, False
    for char in code:
        if escaped:
            escaped = False
        elif char in "_\\":
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == ";":
            return False
        elif char == "[":
            brackets += 1
        elif char == "]" and brackets == 1 and hms:
            return True
        elif char == "]":
            brackets = max(brackets - 1, 0)
        elif char in "aA" and not am_pm and brackets == 0:
            am_pm = True
        elif char in "pmM/P" and am_pm and brackets == 0:
            return True
        elif char in "dmhysDMHYS" and not am_pm and brackets == 0:
            return True
        elif not (hms and char.lower() == previous.lower()):
            hms = previous == "[" and char in "mhsMHS"
        previous = char
    return False
