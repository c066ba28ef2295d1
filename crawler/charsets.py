"""Charset names a server or a page declares, kept only when they name an encoding that decodes bytes to text.

Python's ``codecs`` also knows ``zlib``, ``base64``, ``hex`` and ``rot13`` (transforms, not text encodings),
``idna`` (which refuses the ``"replace"`` error handler) and ``undefined`` (which always fails). w3lib resolves
such a name as it resolves ``utf-8``, and reading the page's text then raises: a traceback, and the page lost. Such a
name counts as no name at all, as an unknown one does.
"""

from __future__ import annotations

from functools import lru_cache

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

_SAMPLE = b"<html>\xd0\x9f\xff"  # ASCII, a UTF-8 letter and a byte no UTF-8 has


def usable_encoding(name: str | None) -> str | None:
    """The resolved name of ``name`` when it decodes bytes to text (with ``"replace"``), else None."""
    return _usable(name[:_LONGEST_NAME] if name else None)  # the cache never holds a server's long name


_LONGEST_NAME = 100  # no codec has a longer name


@lru_cache(maxsize=256)
def _usable(name: str | None) -> str | None:
    resolved = resolve_encoding(name) if name else None
    if resolved is None:
        return None
    try:
        decoded = _SAMPLE.decode(resolved, "replace")
    except (LookupError, UnicodeError):  # not a text encoding, or one that cannot replace
        return None
    return resolved if isinstance(decoded, str) else None


def readable_encoding(content_type: bytes | None, body: bytes) -> str:
    """What to read ``body`` in when the encoding it was given decodes no text: its byte-order mark's, else the
    first usable of its header's and its ``<meta charset>``, else :func:`guessed_encoding`."""
    declared = (read_bom(body)[0], http_content_type_encoding(content_type.decode("latin-1")) if content_type else None,
                html_body_declared_encoding(body))
    usable = next((found for found in map(usable_encoding, declared) if found), None)
    return usable or guessed_encoding(body)


def guessed_encoding(body: bytes) -> str:
    """What Scrapy guesses for a page that declares nothing: ASCII or UTF-8 when it decodes whole, else
    charset-normalizer's best match, else UTF-8."""
    for guess in ("ascii", "utf-8"):
        try:
            body.decode(guess)
        except UnicodeDecodeError:
            continue
        return guess
    match = from_bytes(body).best()
    return (usable_encoding(match.encoding) if match else None) or "utf-8"


MIN_UTF8_CHARS = 20  # characters past ASCII a body must have before its being valid UTF-8 says it is UTF-8


def utf8_misdeclared(body: bytes, encoding: str) -> bool:
    """Whether ``body``, given ``encoding`` by its header or meta (windows-1251, KOI8-R, Latin-1), is UTF-8: it decodes
    as UTF-8 whole, with at least ``MIN_UTF8_CHARS`` characters past ASCII. Text in a single-byte charset is next to
    never valid UTF-8 (a Cyrillic lowercase letter, 0xE0-0xFF in windows-1251, would have to lead two or three bytes
    of 0x80-0xBF), so such a page read in its declared charset is only mojibake ("РњРёРЅРёСЃС‚РµСЂСЃС‚РІРѕ")."""
    if (resolve_encoding(encoding) or "").startswith(("utf-8", "utf-16", "utf-32")) or body.isascii():
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(text) - len(text.encode("ascii", "ignore")) >= MIN_UTF8_CHARS
