"""The text encoding of a CSV file: detected with certainty from the whole file, or the file is refused.

What Excel and the shops write: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode text"),
and GB18030/GBK (Excel's "CSV" on a Chinese Windows). The rule:

- a BOM names the encoding, and the whole file must decode in it;
- otherwise the whole file must decode strictly as UTF-8, or else strictly as GB18030;
- a file that is not valid UTF-8 but mostly looks like it (more well-formed multi-byte UTF-8 characters
  than invalid bytes) is UTF-8 with damage, not GB18030: GB18030 accepts almost any byte pairs and would
  turn it into other characters without complaint;
- anything else is refused, naming the line and byte offset of the first invalid sequence.

Nothing is guessed: a guessed encoding (charset-normalizer, before) stored 张三 as mojibake, valid rows
included, and reported "0 invalid". There is no replacement character and no "best effort" decoding.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .limits import refuse

Blocks = Callable[[], Iterator[bytes]]  # a fresh pass over the file's bytes, in blocks

_SURROGATES = re.compile("[\udc80-\udcff]")  # invalid bytes, as errors="surrogateescape" shows them


@dataclass(frozen=True)
class Encoding:
    codec: str  # the Python codec that decodes the file
    label: str  # what the import page shows
    newlines: int  # newline characters in the file: a cheap row count for progress


@dataclass(frozen=True)
class _Invalid:
    offset: int  # bytes from the start of the file
    line: int
    sequence: bytes


def detect_encoding(blocks: Blocks) -> Encoding:
    """The encoding of the whole file (see the module's rule); ImportFileError when it has none for certain."""
    head = next(blocks(), b"")
    if head.startswith(codecs.BOM_UTF8):
        return _require(blocks, "utf-8-sig", "UTF-8 (BOM)", "UTF-8")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _require(blocks, "utf-16", "UTF-16", "UTF-16")
    invalid, newlines = _first_invalid(blocks, "utf-8")
    if invalid is None:
        return Encoding("utf-8", "UTF-8", newlines)
    well_formed, damaged = _utf8_evidence(blocks)
    if well_formed >= damaged:
        raise _refusal(invalid, "UTF-8")
    invalid_gb, newlines = _first_invalid(blocks, "gb18030")
    if invalid_gb is None:
        return Encoding("gb18030", "GB18030", newlines)
    raise _refusal(invalid_gb, "GB18030")


def utf8_blocks(blocks: Blocks, codec: str) -> Iterator[bytes]:
    """The file's text as UTF-8 bytes (without a BOM), in blocks: what the CSV parser reads."""
    if codec in ("utf-8", "utf-8-sig"):
        first = True
        for block in blocks():
            if first and codec == "utf-8-sig":
                block = block[len(codecs.BOM_UTF8) :]
            first = False
            yield block  # already checked to be valid UTF-8
        return
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    for block in blocks():
        if text := decoder.decode(block):
            yield text.encode("utf-8")
    if text := decoder.decode(b"", final=True):
        yield text.encode("utf-8")


def _require(blocks: Blocks, codec: str, label: str, name: str) -> Encoding:
    invalid, newlines = _first_invalid(blocks, codec)
    if invalid is not None:
        raise _refusal(invalid, name)
    return Encoding(codec, label, newlines)


def _first_invalid(blocks: Blocks, codec: str) -> tuple[_Invalid | None, int]:
    """Decode the whole file strictly: (where it first fails or None, the number of newlines)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    consumed = newlines = 0
    for block in blocks():
        pending = decoder.getstate()[0]  # the end of the previous block, an unfinished character
        try:
            newlines += decoder.decode(block).count("\n")
        except UnicodeDecodeError as exc:
            return _located(exc, consumed - len(pending), newlines, block[: max(exc.start - len(pending), 0)]), 0
        consumed += len(block)
    pending = decoder.getstate()[0]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:  # the file ends inside a character
        return _located(exc, consumed - len(pending), newlines, b""), 0
    return None, newlines


def _located(exc: UnicodeDecodeError, object_offset: int, newlines: int, before: bytes) -> _Invalid:
    return _Invalid(
        offset=object_offset + exc.start,
        line=1 + newlines + before.count(b"\n"),
        sequence=bytes(exc.object[exc.start : exc.end]),
    )


def _utf8_evidence(blocks: Blocks) -> tuple[int, int]:
    """(well-formed non-ASCII UTF-8 characters, bytes that are not UTF-8) over the whole file."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    well_formed = damaged = 0
    for block in blocks():
        text = decoder.decode(block)
        if text.isascii():
            continue
        bad = len(_SURROGATES.findall(text))
        damaged += bad
        well_formed += len(text) - len(text.encode("ascii", "ignore")) - bad
    return well_formed, damaged


def _refusal(invalid: _Invalid, name: str):
    shown = " ".join(f"0x{byte:02X}" for byte in invalid.sequence[:8])
    return refuse(
        invalid.line,
        "",
        _(
            "the file is not valid %(encoding)s text: the bytes %(bytes)s at byte offset %(offset)s are not a "
            "character (save it again as CSV UTF-8)"
        )
        % {"encoding": name, "bytes": shown, "offset": f"{invalid.offset:,}"},
    )
