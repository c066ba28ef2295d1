"""A sitemap index whose sitemaps list more fresh article links than the run may queue at once
(``DISCOVERY_MAX_QUEUED_ARTICLES``): the first run's discovery ends once the queue is full (a hostile index of
500 sitemaps of 50,000 links each would queue 25 million requests, 2.5 KB of memory each), it records no source as
read, and the next runs go on from the same sitemaps until every article is stored once. The scheduler, then the
real ``scrapy crawl`` into nx-27017; then a shared crawl (``REDIS_URL``: the cap is on the crawl's queue in a real
``redis-server``, whatever the worker) of two real ``scrapy crawl`` workers."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.bench.replica_server import serve
from crawler.frontier.shared import FrontierConfig, SharedCrawl
from crawler.middlewares.incremental import ARTICLE_KEY_META
from crawler.scheduler import DiscoveryLimitScheduler
from tests.crawling import ROOT, StoreCrawl, crawl_command, crawl_environment
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


@pytest.mark.e2e  # a redis-server of its own
def test_the_crawls_queue_in_redis_turns_away_only_new_articles(redis_url: str) -> None:
    """Admission judges the cap with the seen set in one script: a dropped article is neither seen nor counted against
    ``-a limit``; requests pushed back from a dead worker go in past the cap."""
    client = redis.Redis.from_url(redis_url)
    worker, dead = SharedCrawl(client, "capped", FrontierConfig()), SharedCrawl(client, "capped", FrontierConfig())
    worker.join({})
    dead.join({})
    for n in range(2):
        worker.push({"url": f"https://{DOMAIN}/sitemap-{n}.xml"}, 0)
    assert dead.pop(1) is not None
    worker.push({"url": f"https://{DOMAIN}/sitemap-2.xml"}, 0)
    assert worker.admit_article("a:new", 5, max_queued=2) == -2
    assert (client.sismember(worker.key("seen"), "a:new"), worker.articles()) == (0, 0)
    assert worker.admit_article("a:new", 5, max_queued=3) == 1 and worker.articles() == 1
    assert worker.admit_article("a:new|browser", 5, counted=False) == 1 and worker.articles() == 1  # a re-render
    client.delete(dead.key("hb", dead.worker))
    assert worker.recover() == 1 and worker.queued() == 3


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


def stat(log: str, name: str) -> int:
    """A stat from the stats a crawl dumped in its log (0 when absent)."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def stored_urls(crawl_into_store: StoreCrawl) -> Counter[str]:
    assert crawl_into_store.target is not None
    return Counter(doc["url"] for doc in crawl_into_store.target.db.articles.find({}, {"url": 1}))


@pytest.mark.e2e
def test_a_shared_crawl_caps_its_redis_queue_and_the_next_crawls_go_on(tmp_path: Path, redis_url: str,
                                                                     crawl_into_store: StoreCrawl) -> None:
    """Two workers, one slot each: the sitemaps (above every article) are read before any article, so the crawl's
    queue in Redis fills whatever the machine's speed; the worker finding it full ends its discovery."""
    root = tmp_path / "site"
    root.mkdir()
    config = build(root)
    settings = ["ROBOTSTXT_OBEY=0", "CONCURRENT_REQUESTS=1", f"DISCOVERY_MAX_QUEUED_ARTICLES={MAX_QUEUED}",
                "FRONTIER_IDLE_SECONDS=2", "FRONTIER_WORKER_TIMEOUT=8", "FRONTIER_SETTLE_SECONDS=2"]
    assert crawl_into_store.target is not None
    env = crawl_into_store.target.env(REDIS_URL=redis_url)
    with serve(root) as server:
        command = crawl_command("news", f"base_url=http://127.0.0.1:{server.server_port}", f"config={config}",
                                settings=settings)
        workers = [subprocess.Popen(command, cwd=ROOT, env=crawl_environment(env), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        logs = [worker.communicate(timeout=120)[1] for worker in workers]
        fetched = [path for path in server.requests if path.startswith("/news/")]  # type: ignore[attr-defined]
    for worker, log in zip(workers, logs, strict=True):
        assert worker.returncode == 0 and "Traceback" not in log, log[-5000:]
    assert sum(stat(log, "discovery/skipped/queue_full") for log in logs) >= 1, logs[0][-3000:]
    assert any("(DISCOVERY_MAX_QUEUED_ARTICLES): discovery ends" in log for log in logs)
    assert MAX_QUEUED - SITEMAPS <= len(fetched) < SITEMAPS * PER_SITEMAP
    for _ in range(SITEMAPS):  # each crawl stores at least MAX_QUEUED - SITEMAPS more
        if sum(stored_urls(crawl_into_store).values()) == SITEMAPS * PER_SITEMAP:
            break
        crawl_into_store("news", f"config={config}", replica=root, settings=settings, env={"REDIS_URL": redis_url},
                         expect=0)
    stored = stored_urls(crawl_into_store)
    assert sorted(stored) == sorted(f"https://{DOMAIN}/news/{slug(s, n)}/"
                                    for s in range(SITEMAPS) for n in range(PER_SITEMAP))
    assert max(stored.values()) == 1
