"""Unicode and whitespace normalisation shared by extraction and cleaning."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing: zero-width space/joiners, word joiner,
# byte-order mark, soft hyphen. They break matching and deduplication.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Every Unicode space separator (NBSP, narrow NBSP, figure space, ...) and
# whitespace run becomes one ASCII space.
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def normalize_text(text: str) -> str:
    """NFC-normalise ``text``, drop invisible characters and collapse spaces."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def normalize_optional(text: str | None) -> str | None:
    """Like :func:`normalize_text`, but maps ``None`` and blank text to ``None``."""
    if text is None:
        return None
    return normalize_text(text) or None
