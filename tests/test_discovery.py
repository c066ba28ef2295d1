"""Feed and sitemap parsers on the replica's files and on broken input."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
from parsel import Selector

from crawler.discovery import Link
from crawler.discovery.feeds import is_feed, parse_feed
from crawler.discovery.html import feed_links, next_page, robots_sitemaps, wp_api_root
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.wpapi import parse_posts, posts_url
from crawler.discovery.xml import gunzip_if_needed, local, stream_xml
from crawler.spiders.discovery import paged_feed_url
from tests.conftest import REPLICAS

SITE = REPLICAS / "asiaplus"


def test_rss_feed_links_with_dates() -> None:
    links = parse_feed((SITE / "en/feed/index.xml").read_bytes())
    assert [link.url for link in links] == [
        "https://asiaplus.news/en/2025/06/02/tajikistan-and-kyrgyzstan-open-new-border-checkpoint/",
        "https://asiaplus.news/en/2022/10/19/tajik-officials-meet-with-csto-sg-in-dushanbe-to-discuss-improvement-of-protection-of-tajik-afghan-border/",
    ]
    assert links[1].date == datetime(2022, 10, 19, 9, 25, tzinfo=UTC)


def test_atom_feed() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <entry><title>x</title><link rel="alternate" href="https://kun.uz/news/2025/01/02/x"/>
      <published>2025-01-02T10:00:00+05:00</published></entry></feed>"""
    assert parse_feed(atom)[0].url == "https://kun.uz/news/2025/01/02/x"
    assert parse_feed(atom)[0].date == datetime(2025, 1, 2, 5, 0, tzinfo=UTC)
    assert is_feed(atom)


@pytest.mark.parametrize("body", [b"", b"<html><body>not a feed</body></html>", b"\x00\x01garbage", b"<rss><channel>"])
def test_broken_feeds_give_no_links(body: bytes) -> None:
    assert parse_feed(body) == []


def test_sitemap_index_and_urlset() -> None:
    index = parse_sitemap((SITE / "en/sitemap_index.xml").read_bytes())
    assert index is not None and index.is_index
    assert "https://asiaplus.news/en/post-sitemap.xml" in [link.url for link in index.links]
    posts = parse_sitemap((SITE / "en/post-sitemap.xml").read_bytes())
    assert posts is not None and not posts.is_index
    assert all(link.date is not None for link in posts.links)


