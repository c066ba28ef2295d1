"""Discovery hints in HTML pages and robots.txt: a page's links (resolved against its ``<base href>``), feed
links, next-page links, sitemaps."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from io import BytesIO
from urllib.parse import urldefrag, urlsplit

from parsel import Selector
from scrapy.linkextractors import IGNORED_EXTENSIONS
from w3lib.url import safe_url_string

from crawler.htmltree import first_base_href
from crawler.urls import joined, resolved_base, too_long

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
_NEXT = ('link[rel="next"]::attr(href)', 'a[rel="next"]::attr(href)', "a.next::attr(href)",
         ".pagination a.next::attr(href)", "a.next-page::attr(href)", ".nav-previous a::attr(href)")


# A scheme other than http(s) an href starts with (after it is stripped as a browser strips it).
_OTHER_SCHEME = re.compile(r"(?!https?:)[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_FILE_EXTENSIONS = frozenset(f".{ext}" for ext in IGNORED_EXTENSIONS)  # a download (image, PDF, archive), no page


@dataclass(frozen=True)
class PageLinks:
    """The links of an HTML page, resolved as a browser resolves them."""

    base: str  # what the page's relative URLs resolve against: its usable <base href>, else its own URL
    urls: list[str]  # its http(s) <a> and <area> links, each once, in page order, no fragment, no file download
    skipped: int  # hrefs no URL can be made of ("http://[::1", a port past 65535)
    broken_base: bool  # its <base href> names no URL and was ignored, as a browser ignores it
    too_long: int = 0  # hrefs longer than any URL a request is made of, left unread
    capped: int = 0  # distinct candidate hrefs past ``max_links``, left unread


def document_base(sel: Selector, page_url: str) -> str | None:
    """The page's first ``<base href>`` resolved against ``page_url`` (:func:`~crawler.urls.resolved_base`)."""
    return resolved_base(page_url, first_base_href(sel.root))


def page_links(sel: Selector, page_url: str, encoding: str = "utf-8", max_links: int | None = None) -> PageLinks:
    """The ``<a>`` and ``<area>`` links of a listing or home page, the first ``max_links`` distinct candidates
    (all for None); an unusable base or href ends no reading of it."""
    base = document_base(sel, page_url)
    resolved = base or page_url
    # The cap counts candidate links: each once, none that is only a fragment ("#", "#top") or of another scheme
    # ("mailto:", "javascript:"), so a mega-menu repeated and a page of "#" use none of it.
    hrefs = list(dict.fromkeys(
        href.partition("#")[0] for href in (h.strip() for h in sel.css("a::attr(href), area::attr(href)").getall())
        if not href.startswith("#") and not _OTHER_SCHEME.match(href)))
    capped = max(0, len(hrefs) - max_links) if max_links is not None else 0
    hrefs = hrefs[:len(hrefs) - capped]
    kept = [href for href in hrefs if not too_long(href)]
    urls = [_link(resolved, href, encoding) for href in kept]
    pages = (url for url in urls if url and url.startswith(("http://", "https://"))
             and posixpath.splitext(urlsplit(url).path)[1].lower() not in _FILE_EXTENSIONS)
    return PageLinks(resolved, list(dict.fromkeys(urldefrag(url)[0] for url in pages)), urls.count(None), base is None,
                     len(hrefs) - len(kept), capped)


def _link(base: str, href: str, encoding: str) -> str | None:
    """``href`` resolved against ``base``, its query percent-encoded in the page's ``encoding`` (as a browser sends
    it); None when it names no URL, or has a character the encoding has not."""
    url = joined(base, href)
    try:
        return safe_url_string(url, encoding) if url is not None else None
    except ValueError:  # UnicodeEncodeError
        return None


def feed_links(sel: Selector, base_url: str, limit: int | None = None) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml">``, each once; with ``limit``,
    the first ``limit + 1`` (more than ``limit``: the page announced too many)."""
    feeds: dict[str, None] = {}
    for link in sel.css('link[rel~="alternate"]'):
        if (link.attrib.get("type") or "").lower() in _FEED_TYPES and link.attrib.get("href"):
            href = joined(base_url, link.attrib["href"])
            if href is not None and "/comments/" not in href:
                feeds[href] = None
                if limit is not None and len(feeds) > limit:
                    break
    return list(feeds)


def wp_api_root(sel: Selector, base_url: str) -> str | None:
    """The WordPress REST API root a page announces (``<link rel="https://api.w.org/">``)."""
    href = sel.css('link[rel="https://api.w.org/"]::attr(href)').get()
    return joined(base_url, href) if href else None


def next_page(sel: Selector, base_url: str) -> str | None:
    """The link to the next (older) page of a listing, if the page has one."""
    for css in _NEXT:
        href = sel.css(css).get()
        if href and not href.startswith(("#", "javascript:")):
            return joined(base_url, href)
    return None


def robots_sitemaps(robots_txt: bytes | str, base_url: str = "") -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, each once, relative ones joined to ``base_url``."""
    return list(dict.fromkeys(url for url in robots_sitemap_lines(robots_txt, base_url) if url and not too_long(url)))


def robots_sitemap_lines(robots_txt: bytes | str, base_url: str = "") -> list[str | None]:
    """The URL of each ``Sitemap:`` line of a robots.txt, relative ones joined to ``base_url``; None for a line
    that names no URL (not UTF-8, empty, refused by urljoin), for the caller to count. Scrapy's reader takes one
    line at a time with no pattern (linear in a robots.txt of blank lines) and skips a line that is not UTF-8. A
    line longer than any fetched URL (:func:`~crawler.urls.too_long`) is given unresolved."""
    body = robots_txt.encode("utf-8") if isinstance(robots_txt, str) else robots_txt
    urls: list[str | None] = []
    # Scrapy's sitemap_urls_from_robots, with a line urljoin refuses skipped instead of ending the read
    for line in BytesIO(body):
        if line.lstrip()[:8].lower() == b"sitemap:":
            try:
                href = line.partition(b":")[2].strip().decode()
            except UnicodeDecodeError:
                urls.append(None)
                continue
            # an empty line would join to robots.txt itself, read as a sitemap; one too long to fetch is left as
            # it is, not resolved, for the caller to count as such
            urls.append(href if too_long(href) else joined(base_url, href) if href else None)
    return urls
