"""One test of whether a crawl is stopping (``crawler.stopping.crawl_stopping``), and the components that ask it
agreeing, on a real crawler: not while the spider opens (the engine built, not yet running), yes once
``Crawler.stop_async`` ran, yes when a stop passed while the engine started (``crawling`` off, the engine running)."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.utils.test import get_crawler

from crawler.downloader import NotSentWhileStopping
from crawler.frontier.extension import Frontier
from crawler.opening_stop import passed_by
from crawler.stopping import crawl_stopping
from tests.test_host_down_rules import answer, fail, middleware, sent


def opening_crawler() -> Crawler:
    """A crawler as ``Crawler.crawl_async`` leaves it while the spider opens: crawling, its engine built."""
    crawler = get_crawler(Spider, settings_dict={"DOWNLOADER": "crawler.downloader.StoppingDownloader"})
    crawler.crawling = True
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    return crawler


def test_a_crawl_is_stopping_once_stop_async_ran() -> None:
    crawler = opening_crawler()
    assert not crawl_stopping(crawler)
    asyncio.run(crawler.stop_async())
    assert crawl_stopping(crawler)


def test_an_object_without_crawling_was_never_stopped() -> None:
    assert not crawl_stopping(object())  # type: ignore[arg-type]


def test_the_frontier_is_not_stopping_while_the_spider_opens() -> None:
    """The engine is not running yet while the spider opens: the frontier no longer takes that for a stop (a failed
    download would stay in flight, handed back as ``frontier/failed_by_stop``)."""
    crawler = opening_crawler()
    frontier = Frontier(crawler, None)
    assert not frontier.stopping()
    asyncio.run(crawler.stop_async())
    assert frontier.stopping()


def test_a_stop_that_passed_while_the_engine_started_is_seen_by_all() -> None:
    crawler = opening_crawler()
    assert crawler.engine is not None
    crawler.engine.running = True  # started: Scrapy's stop_async then finds crawling already off and lets it pass
    crawler.crawling = False
    assert passed_by(crawler)
    assert Frontier(crawler, None).stopping()


def test_a_host_down_wait_ends_on_the_stop() -> None:
    mw = middleware()
    answer(mw)
    fail(mw, 2)
    assert not sent(mw, timeout=0.1)  # waits for the host
    asyncio.run(mw.crawler.stop_async())
    with pytest.raises(NotSentWhileStopping):
        sent(mw)
