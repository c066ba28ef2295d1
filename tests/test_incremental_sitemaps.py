"""The incremental middleware owns high-water-mark sitemap pruning: through ``build_from_crawler``
with the spider and a real store on nx-27017 (the spider's index output run through the middleware),
and a real second ``scrapy crawl`` where the pruned sitemaps leave the sitemap cap to the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import XmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.middlewares.incremental import SITEMAP_LASTMOD_META, IncrementalMiddleware
from crawler.spiders.news import NewsSpider
from crawler.urls import url_id
from tests import endless_site as site
from tests.conftest import MongoTarget
from tests.test_incremental import crawl, last_run_stats
from tests.test_pipelines import STORAGE_EXTENSIONS

NEWEST = datetime(2026, 5, 1, 12, tzinfo=UTC)  # the site's newest stored article
OLD = NEWEST - timedelta(days=30)  # before the mark (newest - 7 d, the longest default revisit step)


def index(*children: tuple[str, datetime | None]) -> XmlResponse:
    """A sitemap index of the endless site listing ``(name, lastmod)`` children."""
    entries = "".join(f"<sitemap><loc>https://{site.DOMAIN}/s/{name}.xml</loc>"
                      + (f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "") + "</sitemap>"
                      for name, lastmod in children)
    body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    return XmlResponse(f"https://{site.DOMAIN}/s/index.xml", body=body.encode())


def store_article(mongo: MongoTarget, published: datetime) -> None:
    url = f"https://{site.DOMAIN}/news/1/"
    mongo.db.articles.insert_one({"_id": url_id(url), "url": url, "urls": [url], "site": "endless",
                                  "published": published, "last_checked": published})


@pytest.fixture
def crawl_step(mongo: MongoTarget, tmp_path: Path) -> Iterator[tuple[NewsSpider, IncrementalMiddleware]]:
    """The endless site's spider, its start requests read (the configured sitemap takes one of a cap of
    4 sitemaps), and the incremental middleware built from the same crawler, on the test database."""
    config = site.write_config(tmp_path, f'sitemaps = ["https://{site.DOMAIN}/s/root.xml"]')
    crawler = get_crawler(NewsSpider, {"MONGO_URI": mongo.uri, "MONGO_DATABASE": mongo.database,
                                       "DISCOVERY_MAX_SITEMAPS": 4, "EXTENSIONS": STORAGE_EXTENSIONS})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    spider = NewsSpider.from_crawler(crawler, config=str(config))
    assert len(list(spider.discovery_requests())) == 2  # the configured sitemap and robots.txt
    middleware = build_from_crawler(IncrementalMiddleware, crawler)
    yield spider, middleware
    asyncio.run(middleware.storage.close())


def open_and_read(spider: NewsSpider, middleware: IncrementalMiddleware, response: XmlResponse) -> list[Any]:
    """Open the spider (the middleware asks the store for the mark), then run ``parse_sitemap`` of
    ``response`` through the middleware's output hook, one element at a time as Scrapy does."""
    async def run() -> list[Any]:
        await middleware.spider_opened(spider)

        async def output() -> AsyncIterator[Any]:
            for element in spider.parse_sitemap(response, spider.site.editions[0]):
                yield element

        return [r async for r in middleware.process_spider_output(response, output())]

    return asyncio.run(run())


def names(requests: list[scrapy.Request]) -> list[str]:
    return [r.url.rsplit("/", 1)[1] for r in requests]


def stats(spider: NewsSpider) -> dict[str, Any]:
    return spider.crawler.stats.get_stats()  # type: ignore[union-attr]


def test_the_middleware_sets_no_attribute_on_the_spider(
        mongo: MongoTarget, crawl_step: tuple[NewsSpider, IncrementalMiddleware]) -> None:
    spider, middleware = crawl_step
    store_article(mongo, NEWEST)
    before = dict(vars(spider))
    kept = open_and_read(spider, middleware, index(("new", NEWEST), ("old", OLD)))
    assert set(vars(spider)) == set(before)
    assert all(vars(spider)[k] is v for k, v in before.items())
    assert names(kept) == ["new.xml"]  # the pruning happened all the same
    assert stats(spider)["incremental/high_water_mark"] == (NEWEST - timedelta(days=7)).isoformat()
    assert stats(spider)["discovery/skipped/below_high_water"] == 1


def test_sitemaps_below_the_mark_are_dropped_and_take_no_cap(
        mongo: MongoTarget, crawl_step: tuple[NewsSpider, IncrementalMiddleware]) -> None:
    spider, middleware = crawl_step
    store_article(mongo, NEWEST)
    response = index(("old1", OLD), ("undated", None), ("new", NEWEST - timedelta(days=1)),
                     ("old2", OLD - timedelta(days=1)), ("old3", OLD - timedelta(days=2)))
    kept = open_and_read(spider, middleware, response)
    # root + new + undated fit the cap of 4 only if the three old ones, dropped, took none of it
    assert names(kept) == ["new.xml", "undated.xml"]
    assert kept[0].priority > kept[1].priority  # still newest first
    assert kept[0].meta[SITEMAP_LASTMOD_META] == NEWEST - timedelta(days=1)
    assert SITEMAP_LASTMOD_META not in kept[1].meta
    assert stats(spider)["discovery/skipped/below_high_water"] == 3
    assert "discovery/skipped/sitemap_count" not in stats(spider)
    # A pruned sitemap was never asked for: listed again with a fresh lastmod, it is (the 4th)
    again = list(spider.parse_sitemap(index(("old1", NEWEST), ("new2", NEWEST)), spider.site.editions[0]))
    assert names(again) == ["old1.xml"]
    assert stats(spider)["discovery/skipped/sitemap_count"] == 1  # new2: the cap is full now


def test_without_stored_articles_no_sitemap_is_pruned(
        crawl_step: tuple[NewsSpider, IncrementalMiddleware]) -> None:
    spider, middleware = crawl_step
    kept = open_and_read(spider, middleware, index(("new", NEWEST), ("old", OLD)))
    assert names(kept) == ["new.xml", "old.xml"]
    assert "incremental/high_water_mark" not in stats(spider)
    assert "discovery/skipped/below_high_water" not in stats(spider)


def test_a_second_crawl_prunes_old_sitemaps_without_spending_the_sitemap_cap(mongo: MongoTarget) -> None:
    crawl(mongo)
    # 3 configured indexes + the English edition's 3 fresh children take 6 of a cap of 7; the Russian (2)
    # and Tajik (1) children are older than the mark: counted against it, they would crowd out fresh ones.
    second = set(crawl(mongo, "DISCOVERY_MAX_SITEMAPS=7", "DISCOVERY_CONDITIONAL_ENABLED=0"))
    assert {"/en/post-sitemap.xml", "/en/category-sitemap.xml", "/en/author-sitemap.xml"} <= second
    assert not {"/post-sitemap.xml", "/category-sitemap.xml", "/tj/post-sitemap.xml"} & second
    stats = last_run_stats(mongo)
    assert stats["discovery/skipped/below_high_water"] == 3
    assert "discovery/skipped/sitemap_count" not in stats
