"""What a fetched body is when it is no HTML page: the one decision of whether a text at an article's URL is read as
a page at all (:func:`not_html`), and whether it is a binary file's (:func:`looks_binary`).

A broken or hostile server can answer an article's URL with JSON (an API's answer), a feed or another XML document,
plain text, a PDF or an image; the ``Content-Type`` it sends is no guide (HTML served as ``text/plain`` or
``application/octet-stream`` is common, and a PDF served as ``text/html`` happens), so the text decides. A text is
HTML unless it is one of those: markup that opens with an HTML element (an XHTML page's ``<?xml ...?>`` prologue
included), or that has an ``<html>``, ``<head>`` or ``<body>`` tag, is read as a page.
"""

from __future__ import annotations

import json
import re

from lxml.html.defs import tags as _LXML_TAGS

# The elements a page can open with: lxml's HTML4 and HTML5 elements, with the ones it lacks (and Yandex's
# <noindex>); SVG and MathML are documents of their own when they are the root (an image, a formula).
HTML_ELEMENTS = (frozenset(_LXML_TAGS) | {
    "main", "template", "picture", "dialog", "slot", "data", "search", "bdi", "frame", "noframes", "nobr", "xmp",
    "listing", "plaintext", "image", "noindex", "noembed",
}) - {"svg", "math"}

SNIFF_CHARS = 4096  # the start of a text looked at for binary content
PROLOGUE_CHARS = 65_536  # the start looked at for a document's first element (an unclosed "<!--" would run on)
CONTROL_SHARE = 0.05  # C0 control characters (not tab or line breaks) in text: a few stray ones; in binary, ~9%
# NULs a page that opens as markup may carry (a CMS's stray ones); a UTF-16 page read as one-byte text has ~50%
NUL_SHARE = 0.01
# Binary formats whose signature is text, so that a NUL need not come early: PDF, PostScript, GIF.
_BINARY_SIGNATURES = ("%PDF-", "%!PS", "GIF87a", "GIF89a")
_BINARY_BYTES = (*(signature.encode("ascii") for signature in _BINARY_SIGNATURES),
                 b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\x1f\x8b\x08", b"PK\x03\x04")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")
# The prologue of a markup document: space, a byte-order mark, an XML declaration, processing instructions,
# comments and a doctype, then the first element's name.
_PROLOGUE = re.compile(r"(?:[\s\ufeff]++|<\?.*?\?>|<!--.*?-->|<!(?P<doctype>doctype)\s++(?P<root>[^\s>]*+)[^>]*+>)*+"
                       r"(?:<(?P<element>[a-z][^\s/>]*+))?", re.IGNORECASE | re.DOTALL)
_PAGE_TAG = re.compile(r"<(?:html|head|body)[\s/>]", re.IGNORECASE)
_MARKUP = re.compile(r"<[a-z!?/]", re.IGNORECASE)
_JSON_START = re.compile(r"[\s\ufeff]*+[\[{]")


def not_html(text: str) -> str | None:
    """What ``text`` is when it is no HTML page: ``empty`` (nothing but space), ``binary`` (a PDF, an image, an
    archive: :func:`looks_binary`), ``json`` (an object or array, parsel's test), ``xml`` (a document whose root is
    no HTML element: a feed, a sitemap, an SVG image) or ``text`` (no markup at all); None for an HTML page, however
    it is served."""
    if not text.strip().lstrip("\ufeff"):
        return "empty"
    if looks_binary(text):
        return "binary"
    if _JSON_START.match(text) and _is_json_document(text):
        return "json"
    prologue = _PROLOGUE.match(text[:PROLOGUE_CHARS])
    assert prologue is not None  # every part of the pattern is optional
    if prologue["doctype"]:
        return None if prologue["root"].lower() == "html" else "xml"
    element = prologue["element"]
    if element is not None:
        name = element.rpartition(":")[2].lower()  # "html:html", an XHTML page's root with a prefix
        return None if name in HTML_ELEMENTS or "-" in name or _PAGE_TAG.search(text) else "xml"
    return None if _MARKUP.search(text) else "text"


def looks_binary(text: str) -> bool:
    """Whether ``text`` (a body decoded, with replacement, in whatever charset it was served in) is a binary file's:
    a known signature, many control characters or NULs in its start (``SNIFF_CHARS``), or any NUL in a start that
    does not open as markup (its first element looked for in ``PROLOGUE_CHARS``). A page that opens as markup with a few
    stray NULs (``NUL_SHARE``) is a page, read with its NULs dropped. The one test, for the spider's check of a response
    and for :func:`not_html`: a UTF-16 page's NULs are gone once it is decoded (read as one-byte text, half its
    characters are NULs: binary)."""
    start = text[:SNIFF_CHARS]
    if start.startswith(_BINARY_SIGNATURES):
        return True
    nuls = start.count("\x00")
    if nuls + len(_CONTROL.findall(start)) > CONTROL_SHARE * len(start):
        return True
    # The first element is looked for as far as not_html looks (PROLOGUE_CHARS): a long leading comment runs past
    # SNIFF_CHARS.
    return bool(nuls) and (nuls > NUL_SHARE * len(start)
                           or not _opens_as_markup(text[:PROLOGUE_CHARS].replace("\x00", "")))


def _opens_as_markup(start: str) -> bool:
    """Whether ``start`` opens, past its prologue, with an element or an HTML doctype."""
    prologue = _PROLOGUE.match(start)
    assert prologue is not None  # every part of the pattern is optional
    return prologue["element"] is not None or (prologue["doctype"] is not None and prologue["root"].lower() == "html")


def starts_binary(body: bytes) -> bool:
    """Whether the raw ``body`` starts with a binary file's signature (PDF, PostScript, GIF, PNG, JPEG, gzip, zip):
    what :func:`looks_binary` cannot see in a body decoded as UTF-16 or UTF-32, which turns any bytes into letters
    without a NUL. No text page starts so: in UTF-16 and UTF-32 its "<" comes with NUL bytes."""
    return body.lstrip(b" \t\r\n").startswith(_BINARY_BYTES)


def _is_json_document(text: str) -> bool:
    """Whether ``text`` is a JSON object or array (a page that starts with stray JSON before its markup is not)."""
    try:
        data = json.loads(text.lstrip("\ufeff \t\r\n"))
    except ValueError:  # JSONDecodeError, and a number or string too deep or too long for Python
        return False
    except RecursionError:  # "[[[[...": nested past the interpreter's stack
        return True
    return isinstance(data, (dict, list))
