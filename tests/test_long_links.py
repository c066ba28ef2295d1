"""Links no request can be made of for their length: a feed item, a sitemap entry, a sitemap index's child, a
listing's or home page's href, a next-page or feed link, a robots.txt ``Sitemap:`` line of megabytes. Scrapy never
fetches a URL over ``URLLENGTH_LIMIT`` (2,083 characters), so no work is spent on one: it is counted and skipped
before it is resolved or canonicalised. Canonicalising runs in the crawl process, about 2.6 µs a character for a
query of many parameters: one 7.9 MB href on a listing page held the event loop (every download, every site of a
``crawlall``) for 43 s. Through the spider's real callbacks, the canonicaliser watched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.test import get_crawler

import crawler.urls
from crawler.spiders.news import NewsSpider
from crawler.urls import MAX_URL_LENGTH
from tests import endless_site as site

GOOD = [f"https://{site.DOMAIN}/news/{n}/" for n in (1, 2)]
LONG = [f"https://{site.DOMAIN}/news/3/?" + "p=1&" * 50_000, f"https://{site.DOMAIN}/news/" + "4" * 200_000 + "/",
        " " * 3_000 + f"https://{site.DOMAIN}/news/5/" + "\t" * 3_000]  # the last one is short once stripped
SHORT_ONCE_STRIPPED = 1


@pytest.fixture
def canonicalised(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The length of each URL longer than any fetchable one that the crawl canonicalised."""
    lengths: list[int] = []
    canonical = crawler.urls._canonical

    def watched(url: str) -> str:
        if len(url.strip()) > MAX_URL_LENGTH:
            lengths.append(len(url))
        return canonical(url)

    monkeypatch.setattr(crawler.urls, "_canonical", watched)
    yield lengths


def spider(tmp_path: Path) -> NewsSpider:
    crawler_ = get_crawler(NewsSpider)
    crawler_.stats.open_spider()  # type: ignore[union-attr]
    config = site.write_config(tmp_path, f'feeds = ["https://{site.DOMAIN}/feed/"]')
    return NewsSpider.from_crawler(crawler_, config=str(config))  # type: ignore[no-any-return]


def stats(crawl: NewsSpider) -> dict[str, Any]:
    return crawl.crawler.stats.get_stats()  # type: ignore[union-attr]


def articles(requests: list[scrapy.Request]) -> list[str]:
    return [r.url for r in requests if r.callback.__name__ == "parse_article"]  # type: ignore[union-attr]


def feed(urls: list[str]) -> bytes:
    items = "".join(f"<item><title>t</title><link>{url}</link></item>" for url in urls)
    return f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>".encode()


def urlset(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in urls)
    return f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</urlset>".encode()


def page(urls: list[str]) -> bytes:
    links = "".join(f"<a href='{url}'>a</a>" for url in urls)
    long = LONG[0].replace("/news/3/", "/page/2/")
    return (f"<html><head><link rel='alternate' type='application/rss+xml' href='{long}'></head><body>{links}"
            f"<a rel='next' href='{long}'>next</a></body></html>").encode()


def test_feed_items_too_long_to_fetch_are_counted_not_canonicalised(tmp_path: Path, canonicalised: list[int]) -> None:
    crawl = spider(tmp_path)
    response = XmlResponse(f"https://{site.DOMAIN}/feed/", body=feed([GOOD[0], *LONG, GOOD[1]]))
    requests = list(crawl.parse_feed(response, crawl.site.editions[0]))
    assert sorted(articles(requests)) == [*GOOD, f"https://{site.DOMAIN}/news/5/"]
    assert stats(crawl)["discovery/skipped/url_too_long"] == len(LONG) - SHORT_ONCE_STRIPPED
    assert canonicalised == []


def test_sitemap_entries_too_long_to_fetch_are_counted_not_canonicalised(tmp_path: Path,
                                                                         canonicalised: list[int]) -> None:
    crawl = spider(tmp_path)
    response = XmlResponse(f"https://{site.DOMAIN}/sitemap.xml", body=urlset([GOOD[0], *LONG[:2], GOOD[1]]))
    assert sorted(articles(list(crawl.parse_sitemap(response, crawl.site.editions[0])))) == GOOD
    assert stats(crawl)["discovery/skipped/url_too_long"] == 2
    index = site.sitemap_index(["/sitemap/a.xml"]).replace(b"</sitemapindex>", b"".join(
        f"<sitemap><loc>{url}</loc></sitemap>".encode() for url in LONG[:2]) + b"</sitemapindex>")
    requests = list(crawl.parse_sitemap(XmlResponse(f"https://{site.DOMAIN}/index.xml", body=index),
                                        crawl.site.editions[0]))
    assert [r.url for r in requests] == [f"https://{site.DOMAIN}/sitemap/a.xml"]
    assert stats(crawl)["discovery/skipped/url_too_long"] == 4  # as an article link too long is counted
    assert "discovery/skipped/invalid_url" not in stats(crawl)
    assert canonicalised == []


@pytest.mark.parametrize("callback", ["parse_listing", "parse_home"])
def test_page_links_too_long_to_fetch_are_counted_not_canonicalised(tmp_path: Path, canonicalised: list[int],
                                                                    callback: str) -> None:
    crawl = spider(tmp_path)
    response = HtmlResponse(f"https://{site.DOMAIN}/list/", body=page([GOOD[0], *LONG[:2], GOOD[1]]))
    requests = list(getattr(crawl, callback)(response, crawl.site.editions[0]))
    assert articles(requests)[:2] == GOOD
    assert not [r.url for r in requests if len(r.url) > MAX_URL_LENGTH]  # nor the next page, nor the feed
    assert stats(crawl)["discovery/skipped/url_too_long"] == 3  # two links, and the next page's <a>
    assert canonicalised == []


def test_robots_sitemap_lines_too_long_to_fetch_are_counted_not_canonicalised(tmp_path: Path,
                                                                              canonicalised: list[int]) -> None:
    crawl = spider(tmp_path)
    body = (f"User-agent: *\nSitemap: https://{site.DOMAIN}/sitemap.xml\nSitemap: {LONG[0]}\nSitemap: {LONG[1]}\n"
            "Sitemap: http://[::1\n").encode()
    response = TextResponse(f"https://{site.DOMAIN}/robots.txt", body=body)
    requests = list(crawl.parse_robots(response, crawl.site.editions[0]))
    assert [r.url for r in requests] == [f"https://{site.DOMAIN}/sitemap.xml"]
    assert stats(crawl)["discovery/skipped/url_too_long"] == 2  # as an article link too long is counted
    assert stats(crawl)["discovery/skipped/invalid_url"] == 1  # the line that names no URL
    assert canonicalised == []
