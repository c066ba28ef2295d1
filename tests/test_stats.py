"""The crawl's stats collector: Scrapy's MemoryStatsCollector's stats, without its per-access wrapper."""

from __future__ import annotations

from typing import Any

from scrapy.spiders import Spider
from scrapy.statscollectors import MemoryStatsCollector, StatsCollector
from scrapy.utils.test import get_crawler

import crawler.settings
import crawler.stats


def _use(stats: Any, spider: Spider) -> dict[str, Any]:
    stats.open_spider()
    stats.set_value("a", 1)
    stats.inc_value("b")
    stats.inc_value("b", 2, start=10)
    stats.max_value("m", 3)
    stats.max_value("m", 2)
    stats.min_value("n", 3)
    stats.min_value("n", 1)
    stats.set_stats({**stats.get_stats(), "c": stats.get_value("a", 0) + stats.get_value("z", 5)})
    return dict(stats.get_stats())


def test_the_project_crawls_with_it() -> None:
    crawler_ = get_crawler(Spider, settings_dict={"STATS_CLASS": crawler.settings.STATS_CLASS})
    assert type(crawler_.stats) is crawler.stats.StatsCollector
    assert isinstance(crawler_.stats, MemoryStatsCollector)


def test_the_same_stats_as_scrapys_and_no_python_getattribute_on_each_call() -> None:
    spider = Spider("x")
    ours, scrapys = (kind(get_crawler(Spider)) for kind in (crawler.stats.StatsCollector, MemoryStatsCollector))
    assert _use(ours, spider) == _use(scrapys, spider) == {"a": 1, "b": 3, "m": 3, "n": 1, "c": 6}
    assert type(ours).__getattribute__ is object.__getattribute__
    assert StatsCollector.__getattribute__ is not object.__getattribute__  # what this class is for


def test_a_callers_spider_argument_is_still_taken() -> None:
    stats = crawler.stats.StatsCollector(get_crawler(Spider))
    stats.inc_value("b", spider=Spider("x"))
    assert stats.get_value("b", spider=None) == 1
