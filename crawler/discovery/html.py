"""Discovery hints in HTML pages and robots.txt: feed links, next-page links, sitemaps."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urljoin

from parsel import Selector

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
_NEXT = ('link[rel="next"]::attr(href)', 'a[rel="next"]::attr(href)', "a.next::attr(href)",
         ".pagination a.next::attr(href)", "a.next-page::attr(href)", ".nav-previous a::attr(href)")


def joined(base_url: str, href: str) -> str | None:
    """``href`` resolved against ``base_url``; None when urljoin refuses it (``http://[::1``, ``http://[zz]/``):
    one bad link on a page must not end the reading of the page."""
    try:
        return urljoin(base_url, href.strip())
    except ValueError:
        return None


def feed_links(sel: Selector, base_url: str) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml">``."""
    hrefs = []
    for link in sel.css('link[rel~="alternate"]'):
        if (link.attrib.get("type") or "").lower() in _FEED_TYPES and link.attrib.get("href"):
            hrefs.append(joined(base_url, link.attrib["href"]))
    return list(dict.fromkeys(h for h in hrefs if h is not None and "/comments/" not in h))


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
    return list(dict.fromkeys(url for url in robots_sitemap_lines(robots_txt, base_url) if url))


def robots_sitemap_lines(robots_txt: bytes | str, base_url: str = "") -> list[str | None]:
    """The URL of each ``Sitemap:`` line of a robots.txt, relative ones joined to ``base_url``; None for a line
    that names no URL (not UTF-8, empty, refused by urljoin), for the caller to count. Scrapy's reader takes one
    line at a time with no pattern (linear in a robots.txt of blank lines) and skips a line that is not UTF-8."""
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
            # an empty line would join to robots.txt itself, read as a sitemap
            urls.append(joined(base_url, href) if href else None)
    return urls