def test_gzipped_news_sitemap_uses_publication_date() -> None:
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
            xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://24.kg/obschestvo/1/</loc><lastmod>2025-03-02T00:00:00+06:00</lastmod>
        <news:news><news:publication_date>2025-03-01T12:00:00+06:00</news:publication_date></news:news></url>
    </urlset>"""
    sitemap = parse_sitemap(gzip.compress(xml))
    assert sitemap is not None
    assert sitemap.links[0].date == datetime(2025, 3, 1, 6, 0, tzinfo=UTC)


def test_gzip_bomb_is_refused() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        gunzip_if_needed(gzip.compress(b"<" * 2_000_000), limit=1_000_000)


@pytest.mark.parametrize("body", [b"\x1f\x8b\x08\x00garbage", gzip.compress(b"<urlset>")[:12]])
def test_corrupt_gzip_is_not_a_sitemap(body: bytes) -> None:
    assert parse_sitemap(body) is None


@pytest.mark.parametrize("body", [b"", b"<html/>", (SITE / "en/feed/index.xml").read_bytes()])
def test_non_sitemaps_are_rejected(body: bytes) -> None:
    assert parse_sitemap(body) is None


def test_wordpress_api_posts() -> None:
    body = b"""[{"id": 7, "link": "https://timesca.com/story/", "date_gmt": "2025-03-14T04:10:00",
                 "modified_gmt": "2025-03-15T00:00:00"}, {"id": 8}]"""
    links = parse_posts(body)
    assert links == [Link("https://timesca.com/story/", datetime(2025, 3, 14, 4, 10, tzinfo=UTC))]
    assert parse_posts(b'{"code": "rest_post_invalid_page_number"}') is None
    assert parse_posts(b"<html>") is None
    assert posts_url("https://timesca.com/wp-json/wp/v2/posts", 2).startswith(
        "https://timesca.com/wp-json/wp/v2/posts?per_page=50&page=2&orderby=date&order=desc")


def test_home_page_hints() -> None:
    sel = Selector(text="""<html><head>
      <link rel="alternate" type="application/rss+xml" href="/feed/">
      <link rel="alternate" type="application/rss+xml" href="/comments/feed/">
      <link rel="alternate" hreflang="ru" href="/ru/">
      <link rel="https://api.w.org/" href="https://site.kg/wp-json/">
      <link rel="next" href="/page/2/"></head></html>""")
    assert feed_links(sel, "https://site.kg/") == ["https://site.kg/feed/"]
    assert wp_api_root(sel, "https://site.kg/") == "https://site.kg/wp-json/"
    assert next_page(sel, "https://site.kg/") == "https://site.kg/page/2/"
    assert next_page(Selector(text='<a class="next" href="?page=3">»</a>'), "https://24.kg/x/") == "https://24.kg/x/?page=3"
    assert next_page(Selector(text="<p>last page</p>"), "https://24.kg/") is None


def test_robots_sitemaps() -> None:
    robots = "User-agent: *\nDisallow: /wp-admin/\nSitemap: https://a.tj/s1.xml\nsitemap:https://a.tj/s2.xml\n"
    assert robots_sitemaps(robots) == ["https://a.tj/s1.xml", "https://a.tj/s2.xml"]


def test_robots_sitemaps_read_as_scrapy_does() -> None:
    """Scrapy's reader: relative URLs joined to the robots.txt's, a line that is not UTF-8 skipped,
    each sitemap once (the local reader dropped relative ones and kept a bad line mangled)."""
    robots = b"Sitemap: /s1.xml\nSitemap: https://a.tj/s\xff.xml\n  SITEMAP: https://a.tj/s2.xml\r\nSitemap: /s1.xml\n"
    assert robots_sitemaps(robots, base_url="https://a.tj/robots.txt") == ["https://a.tj/s1.xml", "https://a.tj/s2.xml"]


def test_gzipped_feed_cut_short_keeps_the_items_before_the_cut() -> None:
    """Scrapy's gunzip gives what a truncated body holds (the local copy refused the whole feed)."""
    items = "".join(f"<item><link>https://a.tj/news/{n}/</link></item>" for n in range(2_000))
    body = gzip.compress(f"<rss><channel>{items}</channel></rss>".encode())
    links = parse_feed(body[: len(body) // 2])
    assert 100 < len(links) < 2_000
    assert links[0].url == "https://a.tj/news/0/"


def test_paged_feed_url() -> None:
    assert paged_feed_url("https://timesca.com/feed/", 2) == "https://timesca.com/feed/?paged=2"
    assert paged_feed_url("https://kaktus.media/?rss", 3) == "https://kaktus.media/?rss&paged=3"


def urlset(*entries: tuple[str, str | None]) -> bytes:
    urls = "".join(f"<url><loc>https://a.tj/{path}</loc>{f'<lastmod>{day}</lastmod>' if day else ''}</url>"
                   for path, day in entries)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


@pytest.mark.parametrize(("entries", "cap", "kept"), [
    ([("a", "2025-01-03"), ("b", "2025-01-01"), ("c", "2025-01-04"), ("d", "2025-01-02")], 2, ["a", "c"]),
    ([("a", None), ("b", "2025-01-01"), ("c", None), ("d", None)], 2, ["a", "b"]),  # dated first, then file order
    ([("a", None), ("b", None), ("c", None)], 2, ["a", "b"]),
    ([("a", "2025-01-01"), ("b", None)], 5, ["a", "b"]),
])
def test_sitemap_over_the_entry_cap_keeps_the_newest_in_file_order(
        entries: list[tuple[str, str | None]], cap: int, kept: list[str]) -> None:
    sitemap = parse_sitemap(urlset(*entries), max_entries=cap)
    assert sitemap is not None
    assert [link.url.rsplit("/", 1)[1] for link in sitemap.links] == kept
    assert sitemap.skipped == len(entries) - len(kept)


def test_a_gzipped_sitemap_past_the_size_limit_keeps_what_was_read() -> None:
    body = gzip.compress(urlset(*[(f"news/{n}", "2025-01-01") for n in range(5_000)]))
    elements = list(stream_xml(body, limit=50_000))  # about a fifth of the document
    assert local(elements[0].tag) == "urlset"
    assert 100 < len(elements) - 1 < 5_000
