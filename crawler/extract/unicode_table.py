"""Per code point of Unicode, which of some patterns match it: one byte of bits, cached by
:mod:`crawler.extract.array_cache` (built once per Python and patterns, about 50 ms; mapped after)."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["CODE_POINTS", "unicode_table"]

CODE_POINTS = 0x110000
# Bumped when the table's layout or meaning changes: an old cache entry is then never read.
_FORMAT = 1


def unicode_table(name: str, patterns: Sequence[tuple[int, re.Pattern[str]]]) -> np.ndarray:
    """A uint8 array over all code points: the bits of the ``(bit, pattern)`` pairs whose pattern matches
    the character (surrogates: none), memory-mapped from the array cache entry ``name``."""
    from crawler.extract.array_cache import cached_arrays

    bits = 0
    for bit, _ in patterns:
        bits |= bit
    # Python's version: its re module and Unicode database decide what each pattern matches.
    key = repr((_FORMAT, sys.version, unicodedata.unidata_version,
                [(bit, pattern.pattern, int(pattern.flags)) for bit, pattern in patterns]))
    table: np.ndarray = cached_arrays(name, key, ("table",), lambda: {"table": _build(patterns)},
                                      lambda arrays: _check(arrays["table"], bits))["table"]
    return table


def _build(patterns: Sequence[tuple[int, re.Pattern[str]]]) -> Any:
    import numpy as np

    codes = np.arange(CODE_POINTS, dtype=np.uint32)
    codes[0xD800:0xE000] = 0x41  # surrogates are no text: "A" stands in for them, then they are cleared
    every = codes.tobytes().decode("utf-32-le")
    table = np.zeros(CODE_POINTS, dtype=np.uint8)
    for bit, pattern in patterns:
        for run in pattern.finditer(every):  # runs of a character class: a few hundred slices, not a million
            table[run.start():run.end()] |= bit
    table[0xD800:0xE000] = 0
    return table


def _check(table: Any, bits: int) -> None:
    """Raise ``ValueError`` unless ``table`` is one byte per code point, with no bit but ``bits``."""
    if table.shape != (CODE_POINTS,) or table.dtype.name != "uint8" or (table & (0xFF & ~bits)).any():
        raise ValueError("Unicode table of the wrong shape or bits")
