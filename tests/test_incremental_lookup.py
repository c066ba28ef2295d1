"""The incremental middleware over a sitemap's worth of article links, through
``build_from_crawler`` with a real store on nx-27017: lookups go ``LOOKUP_BATCH`` links at a
time, and a lookup the server refuses lets its links through, counted, instead of losing them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pymongo
import pytest
from scrapy import Request, Spider
from scrapy.http import XmlResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import urls
from crawler.middlewares.incremental import (
    ARTICLE_URL_META,
    REVISIT_META,
    IncrementalMiddleware,
    article_key,
    revisit_meta,
)
from crawler.storage.store import ArticleStore, StoreTarget
from tests import endless_site
from tests.conftest import MongoTarget
from tests.test_discovery_limits import spider as discovery_spider
from tests.test_pipelines import STORAGE_EXTENSIONS
from tests.test_store_known import Finds, stored, url


@pytest.fixture
def middleware(mongo: MongoTarget) -> Iterator[tuple[IncrementalMiddleware, Finds]]:
    crawler = get_crawler(Spider, {**mongo.env(), "EXTENSIONS": STORAGE_EXTENSIONS})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    built = build_from_crawler(IncrementalMiddleware, crawler)
    finds = Finds()
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        mongo.uri, tz_aware=True, serverSelectionTimeoutMS=5000, event_listeners=[finds])
    built.store = ArticleStore(client[mongo.database], StoreTarget(mongo.uri, mongo.database, ""), client)
    try:
        yield built, finds
    finally:
        client.close()
        asyncio.run(built.storage.close())


def article_requests(urls: list[str]) -> list[Request]:
    return [Request(u, meta={ARTICLE_URL_META: u}) for u in urls]


def output(middleware: IncrementalMiddleware, requests: list[Request]) -> list[Request]:
    async def callback() -> AsyncIterator[Request]:
        for request in requests:
            yield request

    async def run() -> list[Request]:
        response = XmlResponse("https://endless.kg/sitemap.xml", body=b"<urlset/>")
        return [r async for r in middleware.process_spider_output(response, callback())]

    return asyncio.run(run())


def stat(middleware: IncrementalMiddleware, key: str) -> Any:
    return middleware.stats.get_value(key)


def test_links_are_looked_up_a_batch_at_a_time(middleware: tuple[IncrementalMiddleware, Finds]) -> None:
    incremental, finds = middleware
    incremental.store.db["articles"].insert_many([stored(n) for n in range(0, 2_500, 100)])  # type: ignore[union-attr]
    kept = output(incremental, article_requests([url(n) for n in range(2_500)]))
    assert [r.url for r in kept] == [url(n) for n in range(2_500) if n % 100]
    assert finds.sizes == [1_000, 1_000, 1_000, 1_000, 500, 500]  # ids then URLs, per batch of links
    assert stat(incremental, "incremental/known") == 25


def test_a_refused_lookup_lets_its_links_through_counted(middleware: tuple[IncrementalMiddleware, Finds]) -> None:
    incremental, _ = middleware
    incremental.store.db["articles"].insert_many([stored(n) for n in range(5)])  # type: ignore[union-attr]
    # A batch of links so long that MongoDB refuses the query (DocumentTooLarge, 20 MB), then normal ones.
    giants = [url(n, pad=20_000) for n in range(1_000, 2_000)]
    kept = output(incremental, article_requests([*giants, *(url(n) for n in range(10))]))
    assert [r.url for r in kept] == [*giants, *(url(n) for n in range(5, 10))]
    assert stat(incremental, "incremental/lookup_failed") == 1
    assert stat(incremental, "incremental/known") == 5


def test_a_revisit_retried_in_the_browser_passes_without_another_lookup(
        middleware: tuple[IncrementalMiddleware, Finds]) -> None:
    """A script shell's retry of a revisit carries its revisit meta: it is not looked up (and dropped as checked)
    again, nor counted twice."""
    incremental, finds = middleware
    incremental.store.db["articles"].insert_many([stored(n) for n in range(3)])  # type: ignore[union-attr]
    retry = Request(url(1), meta={ARTICLE_URL_META: url(1), "playwright": True,
                                  **revisit_meta({REVISIT_META: stored(1)["_id"]})})
    kept = output(incremental, [retry, *article_requests([url(2), url(3)])])
    assert kept[0] is retry and kept[0].meta["handle_httpstatus_list"] == [304, 404, 410]
    assert [r.url for r in kept] == [url(1), url(3)]
    assert finds.sizes == [2, 2]  # only the links the callback found
    assert stat(incremental, "incremental/revisit") is None


def test_each_link_of_a_big_sitemap_is_canonicalised_once(middleware: tuple[IncrementalMiddleware, Finds],
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Canonicalising runs in the crawl process: a link of a sitemap bigger than the URL caches is canonicalised
    once, by the spider, and its canonical form is handed to the store's lookup and the frontier's seen set
    (five times over a 50,000-entry sitemap, some seconds on the event loop, before)."""
    calls = Counter[str]()

    def counted(url: str) -> str:
        calls[url] += 1
        return urls._canonical(url)

    monkeypatch.setattr(urls, "_canonical_cached", lru_cache(maxsize=4096)(counted))  # cold caches, counted
    monkeypatch.setattr(urls, "_url_key_cached", lru_cache(maxsize=4096)(urls._url_key))
    built, _ = middleware
    crawl = discovery_spider(tmp_path)
    count = 6_000  # past the caches' 4,096 entries
    response = XmlResponse(f"https://{endless_site.DOMAIN}/sitemap/urls.xml", body=endless_site.urlset(range(count)))
    found = list(crawl.parse_sitemap(response, crawl.site.editions[0]))
    kept = output(built, found)
    assert len(kept) == count and stat(built, "incremental/new") == count
    assert crawl.crawler.stats.get_value("discovery/articles/sitemap") == count  # type: ignore[union-attr]
    assert [article_key(r) for r in kept] == [f"https://{endless_site.DOMAIN}/news/{n}/" for n in range(count)]
    links = {f"https://{endless_site.DOMAIN}/news/{n}/" for n in range(count)}
    assert {url: n for url, n in calls.items() if url in links} == dict.fromkeys(links, 1)
