"""Discovery always ends: the real ``scrapy crawl`` against a generated site whose sitemap
indexes, feeds, listings and API pages never run out (``tests/endless_site.py``), and
against one gzipped sitemap of 250,000 URLs, into nx-27017."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from crawler.urls import url_id
from tests import endless_site as site
from tests.crawling import CrawlResult, MongoTarget, StoreCrawl

TIMEOUT = 60  # each crawl here takes 5-20 s; before the caps they never ended


def crawl(into: StoreCrawl, tmp_path: Path, sources: str, *args: str, robots: bool = True, big: bytes = b"",
          settings: tuple[str, ...] = (),
          sitemap_delay: float = 0.0) -> tuple[CrawlResult, dict[str, int], dict[str, Any]]:
    """Crawl the endless site; returns the result, the requests per path it served, and the run's stats."""
    config = site.write_config(tmp_path, sources, robots=robots)
    with site.serve(big, sitemap_delay) as server:
        result = into("news", f"config={config}", f"base_url=http://127.0.0.1:{server.server_port}", *args,
                      settings=["ROBOTSTXT_OBEY=0", *settings], timeout=TIMEOUT)
        requests = dict(server.requests)  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert result.returncode == 0, result.stderr[-3000:]
    return result, requests, result.stats


def served(requests: dict[str, int], prefix: str) -> int:
    return sum(n for path, n in requests.items() if path.startswith(prefix))


def test_endless_sitemaps_feeds_listings_and_api_pages_end(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    _, requests, stats = crawl(crawl_into_store, tmp_path, site.ALL_SOURCES, "since=2020-01-01")
    # 3 index levels below each of chain-1 (configured, and again in robots.txt) and chain-50 (robots.txt)
    chains = {f"/sitemap/chain-{n}.xml" for n in (1, 2, 3, 4, 50, 51, 52, 53)}
    assert {p for p in requests if p.startswith("/sitemap/chain-")} == chains
    assert stats["discovery/skipped/sitemap_depth"] == 2
    assert requests["/sitemap/cycle-a.xml"] == requests["/sitemap/cycle-b.xml"] == 1  # a -> b -> a read once
    assert all(requests[p] == 1 for p in chains)
    assert stats["discovery/skipped/sitemap_seen"] == 2  # the cycle's way back, chain-1 in robots.txt
    # every page repeats the first under a new URL: the second page shows it, no third is asked for
    assert requests["/list/"] == requests["/feed/"] == requests["/wp-json/wp/v2/posts"] == 2
    assert stats["discovery/skipped/repeated_page"] == 3
    assert mongo.db.articles.count_documents({}) == len(site.PAGE_ARTICLES)


def test_a_sitemap_tree_fanning_out_stops_at_the_sitemap_count_cap(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    sources = f'sitemaps = ["https://{site.DOMAIN}/sitemap/fan.xml"]'
    _, requests, stats = crawl(crawl_into_store, tmp_path, sources, robots=False,
                               settings=("DISCOVERY_MAX_SITEMAPS=60",))
    assert served(requests, "/sitemap/") == 60
    assert stats["discovery/skipped/sitemap_count"] > 0
    assert requests["/sitemap/urls-0.xml"] == 1  # an index's newest child is read first
    assert served(requests, "/news/") == mongo.db.articles.count_documents({}) > 0


def test_the_article_limit_ends_discovery(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    sources = f'feeds = ["https://{site.DOMAIN}/feed/"]\nsitemaps = ["https://{site.DOMAIN}/sitemap/fan.xml"]'
    # Sitemaps answer a little later than the feed, as on a real site: on a loaded machine the feed's
    # answer could otherwise be read after the whole sitemap tree.
    _, requests, stats = crawl(crawl_into_store, tmp_path, sources, "limit=2", robots=False, sitemap_delay=0.3)
    assert served(requests, "/news/") == 2
    assert mongo.db.articles.count_documents({}) == 2
    # the feed gives the limit at once: at most the sitemaps in flight then are read, none of their children
    assert served(requests, "/sitemap/") <= 3
    assert stats["discovery/skipped/limit_reached"] >= 1


BIG = 250_000  # entries in the gzipped sitemap: ids and URLs of all of them make a 29 MB query


def test_a_huge_sitemap_is_read_newest_first_up_to_the_entries_cap(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    sources = f'sitemaps = ["https://{site.DOMAIN}/big-sitemap.xml.gz"]'
    _, requests, stats = crawl(crawl_into_store, tmp_path, sources, "limit=5", robots=False, big=site.big_sitemap(BIG))
    assert stats["discovery/skipped/sitemap_entries"] == BIG - 50_000
    assert stats["discovery/sitemap/links"] == 50_000
    assert {p for p in requests if p.startswith("/news/")} == {f"/news/{n}/" for n in range(5)}  # the newest
    assert mongo.db.articles.count_documents({}) == 5


def test_a_huge_sitemap_on_a_second_run_fetches_only_the_new_articles(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    """No limit: every link the cap keeps is looked up in the store (in batches), and only those
    it lacks are fetched. One lookup of them all was refused by MongoDB and lost every link."""
    known = [f"https://{site.DOMAIN}/news/{n}/" for n in range(5, 5_000)]
    checked = site.NOW + timedelta(days=8)  # checked after its last revisit step (7 d): not due again
    mongo.db.articles.insert_many([{"_id": url_id(u), "url": u, "urls": [u], "site": "endless",
                                    "published": site.NOW, "last_checked": checked} for u in known])
    sources = f'sitemaps = ["https://{site.DOMAIN}/big-sitemap.xml.gz"]'
    _, requests, stats = crawl(crawl_into_store, tmp_path, sources, robots=False, big=site.big_sitemap(BIG),
                               settings=("DISCOVERY_MAX_SITEMAP_ENTRIES=5000",))
    assert stats["discovery/skipped/sitemap_entries"] == BIG - 5_000
    assert stats["incremental/known"] == len(known)
    assert {p for p in requests if p.startswith("/news/")} == {f"/news/{n}/" for n in range(5)}
    assert mongo.db.articles.count_documents({}) == len(known) + 5


FEED_ITEMS = 65_000  # an 8 MB feed (DOWNLOAD_MAXSIZE): before the cap, 65,000 article requests per page


def test_a_huge_feed_is_read_up_to_the_feed_entries_cap(
    mongo: MongoTarget, tmp_path: Path, crawl_into_store: StoreCrawl
) -> None:
    sources = f'feeds = ["https://{site.DOMAIN}/big-feed/"]'
    result, requests, stats = crawl(crawl_into_store, tmp_path, sources, "limit=5", robots=False,
                                    big=site.big_feed(FEED_ITEMS), settings=("DISCOVERY_MAX_FEED_ENTRIES=700",))
    assert stats["discovery/skipped/feed_entries"] == FEED_ITEMS - 700
    assert stats["discovery/feed/links"] == 700
    assert f"lists {FEED_ITEMS} items; read the first 700" in result.log
    assert {p for p in requests if p.startswith("/news/")} == {f"/news/{n}/" for n in range(5)}  # the first
    assert mongo.db.articles.count_documents({}) == 5
