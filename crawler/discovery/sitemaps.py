"""XML sitemaps, sitemap indexes and Google News sitemaps -> dated links.

The document is streamed and at most ``max_entries`` entries are kept, the newest by date
(undated ones after dated, earlier in the file first), so a sitemap of any length costs the
same memory.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from lxml import etree

from crawler.dates import parse_datetime
from crawler.discovery import Link
from crawler.discovery.limits import MAX_ENTRIES
from crawler.discovery.xml import (
    XMLTooLarge,
    absolute,
    broken_gzip,
    child_text,
    local,
    stream_xml,
    utf8_declared_otherwise,
)


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: child sitemaps (index) or page links (urlset), in file order;
    ``skipped`` entries were over the cap and not kept."""

    is_index: bool
    links: list[Link]
    skipped: int = 0
    too_large: bool = False  # a gzip body expanded past ``MAX_XML_BYTES``: the entries after that point are unread
    broken_gzip: bool = False  # a gzip body failed part-way (bad data, cut short): the entries after it are unread
    charset_fixed: bool = False  # UTF-8 under a windows-1251 (or other single-byte) declaration: read as UTF-8


def _news_date(url_element: etree._Element, tz: tzinfo) -> datetime | None:
    for child in url_element:
        if local(child.tag) == "news":
            return parse_datetime(child_text(child, "publication_date"), tz)
    return None


def _entry(element: etree._Element, tz: tzinfo, base_url: str | None) -> Link | None:
    if local(element.tag) not in ("sitemap", "url"):
        return None
    loc = child_text(element, "loc")
    if not loc:
        return None
    # The protocol asks for absolute URLs; CMS plugins write "/news/1" or "news/1" too: resolved as a browser would.
    date = _news_date(element, tz) or parse_datetime(child_text(element, "lastmod"), tz)
    return Link(absolute(loc, element, base_url), date)


def parse_sitemap(body: bytes, tz: tzinfo = UTC, max_entries: int = MAX_ENTRIES,
                  base_url: str | None = None) -> Sitemap | None:
    """Parse a sitemap fetched from ``base_url`` (its relative ``<loc>`` are resolved against it); the date is
    ``news:publication_date`` or ``lastmod``."""
    stops: list[Exception] = []
    utf8 = utf8_declared_otherwise(body)
    elements = stream_xml(body, stops=stops, utf8=utf8)
    root = next(elements, None)
    if root is None or local(root.tag) not in ("sitemapindex", "urlset"):
        elements.close()
        return None
    is_index = local(root.tag) == "sitemapindex"
    # A min-heap of (date, -position, link): the oldest (then the latest in the file) goes first.
    kept: list[tuple[float, int, Link]] = []
    seen = 0
    for element in elements:
        link = _entry(element, tz, base_url)
        if link is None:
            continue
        key = (link.date.timestamp() if link.date else float("-inf"), -seen, link)
        seen += 1
        if len(kept) < max_entries:
            heapq.heappush(kept, key)
        else:
            heapq.heappushpop(kept, key)
    links = [link for _, _, link in sorted(kept, key=lambda k: -k[1])]
    return Sitemap(is_index, links, skipped=seen - len(links),
                   too_large=any(isinstance(stop, XMLTooLarge) for stop in stops), broken_gzip=broken_gzip(stops),
                   charset_fixed=utf8)
