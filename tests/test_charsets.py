"""Charset names that decode no text (``zlib``, ``base64``, ``idna``, ``undefined``) count as none: a table of
names, and what a body is read in when its declared charset is such a name. The real crawl of such pages is in
``tests/test_hostile_crawl.py``."""

from __future__ import annotations

import tracemalloc

import pytest

from crawler.charsets import guessed_encoding, readable_encoding, usable_encoding, utf8_misdeclared

RUSSIAN = "<p>Совещание по энергетике</p>" * 20


@pytest.mark.parametrize(("name", "usable"), [
    ("utf-8", "utf-8"), ("UTF8", "utf-8"), ("windows-1251", "cp1251"), ("koi8-r", "koi8-r"), ("utf-16", "utf-16"),
    ("zlib", None), ("base64", None), ("hex", None), ("rot13", None), ("bz2", None), ("uu", None), ("quopri", None),
    ("idna", None), ("undefined", None), ("utf-7", None), ("no-such-charset", None), ("", None), (None, None),
    ("a" * 10_000, None), ("utf-8" + " " * 10_000, "utf-8"),
])
def test_usable_encoding(name: str | None, usable: str | None) -> None:
    assert usable_encoding(name) == usable


@pytest.mark.parametrize(("content_type", "body", "encoding"), [
    (b"text/html; charset=zlib", RUSSIAN.encode(), "utf-8"),  # nothing usable declared: the bytes are UTF-8
    (b"text/html; charset=zlib", f"<meta charset='koi8-r'>{RUSSIAN}".encode("koi8-r"), "koi8-r"),  # the meta's
    (b"text/html; charset=cp1251", f"<meta charset='base64'>{RUSSIAN}".encode("cp1251"), "cp1251"),  # the header's
    (None, f"<meta charset='idna'>{RUSSIAN}".encode("cp1251"), "cp1251"),  # guessed from the bytes
    (b"text/html; charset=" + b"z" * 10_000, b"\xef\xbb\xbf" + RUSSIAN.encode(), "utf-8"),  # the byte-order mark's
])
def test_readable_encoding(content_type: bytes | None, body: bytes, encoding: str) -> None:
    assert readable_encoding(content_type, body) == encoding


def test_any_bytes_get_an_encoding_that_decodes_them() -> None:
    for body in (bytes(range(256)) * 4, b"\xff\xfe\x00" * 1000, b"\xc3" * 1000):
        assert usable_encoding(guessed_encoding(body)) is not None


def test_a_long_charset_name_is_not_kept_whole() -> None:
    """A server sending a new 100 KB charset name with each page pins none of them in the cache (before: 256 of
    them, 26 MB)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(300):
            assert usable_encoding(f"{n}{'x' * 100_000}") is None
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, kept


@pytest.mark.parametrize(("body", "encoding", "expected"), [
    ("Министерство энергетики провело совещание".encode(), "cp1251", True),  # UTF-8 under windows-1251
    ("Министерство энергетики провело совещание".encode(), "koi8-r", True),
    ("Министерство энергетики провело совещание".encode(), "latin-1", True),
    ("Министерство энергетики провело совещание".encode("cp1251"), "cp1251", False),  # as declared
    ("Министерство энергетики провело совещание".encode("koi8-r"), "koi8-r", False),
    ("Министерство энергетики провело совещание".encode(), "utf-8", False),  # declared rightly
    ("Минск".encode(), "cp1251", False),  # too few letters to tell
    (b"plain ASCII " * 10, "cp1251", False),
    ("\u00a9 ВЫБОРЫ \u00ab\u00bb".encode("cp1251") * 5, "cp1251", False),
])
def test_a_utf8_body_under_a_single_byte_charset_is_told(body: bytes, encoding: str, expected: bool) -> None:
    assert utf8_misdeclared(body, encoding) is expected
