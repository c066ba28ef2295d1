"""Unicode and whitespace normalisation shared by extraction and cleaning."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing: zero-width space/joiners, word joiner,
# byte-order mark, soft hyphen. They break matching and deduplication.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def normalize_text(text: str) -> str:
    """NFC-normalise ``text``, drop invisible characters and collapse spaces.

    Every Unicode space (NBSP, narrow NBSP, figure space, ...) and whitespace run becomes one ASCII
    space: ``str.split()`` splits on exactly the characters ``\\s`` matches, in C (a regex substitution
    and ``str.translate`` cost ten times more on Cyrillic text, and every paragraph passes here). ASCII text is
    its own NFC form and holds no invisible character, so only its spaces are collapsed."""
    if text.isascii():
        return " ".join(text.split())
    return " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", text)).split())


def normalize_optional(text: str | None) -> str | None:
    """Like :func:`normalize_text`, but maps ``None`` and blank text to ``None``."""
    if text is None:
        return None
    return normalize_text(text) or None
