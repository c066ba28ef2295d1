"""XML sitemaps, sitemap indexes and Google News sitemaps -> dated links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from lxml import etree

from crawler.dates import parse_datetime
from crawler.discovery import Link
from crawler.discovery.xml import child_text, local, parse_xml


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: child sitemaps (index) or page links (urlset)."""

    is_index: bool
    links: list[Link]


def _news_date(url_element: etree._Element, tz: tzinfo) -> datetime | None:
    for child in url_element:
        if local(child.tag) == "news":
            return parse_datetime(child_text(child, "publication_date"), tz)
    return None


def parse_sitemap(body: bytes, tz: tzinfo = UTC) -> Sitemap | None:
    """Parse a sitemap; the date is ``news:publication_date`` or ``lastmod``."""
    root = parse_xml(body)
    if root is None or local(root.tag) not in ("sitemapindex", "urlset"):
        return None
    is_index = local(root.tag) == "sitemapindex"
    links = []
    for element in root:
        if local(element.tag) not in ("sitemap", "url"):
            continue
        loc = child_text(element, "loc")
        if not loc:
            continue
        date = _news_date(element, tz) or parse_datetime(child_text(element, "lastmod"), tz)
        links.append(Link(loc, date))
    return Sitemap(is_index, links)
