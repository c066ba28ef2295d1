"""Charset names a server or a page declares, kept only when they name an encoding that decodes bytes to text.

Python's ``codecs`` also knows ``zlib``, ``base64``, ``hex`` and ``rot13`` (transforms, not text encodings),
``idna`` (which refuses the ``"replace"`` error handler) and ``undefined`` (which always fails). w3lib resolves
such a name as it resolves ``utf-8``, and reading the page's text then raises: a traceback, and the page lost. Such a
name counts as no name at all, as an unknown one does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding

if TYPE_CHECKING:
    from scrapy.http import TextResponse

MOJIBAKE_CHARS = 20  # more replacement characters than this: the header's charset is wrong
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


def page_text(response: TextResponse) -> tuple[str, bool]:
    """A page's text and whether its declared charset was set aside. A charset in the HTTP header that contradicts the
    page (mojibake) yields to the page's own ``<meta charset>``, else, when it reads most of the page's non-ASCII
    bytes as errors, to the charset Scrapy detects in the bytes (the one they read as, when the meta charset is the
    one misreading them); a single-byte charset (header or meta) over a body
    that is valid UTF-8 yields to UTF-8; of a single-byte header and a single-byte meta that disagree
    (``ISO-8859-1``, a server's default, over a windows-1251 page), the one the text reads as language in wins."""
    text = response.text
    # A UTF-16/32 header over a body of one-byte markup (no NUL in its start) decodes to CJK-looking
    # noise without one U+FFFD: the page's meta charset, else UTF-8, is the truth.
    wide = (resolve_encoding(response.encoding) or "").startswith(("utf-16", "utf-32")) \
        and read_bom(response.body)[0] is None and b"\x00" not in response.body[:1024]
    if read_bom(response.body)[0] is None and utf8_misdeclared(response.body, response.encoding):
        return response.body.decode("utf-8"), True  # a UTF-8 page whose header or meta says windows-1251
    mojibake = wide or text.count("\ufffd") > MOJIBAKE_CHARS
    if not (mojibake or _single_byte(response.encoding)):
        return text, False  # read without errors in a multi-byte charset (UTF-8): no meta to weigh against it
    declared = usable_encoding(html_body_declared_encoding(response.body))
    if mojibake:
        declared = declared or ("utf-8" if wide else None)
        own = declared is not None and resolve_encoding(declared) == resolve_encoding(response.encoding)
        if (declared is None or own) and misread(text):
            # No usable charset of its own: the one Scrapy finds in the bytes; its own is the one misreading it (a
            # windows-1251 page whose meta says UTF-8): the one the bytes read as.
            found = None if own else usable_encoding(type(response)(response.url, body=response.body).encoding)
            declared = found or guessed_encoding(response.body)
    elif not (declared and _one_byte_misread(response, declared)):
        return text, False
    if declared and resolve_encoding(declared) != resolve_encoding(response.encoding):
        return response.body.decode(resolve_encoding(declared) or declared, "replace"), True
    return text, False


def read_page(body: bytes, content_type: str | None = None, url: str = "http://localhost/") -> str:
    """The text the crawl reads of a page with this ``body`` and ``Content-Type`` (none for a saved file): its
    charset found as Scrapy finds it, an unusable one replaced, then :func:`page_text`; without NULs."""
    from scrapy.http import HtmlResponse  # here: the extraction's modules import this one, and load no Scrapy

    response = HtmlResponse(url, body=body, headers={"Content-Type": content_type} if content_type else None)
    if not usable_encoding(response.encoding):
        response = response.replace(encoding=readable_encoding(content_type.encode("latin-1", "replace")
                                                               if content_type else None, body))
    return page_text(response)[0].replace("\x00", "")


def misread(text: str) -> bool:
    """Whether most of ``text``'s non-ASCII characters (over ``MOJIBAKE_CHARS``) are U+FFFD: its bytes are in another
    charset than the one it was decoded from (a windows-1251 page under a UTF-8 header), not a UTF-8 page with a few
    broken bytes."""
    bad = text.count("\ufffd")
    return bad > MOJIBAKE_CHARS and 2 * bad > len(text) - len(text.encode("ascii", "ignore"))


@lru_cache(maxsize=64)
def _single_byte(encoding: str) -> bool:
    """Whether ``encoding`` reads every byte as one character (windows-1251, KOI8-R, Latin-1): a page in another such
    charset decodes without one error, into mojibake."""
    try:
        return len(bytes(range(256)).decode(resolve_encoding(encoding) or encoding, "replace")) == 256
    except (LookupError, UnicodeError):
        return False


def _one_byte_misread(response: TextResponse, declared: str) -> bool:
    """Whether the page, given a single-byte charset by its header (the caller's check), reads as text in
    ``declared`` (its meta charset, single-byte too) rather than in the header's, by charset-normalizer's measure of
    mess and language asked of these two charsets alone; a tie keeps the header's, as browsers do. A byte-order mark
    decides alone."""
    body, given = response.body, response.encoding
    if body.isascii() or read_bom(body)[0] is not None or resolve_encoding(declared) == resolve_encoding(given) \
            or not _single_byte(declared):
        return False
    best = from_bytes(body, cp_isolation=[declared, given]).best()
    return best is not None and resolve_encoding(best.encoding) == resolve_encoding(declared)
