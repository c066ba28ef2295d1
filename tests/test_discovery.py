"""Feed and sitemap parsers on the replica's files and on broken input."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from crawler.discovery.feeds import is_feed, parse_feed
from crawler.discovery.sitemaps import parse_sitemap
from crawler.discovery.xml import gunzip_if_needed
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
