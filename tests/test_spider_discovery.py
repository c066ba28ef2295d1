"""Spider-level discovery without network: which requests a crawl starts with."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.spiders.args import SpiderArgs
from crawler.spiders.news import NewsSpider
from crawler.spiders.sites import AsiaplusSpider  # type: ignore[attr-defined]

CONFIG = """
name = "example"
domains = ["example.kg", "ru.example.kg"]
article_url = '^https://example\\\\.kg/news/\\\\d+'
[[editions]]
language = "ky"
timezone = "Asia/Bishkek"
home = "https://example.kg/"
feeds = ["https://example.kg/feed/"]
wp_api = "https://example.kg/wp-json/wp/v2/posts"
archive = "https://example.kg/archive/{date:%Y-%m-%d}/"
[[editions]]
language = "ru"
timezone = "Asia/Bishkek"
home = "https://ru.example.kg/"
sitemaps = ["https://ru.example.kg/sitemap.xml"]
"""


def start_urls(spider) -> list[str]:  # type: ignore[no-untyped-def]
    return [request.url for request in spider.discovery_requests()]


def news_spider(tmp_path: Path, **args: str) -> NewsSpider:
    path = tmp_path / "example.toml"
    path.write_text(CONFIG, encoding="utf-8")
    crawler = get_crawler(NewsSpider)
    return NewsSpider.from_crawler(crawler, config=str(path), **args)  # type: ignore[no-any-return]


def test_start_requests_cover_every_source_and_host(tmp_path: Path) -> None:
    urls = start_urls(news_spider(tmp_path))
    assert urls[0] == "https://example.kg/feed/"
    assert urls[1].startswith("https://example.kg/wp-json/wp/v2/posts?per_page=50&page=1")
    assert "https://ru.example.kg/sitemap.xml" in urls
    assert urls[-2:] == ["https://example.kg/robots.txt", "https://ru.example.kg/robots.txt"]
    assert not [u for u in urls if "/archive/" in u]  # archives only when backfilling


def test_backfill_walks_the_day_archive_back_to_since(tmp_path: Path) -> None:
    since = (datetime.now(UTC) - timedelta(days=2)).date()
    archives = [u for u in start_urls(news_spider(tmp_path, since=since.isoformat())) if "/archive/" in u]
    assert len(archives) in (3, 4)  # today .. since, in the site's time zone
    assert archives[-1] == f"https://example.kg/archive/{since.isoformat()}/"


def test_sources_limit_a_run_to_some_discovery(tmp_path: Path) -> None:
    urls = start_urls(news_spider(tmp_path, sources="feeds,api"))
    assert urls[0] == "https://example.kg/feed/" and "wp-json" in urls[1]
    assert not [u for u in urls if "sitemap" in u or "robots" in u]


def test_mirror_rewrites_every_host(tmp_path: Path) -> None:
    urls = start_urls(news_spider(tmp_path, base_url="http://127.0.0.1:9999"))
    assert all(u.startswith("http://127.0.0.1:9999/") for u in urls)
    assert "http://127.0.0.1:9999/_hosts/ru.example.kg/sitemap.xml" in urls


def test_bundled_site_spider_has_the_site_politeness() -> None:
    slots = AsiaplusSpider.custom_settings["DOWNLOAD_SLOTS"]
    assert slots["asiaplus.news"] == {"concurrency": 2, "delay": 0.5}


def test_the_spider_holds_its_arguments_in_one_frozen_object(tmp_path: Path) -> None:
    spider = news_spider(tmp_path, since="2025-01-31", limit="3", sources="feeds", download_delay="2")
    path = str(tmp_path / "example.toml")
    assert spider.args == SpiderArgs(since=datetime(2025, 1, 31, tzinfo=UTC), limit=3,
                                     sources=frozenset({"feeds"}), config=path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spider.args.limit = 5  # type: ignore[misc]
    assert not {"config", "since", "limit", "sources"} & set(vars(spider))  # no ad-hoc attributes
    assert spider.download_delay == "2"  # any other -a value is still Scrapy's to set
    assert spider.strict_page_type is False  # a config file: stored as a bundled site is


def test_a_site_known_only_by_its_url_stores_only_declared_articles() -> None:
    spider = NewsSpider.from_crawler(get_crawler(NewsSpider), url="https://example.kg/")
    assert spider.args == SpiderArgs(url="https://example.kg/")
    assert spider.strict_page_type is True and spider.site.name == "example.kg"
