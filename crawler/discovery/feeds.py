"""RSS 2.0, RSS 1.0 (RDF), Atom and JSON Feed feeds -> article links with dates.

At most ``max_entries`` items are read, the first in feed order (feeds list the newest first); the
rest are only counted, so a feed of 65,000 items costs a parse and no more. The feed is streamed
and each item freed once read: a gzipped feed that expands to 50 MB (``MAX_XML_BYTES``) took
380 MB as one tree. A relative link (Atom allows them; some RSS writes ``/news/x/``) is resolved against the
item's ``xml:base`` and the feed's own URL, as a feed reader resolves it. A JSON Feed (``application/feed+json``, which
a home page may announce) is read from its ``items``' ``url`` and ``date_published``; it was read as XML, as nothing.
"""

from __future__ import annotations

import itertools
import json
import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, tzinfo

from lxml import etree

from crawler.dates import parse_datetime
from crawler.discovery import Link
from crawler.discovery.limits import MAX_FEED_ENTRIES
from crawler.discovery.xml import (
    XMLTooLarge,
    absolute,
    broken_gzip,
    child_text,
    iterparse,
    local,
    parse_xml,
    utf8_declared_otherwise,
)

logger = logging.getLogger(__name__)

# Every casing of the two names (48 tags; lxml matches them in C): feeds written by hand or by old CMSes
# say <Item>, <iTem> or <ENTRY>, and an item missed is an article never found.
_ITEM_TAGS = tuple("{*}" + "".join(letters) for name in ("item", "entry")
                   for letters in itertools.product(*((c, c.upper()) for c in name)))


@dataclass(frozen=True)
class Feed:
    """A parsed feed's links, in feed order; ``skipped`` items were over the cap and not read."""

    links: list[Link]
    skipped: int = 0
    too_large: bool = False  # a gzip body expanded past ``MAX_XML_BYTES``: the items after that point are unread
    broken_gzip: bool = False  # a gzip body failed part-way (bad data, cut short): the items after the fault are unread
    charset_fixed: bool = False  # UTF-8 under a windows-1251 (or other single-byte) declaration: read as UTF-8


def _attribute(element: etree._Element, name: str) -> str | None:
    """The value of attribute ``name`` in any letter case (``HREF``, ``Rel``), as sloppy feeds write them."""
    value = element.get(name)
    if value is None:
        value = next((v for k, v in element.attrib.items() if isinstance(k, str) and k.lower() == name), None)
    return None if value is None else str(value)


def _atom_link(entry: etree._Element) -> str | None:
    for child in entry:
        if local(child.tag) == "link" and (_attribute(child, "rel") or "alternate").strip().lower() == "alternate":
            href = _attribute(child, "href")
            if href and href.strip():
                return href.strip()
    return None




def _link(element: etree._Element, name: str, tz: tzinfo, base_url: str | None) -> Link | None:
    if name == "item":
        url = child_text(element, "link") or _permalink_guid(element)
        raw = child_text(element, "pubdate", "date", "published", "updated")
    else:
        url = _atom_link(element)
        raw = child_text(element, "published", "updated")
    return Link(absolute(url, element, base_url), parse_datetime(raw, tz)) if url else None


def read_feed(body: bytes, tz: tzinfo = UTC, max_entries: int = MAX_FEED_ENTRIES,
              base_url: str | None = None) -> Feed:
    """The links of the first ``max_entries`` items or entries of a feed (fetched from ``base_url``: its relative
    links are resolved against it), and how many more it has."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return _json_feed(body, tz, max_entries, base_url)
    links: list[Link] = []
    read = skipped = 0
    stops: list[Exception] = []
    utf8 = utf8_declared_otherwise(body)
    for name, element in _items(body, stops, utf8):
        if read >= max_entries:
            skipped += 1  # counted, never read: a date parse per item is most of a big feed's cost
            continue
        read += 1
        link = _link(element, name, tz, base_url)
        if link is not None:
            links.append(link)
    return Feed(links, skipped, too_large=any(isinstance(stop, XMLTooLarge) for stop in stops),
                broken_gzip=broken_gzip(stops), charset_fixed=utf8)


def _json_feed(body: bytes, tz: tzinfo, max_entries: int, base_url: str | None) -> Feed:
    """The links of a JSON Feed's first ``max_entries`` items (their ``url``, dated by ``date_published``, else
    ``date_modified``); no links for a body that is no JSON Feed. Any value may be of any JSON type: an item that is
    no object, a ``url`` that is no text (or a lone surrogate, no URL can carry) is skipped."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # nested past the interpreter's depth: as unreadable as bad JSON
        return Feed([])
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return Feed([])
    links = []
    for item in items[:max_entries]:
        url = item.get("url") if isinstance(item, dict) else None
        if not isinstance(url, str) or not url.strip() or _lone_surrogate(url):
            continue
        raw = item.get("date_published") or item.get("date_modified")
        date = parse_datetime(raw, tz) if isinstance(raw, str) else None  # a plugin's number or object is no date
        links.append(Link(absolute(url.strip(), None, base_url), date))
    return Feed(links, max(0, len(items) - max_entries))


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _items(body: bytes, stops: list[Exception], utf8: bool = False) -> Iterator[tuple[str, etree._Element]]:
    """Each item or entry of a feed, complete, in document order of their starts (an item nested in another
    comes after it), freed (with what came before it) once the next is asked for; what ended the read early
    goes to ``stops``; read as UTF-8 whatever its declaration says with ``utf8``."""
    depth = 0
    nested = False
    try:
        # Only items and entries (any namespace) become Python objects: 4x faster on a big feed.
        for event, element in iterparse(body, ("start", "end"), tag=_ITEM_TAGS, utf8=utf8):
            depth += 1 if event == "start" else -1
            nested = nested or depth > 1
            if depth:  # an item inside an item: read with (after) the outermost, whose children it must not free
                continue
            if nested:  # rare: walking each item for nested ones took 5x the read of a big feed
                for item in element.iter(*_ITEM_TAGS):
                    yield local(item.tag), item
                nested = False
            else:
                yield local(element.tag), element
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except (etree.XMLSyntaxError, OSError, EOFError, struct.error, ValueError) as exc:  # bad gzip, oversized
        stops.append(exc)
        logger.warning("Feed read stopped: %(error)s", {"error": exc})


def parse_feed(body: bytes, tz: tzinfo = UTC) -> list[Link]:
    """Links of the items or entries of a feed (up to the default cap), in feed order."""
    return read_feed(body, tz).links


def _permalink_guid(item: etree._Element) -> str | None:
    for child in item:
        if local(child.tag) == "guid" and child.get("isPermaLink", "true") == "true" and child.text:
            return str(child.text.strip())
    return None


def is_feed(body: bytes) -> bool:
    """True when ``body`` is an RSS, RDF or Atom document."""
    root = parse_xml(body[:2_000_000])
    return root is not None and local(root.tag) in ("rss", "rdf", "feed")
