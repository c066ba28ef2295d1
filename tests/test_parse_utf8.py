"""A page's UTF-8 bytes go to lxml as they are when they are what parsel would encode from its text: the same tree."""

from __future__ import annotations

import pytest
from lxml import etree

from crawler.htmltree import _as_parsel_encodes, html_selector

PAGE = "<!DOCTYPE html><html><head><title>Заголовок</title></head><body><p>Текст «статьи» — да</p></body></html>"


@pytest.mark.parametrize(
    ("body", "as_is"),
    [
        (PAGE.encode(), True),
        (f"\n \t{PAGE}\r\n\x0c".encode(), True),  # ASCII whitespace at the ends: bytes.strip takes what str.strip does
        (f"\u00a0{PAGE}".encode(), False),  # NBSP: str.strip takes it, bytes.strip does not
        (f"{PAGE}\x1c".encode(), False),  # a separator str.strip takes
        (f"{PAGE}\u2003".encode(), False),
        (f"\ufeff{PAGE}".encode(), True),  # a byte-order mark is no whitespace
        (PAGE.encode() + b"\xff<p>x</p>", False),  # a byte decoding replaced
        (f"{PAGE}\ufffd".encode(), False),  # a U+FFFD of the page's own: the bytes are not checked further
        (f"<p>a\x00b</p>{PAGE}".encode(), False),  # parsel drops NULs
        (b" \n ", False),  # nothing left: parsel parses "<html/>"
        (b"<p>x", True),
        (b"not markup at all", True),
    ],
)
def test_bytes_parse_as_the_text_does(body: bytes, as_is: bool) -> None:
    text = body.decode("utf-8", "replace")
    assert (_as_parsel_encodes(text, body) is not None) is as_is
    expected = html_selector(text).root
    found = html_selector(text, body).root
    assert etree.tostring(found, method="html", encoding="unicode") == etree.tostring(
        expected, method="html", encoding="unicode"
    )
    assert type(found) is type(expected)
