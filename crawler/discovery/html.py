"""Discovery hints in HTML pages and robots.txt: feed links, next-page links, sitemaps."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
_NEXT = ('link[rel="next"]::attr(href)', 'a[rel="next"]::attr(href)', "a.next::attr(href)",
         ".pagination a.next::attr(href)", "a.next-page::attr(href)", ".nav-previous a::attr(href)")
# Leading blanks stop at the line's end: a "\s*" there would rescan every following blank
# line from each line start (quadratic in a robots.txt of empty lines).
_SITEMAP_LINE = re.compile(r"^[^\S\n]*sitemap\s*+:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def feed_links(sel: Selector, base_url: str) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml">``."""
    hrefs = []
    for link in sel.css('link[rel~="alternate"]'):
        if (link.attrib.get("type") or "").lower() in _FEED_TYPES and link.attrib.get("href"):
            hrefs.append(urljoin(base_url, link.attrib["href"]))
    return list(dict.fromkeys(h for h in hrefs if "/comments/" not in h))


def wp_api_root(sel: Selector, base_url: str) -> str | None:
    """The WordPress REST API root a page announces (``<link rel="https://api.w.org/">``)."""
    href = sel.css('link[rel="https://api.w.org/"]::attr(href)').get()
    return urljoin(base_url, href) if href else None


def next_page(sel: Selector, base_url: str) -> str | None:
    """The link to the next (older) page of a listing, if the page has one."""
    for css in _NEXT:
        href = sel.css(css).get()
        if href and not href.startswith(("#", "javascript:")):
            return urljoin(base_url, href.strip())
    return None


def robots_sitemaps(robots_txt: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt."""
    return list(dict.fromkeys(_SITEMAP_LINE.findall(robots_txt)))
