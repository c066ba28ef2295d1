"""Discovery caps without network: the limits from settings, the spider's sitemap, page and
article-limit decisions on given responses, and the scheduler dropping queued discovery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.discovery.limits import MAX_ANNOUNCED_FEEDS, DiscoveryLimits
from crawler.scheduler import DISCOVERY_META, DiscoveryLimitScheduler
from crawler.spiders.news import NewsSpider
from tests import endless_site as site


@pytest.mark.parametrize(("settings", "expected"), [
    ({}, DiscoveryLimits(500, 3, 50_000, 1_000, 2_000)),
    ({"DISCOVERY_MAX_PAGE_LINKS": "300"}, DiscoveryLimits(500, 3, 50_000, 1_000, 300)),
    ({"DISCOVERY_MAX_SITEMAPS": "20", "DISCOVERY_MAX_SITEMAP_DEPTH": 0}, DiscoveryLimits(20, 0, 50_000)),
    ({"DISCOVERY_MAX_SITEMAP_ENTRIES": 10}, DiscoveryLimits(500, 3, 10)),
    ({"DISCOVERY_MAX_FEED_ENTRIES": "50"}, DiscoveryLimits(500, 3, 50_000, 50)),
    ({"DISCOVERY_MAX_QUEUED_ARTICLES": "10"}, DiscoveryLimits(max_queued_articles=10)),
])
def test_limits_from_settings(settings: dict[str, Any], expected: DiscoveryLimits) -> None:
    assert DiscoveryLimits.from_settings(Settings(settings)) == expected


@pytest.mark.parametrize("settings", [{"DISCOVERY_MAX_SITEMAPS": 0}, {"DISCOVERY_MAX_SITEMAP_DEPTH": -1},
                                      {"DISCOVERY_MAX_SITEMAP_ENTRIES": 0}, {"DISCOVERY_MAX_FEED_ENTRIES": 0},
                                      {"DISCOVERY_MAX_PAGE_LINKS": 0}, {"DISCOVERY_MAX_QUEUED_ARTICLES": 0}])
def test_limits_below_their_minimum_fail_loudly(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"DISCOVERY_MAX_(SITEMAP|FEED|PAGE|QUEUED)"):
        DiscoveryLimits.from_settings(Settings(settings))


def spider(tmp_path: Path, sources: str = "", settings: dict[str, Any] | None = None, **args: str) -> NewsSpider:
    config = site.write_config(tmp_path, sources)
    crawler = get_crawler(NewsSpider, settings or {})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return NewsSpider.from_crawler(crawler, config=str(config), **args)  # type: ignore[no-any-return]


def stats(spider: NewsSpider) -> dict[str, Any]:
    return spider.crawler.stats.get_stats()  # type: ignore[union-attr]


def index(*children: str) -> XmlResponse:
    return XmlResponse(f"https://{site.DOMAIN}/sitemap/x.xml", body=site.sitemap_index(list(children)))


def read_sitemap(spider: NewsSpider, response: XmlResponse, depth: int = 0) -> list[scrapy.Request]:
    return list(spider.parse_sitemap(response, spider.site.editions[0], depth=depth))


def test_index_children_past_the_depth_cap_are_counted_not_requested(tmp_path: Path) -> None:
    crawl = spider(tmp_path, settings={"DISCOVERY_MAX_SITEMAP_DEPTH": 2})
    assert len(read_sitemap(crawl, index("/sitemap/a.xml", "/sitemap/b.xml"), depth=1)) == 2
    assert read_sitemap(crawl, index("/sitemap/c.xml", "/sitemap/d.xml"), depth=2) == []
    assert stats(crawl)["discovery/skipped/sitemap_depth"] == 2


def test_sitemaps_past_the_count_cap_are_counted_not_requested(tmp_path: Path) -> None:
    crawl = spider(tmp_path, f'sitemaps = ["https://{site.DOMAIN}/sitemap/root.xml"]',
                   settings={"DISCOVERY_MAX_SITEMAPS": 3})
    assert len(list(crawl.discovery_requests())) == 2  # the configured sitemap and robots.txt
    children = read_sitemap(crawl, index(*(f"/sitemap/{n}.xml" for n in range(5))))
    assert [r.url.rsplit("/", 1)[1] for r in children] == ["0.xml", "1.xml"]  # the newest two
    assert stats(crawl)["discovery/skipped/sitemap_count"] == 3


def test_a_sitemap_is_requested_once_per_run(tmp_path: Path) -> None:
    crawl = spider(tmp_path, f'sitemaps = ["https://{site.DOMAIN}/sitemap/a.xml"]')
    list(crawl.discovery_requests())
    requests = read_sitemap(crawl, index("/sitemap/a.xml", "/sitemap/a.xml#again", "/sitemap/b.xml"))
    assert [r.url for r in requests] == [f"https://{site.DOMAIN}/sitemap/b.xml"]
    assert stats(crawl)["discovery/skipped/sitemap_seen"] == 2


def test_index_children_are_asked_for_newest_first(tmp_path: Path) -> None:
    body = (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>https://endless.kg/s/2019.xml</loc><lastmod>2019-12-31</lastmod></sitemap>"
            b"<sitemap><loc>https://endless.kg/s/undated.xml</loc></sitemap>"
            b"<sitemap><loc>https://endless.kg/s/2025.xml</loc><lastmod>2025-12-31</lastmod></sitemap>"
            b"</sitemapindex>")
    requests = read_sitemap(spider(tmp_path), XmlResponse("https://endless.kg/s/index.xml", body=body))
    assert [r.url.rsplit("/", 1)[1] for r in requests] == ["2025.xml", "2019.xml", "undated.xml"]
    assert requests[0].priority > requests[1].priority > requests[2].priority


def test_a_listing_page_repeating_the_one_before_is_not_followed(tmp_path: Path) -> None:
    crawl = spider(tmp_path, "listing_pages = 10")
    edition = crawl.site.editions[0]
    first = list(crawl.parse_listing(HtmlResponse(f"https://{site.DOMAIN}/list/", body=site._listing(1)), edition))
    following = first[-1]
    assert following.url.endswith("/list/?p=2") and following.meta[DISCOVERY_META]
    second = HtmlResponse(f"https://{site.DOMAIN}/list/?p=2", body=site._listing(2))
    assert list(crawl.parse_listing(second, edition, **{k: v for k, v in following.cb_kwargs.items()
                                                        if k != "edition"})) == []
    assert stats(crawl)["discovery/skipped/repeated_page"] == 1


def test_the_article_limit_ends_discovery_callbacks(tmp_path: Path) -> None:
    crawl = spider(tmp_path, f'feeds = ["https://{site.DOMAIN}/feed/"]', limit="2")
    edition = crawl.site.editions[0]
    feed = XmlResponse(f"https://{site.DOMAIN}/feed/", body=site._feed())
    assert len(list(crawl.parse_feed(feed, edition))) == 2
    assert crawl.limit_reached
    assert read_sitemap(crawl, index("/sitemap/a.xml")) == []
    assert list(crawl.parse_listing(HtmlResponse(f"https://{site.DOMAIN}/list/", body=site._listing(1)), edition)) == []
    assert stats(crawl)["discovery/skipped/limit_reached"] == 2


def test_the_scheduler_drops_queued_discovery_once_the_limit_is_reached(tmp_path: Path) -> None:
    # Scrapy's default queue asks the downloader (a running engine) for slots; this one does not.
    crawl = spider(tmp_path, f'feeds = ["https://{site.DOMAIN}/feed/"]', limit="2",
                   settings={"SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
    scheduler = DiscoveryLimitScheduler.from_crawler(crawl.crawler)
    scheduler.open(crawl)
    sitemap = crawl._sitemap_request(f"https://{site.DOMAIN}/sitemap/a.xml", 0)
    assert sitemap is not None
    scheduler.enqueue_request(sitemap)
    articles = list(crawl.parse_feed(XmlResponse(f"https://{site.DOMAIN}/feed/", body=site._feed()),
                                     crawl.site.editions[0]))
    for request in articles:
        scheduler.enqueue_request(request)
    assert {scheduler.next_request(), scheduler.next_request(), scheduler.next_request()} == {*articles, None}
    assert stats(crawl)["discovery/skipped/limit_reached"] == 1


# A hostile listing or API page links to as many pages as fit under DOWNLOAD_MAXSIZE: 200,000 links of a 5 MB listing
# took two minutes of the crawl process's event loop and were 200,000 requests.
FLOOD = [f"https://{site.DOMAIN}/news/{n}/" for n in range(1, 16)]


@pytest.mark.parametrize("callback", ["parse_listing", "parse_home"])
def test_a_page_of_more_links_than_the_cap_is_read_to_it(tmp_path: Path, callback: str) -> None:
    crawl = spider(tmp_path, settings={"DISCOVERY_MAX_PAGE_LINKS": 10})
    body = "".join(f"<a href='{url}'>a</a>" for url in FLOOD).encode()
    requests = list(getattr(crawl, callback)(HtmlResponse(f"https://{site.DOMAIN}/list/", body=body),
                                             crawl.site.editions[0]))
    assert [r.url for r in requests if r.callback.__name__ == "parse_article"] == FLOOD[:10]  # type: ignore[union-attr]
    assert stats(crawl)["discovery/skipped/page_links"] == 5


def test_a_wordpress_api_page_of_more_posts_than_the_feed_cap_is_read_to_it(tmp_path: Path) -> None:
    crawl = spider(tmp_path, f'wp_api = "https://{site.DOMAIN}/wp-json/wp/v2/posts"',
                   settings={"DISCOVERY_MAX_FEED_ENTRIES": 10})
    body = json.dumps([{"link": url, "date_gmt": "2026-05-01T11:00:00"} for url in FLOOD]).encode()
    response = TextResponse(f"https://{site.DOMAIN}/wp-json/wp/v2/posts?page=1", body=body)
    requests = list(crawl.parse_wp_api(response, crawl.site.editions[0]))
    assert [r.url for r in requests if r.callback.__name__ == "parse_article"] == FLOOD[:10]  # type: ignore[union-attr]
    assert stats(crawl)["discovery/skipped/feed_entries"] == 5


@pytest.mark.parametrize("callback", ["parse_listing", "parse_home"])
def test_the_link_cap_counts_distinct_candidate_links(tmp_path: Path, callback: str) -> None:
    # A mega-menu: 1,000 nav hrefs (300 distinct, some with a fragment), 1,000 "#", mailto: and javascript: links,
    # then the page's 50 articles; the default cap of 2,000 hrefs read none of the articles.
    crawl = spider(tmp_path)
    nav = [f"/topic/{n % 300}/" + ("#menu" if n % 7 == 0 else "") for n in range(1_000)]
    junk = ["#", " #top ", "mailto:desk@endless.kg", "javascript:void(0)", "JavaScript:open()", "tel:+996"] * 167
    articles = [f"https://{site.DOMAIN}/news/{n}/" for n in range(1, 51)]
    body = "".join(f"<a href='{href}'>a</a>" for href in [*nav, *junk, *articles]).encode()
    requests = list(getattr(crawl, callback)(HtmlResponse(f"https://{site.DOMAIN}/list/", body=body),
                                             crawl.site.editions[0]))
    assert [r.url for r in requests if r.callback.__name__ == "parse_article"] == articles  # type: ignore[union-attr]
    assert "discovery/skipped/page_links" not in stats(crawl)


def test_a_home_page_announcing_more_feeds_than_the_cap_is_read_to_it(tmp_path: Path) -> None:
    # 50,000 <link rel="alternate"> feeds on a home page were 50,000 feed requests (the real crawl: 294 MB, 9,375
    # fetched in ten minutes before the site's first article).
    crawl = spider(tmp_path)
    feeds = [f"https://{site.DOMAIN}/feed/{n}/" for n in range(MAX_ANNOUNCED_FEEDS * 3)]
    links = "".join(f"<link rel='alternate' type='application/rss+xml' href='{url}'>" for url in feeds)
    body = f"<html><head>{links}</head><body><a href='/news/1/'>a</a></body></html>".encode()
    requests = list(crawl.parse_home(HtmlResponse(f"https://{site.DOMAIN}/", body=body), crawl.site.editions[0]))
    assert [r.url for r in requests if r.callback.__name__ == "parse_feed"] == feeds[:MAX_ANNOUNCED_FEEDS]  # type: ignore[union-attr]
    assert stats(crawl)["discovery/skipped/announced_feeds"] == 1
