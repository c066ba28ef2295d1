"""A sitemap index whose sitemaps list more fresh article links than the run may queue at once
(``DISCOVERY_MAX_QUEUED_ARTICLES``): the first run's discovery ends once the queue is full (a hostile index of
500 sitemaps of 50,000 links each would queue 25 million requests, 2.5 KB of memory each), it records no source as
read, and the next runs go on from the same sitemaps until every article is stored once. The scheduler, then the
real ``scrapy crawl`` into nx-27017."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.middlewares.incremental import ARTICLE_KEY_META
from crawler.scheduler import DiscoveryLimitScheduler
from tests.crawling import StoreCrawl
from tests.hostile_site import article, site_config

DOMAIN = "fanout.kg"
SITEMAPS, PER_SITEMAP, MAX_QUEUED = 3, 20, 25


def slug(sitemap: int, n: int) -> str:
    return f"s{sitemap}-article-{n}"


class CappedSpider(Spider):
    name = "capped"
    queue_full = False  # as DiscoveryMixin's


def article_request(n: int) -> Request:
    url = f"https://{DOMAIN}/news/{n}/"
    return Request(url, meta={ARTICLE_KEY_META: url}, dont_filter=True)


def test_only_newly_discovered_articles_are_dropped_when_the_queue_is_full() -> None:
    # Scrapy's plain priority queue: the downloader-aware one needs a running engine
    crawler = get_crawler(CappedSpider, {"DISCOVERY_MAX_QUEUED_ARTICLES": 2,
                                         "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
    spider = crawler.spider = crawler._create_spider()
    scheduler = DiscoveryLimitScheduler.from_crawler(crawler)
    scheduler.open(spider)
    queued = [article_request(0), article_request(1)]
    assert [scheduler.enqueue_request(request) for request in queued] == [True, True]
    assert not spider.queue_full
    assert not scheduler.enqueue_request(article_request(2))
    assert spider.queue_full
    assert crawler.stats is not None
    assert crawler.stats.get_value("discovery/skipped/queue_full") == 1
    # a retry (Scrapy's copies the request), a redirect (a replaced request) and a revisit (no article key) pass
    assert scheduler.enqueue_request(queued[0].copy())
    assert scheduler.enqueue_request(queued[1].replace(url=f"https://{DOMAIN}/news/moved/"))
    assert scheduler.enqueue_request(Request(f"https://{DOMAIN}/news/old/", dont_filter=True))
    assert not scheduler.enqueue_request(article_request(3))
    assert (len(scheduler), crawler.stats.get_value("discovery/skipped/queue_full")) == (5, 2)
    scheduler.close("finished")


def build(root: Path) -> Path:
    """Undated links (the sitemaps, queued first, are all read before any article) in three sitemaps."""
    index = "".join(f"<sitemap><loc>https://{DOMAIN}/sitemap-{s}.xml</loc></sitemap>" for s in range(SITEMAPS))
    (root / "sitemap.xml").write_text(f"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{index}"
                                      "</sitemapindex>")
    for s in range(SITEMAPS):
        links = "".join(f"<url><loc>https://{DOMAIN}/news/{slug(s, n)}/</loc></url>" for n in range(PER_SITEMAP))
        (root / f"sitemap-{s}.xml").write_text(
            f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{links}</urlset>")
        for n in range(PER_SITEMAP):
            page = root / "news" / slug(s, n) / "index.html"
            page.parent.mkdir(parents=True)
            # each its own text: near copies would be joined into one record
            page.write_text(article(slug(s, n), extra=f"<p>Номер {s * 1000 + n}: {'слово' * (n + 1)} {s}.</p>"))
    config = root.parent / "fanout.toml"
    config.write_text(site_config("fanout", DOMAIN, "Asia/Bishkek",
                                  sources={"sitemaps": [f"https://{DOMAIN}/sitemap.xml"]}), encoding="utf-8")
    return config


@pytest.mark.e2e
def test_discovery_ends_when_the_queue_is_full_and_the_next_runs_go_on(tmp_path: Path,
                                                                        crawl_into_store: StoreCrawl) -> None:
    root = tmp_path / "site"
    root.mkdir()
    config = build(root)
    # one request out of the queue at a time: the sitemaps (queued above every article) are read one by one while the
    # articles wait, so the queue fills whatever the machine's speed
    settings = ["ROBOTSTXT_OBEY=0", "CONCURRENT_REQUESTS=1", f"DISCOVERY_MAX_QUEUED_ARTICLES={MAX_QUEUED}"]
    first = crawl_into_store("news", f"config={config}", replica=root, settings=settings, expect=0)
    assert "Traceback" not in first.log, first.log[-5000:]
    stats = first.stats
    assert stats["discovery/skipped/queue_full"] >= 1
    assert "discovery/sources/saved" not in stats  # the next run reads every sitemap again
    assert stats["discovery/sources/not_saved"] >= 1
    fetched = [path for path in first.paths if path.startswith("/news/")]
    # the queue also counts the sitemaps not yet taken from it when it filled
    assert MAX_QUEUED - SITEMAPS <= len(fetched) < SITEMAPS * PER_SITEMAP
    assert crawl_into_store.target is not None
    db = crawl_into_store.target.db
    for _ in range(SITEMAPS):  # each run stores at least MAX_QUEUED - SITEMAPS more
        if db.articles.count_documents({}) == SITEMAPS * PER_SITEMAP:
            break
        crawl_into_store("news", f"config={config}", replica=root, settings=settings, expect=0)
    stored = Counter(doc["url"] for doc in db.articles.find())
    assert sorted(stored) == sorted(f"https://{DOMAIN}/news/{slug(s, n)}/"
                                    for s in range(SITEMAPS) for n in range(PER_SITEMAP))
    assert max(stored.values()) == 1


def build_dated(root: Path, days_apart: int) -> Path:
    """The three sitemaps dated ``days_apart`` days apart in the index, newest first; each article as its sitemap."""
    now = datetime.now(UTC).replace(microsecond=0)
    dates = [now - timedelta(days=days_apart * s) for s in range(SITEMAPS)]
    index = "".join(f"<sitemap><loc>https://{DOMAIN}/sitemap-{s}.xml</loc><lastmod>{dates[s].isoformat()}</lastmod>"
                    "</sitemap>" for s in range(SITEMAPS))
    config = build(root)
    (root / "sitemap.xml").write_text(f"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{index}"
                                      "</sitemapindex>")
    for s in range(SITEMAPS):
        for n in range(PER_SITEMAP):
            (root / "news" / slug(s, n) / "index.html").write_text(article(
                slug(s, n), date=(dates[s] - timedelta(minutes=n)).isoformat(),
                extra=f"<p>Номер {s * 1000 + n}: {'слово' * (n + 1)} {s}.</p>"))
    return config


@pytest.mark.e2e
def test_after_a_run_cut_short_older_sitemaps_are_not_pruned(tmp_path: Path, crawl_into_store: StoreCrawl) -> None:
    """The next run's high-water mark (newest stored article less the longest revisit step) pruned every sitemap
    older than it: the ones whose links the full queue had dropped were never read again."""
    root = tmp_path / "site"
    root.mkdir()
    config = build_dated(root, days_apart=20)
    settings = ["ROBOTSTXT_OBEY=0", "CONCURRENT_REQUESTS=1", f"DISCOVERY_MAX_QUEUED_ARTICLES={MAX_QUEUED}"]
    first = crawl_into_store("news", f"config={config}", replica=root, settings=settings, expect=0)
    assert first.stats["discovery/skipped/queue_full"] >= 1, first.log[-3000:]
    assert crawl_into_store.target is not None
    db = crawl_into_store.target.db
    runs = [first]
    while db.articles.count_documents({}) < SITEMAPS * PER_SITEMAP and len(runs) <= SITEMAPS:
        runs.append(crawl_into_store("news", f"config={config}", replica=root, settings=settings, expect=0))
    assert runs[1].stats.get("incremental/high_water_off") == 1
    assert "discovery/skipped/below_high_water" not in runs[1].stats
    assert db.articles.count_documents({}) == SITEMAPS * PER_SITEMAP
