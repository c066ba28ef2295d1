"""Incremental runs cost little: the real ``scrapy crawl`` twice against a copy of the asiaplus replica
whose server counts requests and answers conditional ones (or ignores them), into nx-27017. Each run
has a DATA_DIR of its own, so what the second run knows of the first is in the store."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy import Spider
from scrapy.http import XmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.bench.replica_server import serve
from crawler.middlewares.conditional import CONDITIONAL_META, SOURCE_META, ConditionalDiscovery
from crawler.spiders.news import NewsSpider
from tests import endless_site
from tests.crawling import MongoTarget, run_crawl
from tests.replicas import REPLICAS, expected_articles

ARTICLE_PATHS = {urlsplit(url).path for url in expected_articles("asiaplus")}
# Each edition's feed and sitemap index, the English listing and robots.txt (once: discovery reads the
# response Scrapy's robots.txt middleware fetched): the most a run asks when nothing changed (their child
# sitemaps and articles are not asked at all).
SOURCES = 8
OLD = "/en/2025/06/02/tajikistan-and-kyrgyzstan-open-new-border-checkpoint/"
NEW = "/en/2025/06/03/kazakhstan-and-uzbekistan-open-new-rail-crossing/"


@pytest.fixture
def replica(tmp_path: Path) -> Path:
    shutil.copytree(REPLICAS / "asiaplus", tmp_path / "asiaplus")
    return tmp_path / "asiaplus"


@pytest.fixture
def site(replica: Path, mongo: MongoTarget) -> Iterator[Site]:
    with serve(replica) as server:
        yield Site(replica, server, mongo)


class Site:
    """The replica's server, kept across runs, and ``crawl()``: one run's answers as ``(path, status)``."""

    def __init__(self, root: Path, server: object, mongo: MongoTarget) -> None:
        self.root, self.server, self.mongo = root, server, mongo

    def crawl(self, *settings: str) -> list[tuple[str, int]]:
        answers = self.server.answers  # type: ignore[attr-defined]
        before = len(answers)
        base = f"base_url=http://127.0.0.1:{self.server.server_port}"  # type: ignore[attr-defined]
        result = run_crawl("asiaplus", base, env=self.mongo.env(), settings=settings)
        assert result.returncode == 0, result.stderr[-3000:]
        return [(urlsplit(path).path, status) for path, status in answers[before:]]

    def stats(self) -> dict:  # type: ignore[type-arg]
        return self.mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["stats"]  # type: ignore[no-any-return]

    def publish(self) -> None:
        """A new English article, in the English feed and post sitemap (whose lastmod in the index moves)."""
        page = (self.root / OLD.strip("/") / "index.html").read_text(encoding="utf-8")
        swapped = {"Tajikistan": "Kazakhstan", "Kyrgyzstan": "Uzbekistan", "border checkpoint": "rail crossing",
                   OLD: NEW, "2025-06-02": "2025-06-03", "June 2": "June 3"}
        for old, new in swapped.items():
            page = page.replace(old, new)
        (self.root / NEW.strip("/")).mkdir(parents=True)
        (self.root / NEW.strip("/") / "index.html").write_text(page, encoding="utf-8")
        url = f"https://asiaplus.news{NEW}"
        self._edit("en/feed/index.xml", "\t<item>", f"\t<item><title>Rail</title><link>{url}</link>"
                   "<pubDate>Tue, 03 Jun 2025 06:40:00 +0000</pubDate></item>\n\t<item>")
        self._edit("en/post-sitemap.xml", "</urlset>", f"<url><loc>{url}</loc>"
                   "<lastmod>2025-06-03T07:15:00+00:00</lastmod></url></urlset>")
        index = (self.root / "en/sitemap_index.xml").read_text(encoding="utf-8")
        index = re.sub(r"(post-sitemap.xml</loc>\s*<lastmod>)[^<]+", r"\g<1>2025-06-03T07:15:00+00:00", index)
        (self.root / "en/sitemap_index.xml").write_text(index, encoding="utf-8")

    def _edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        file.write_text(file.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_a_second_run_with_nothing_new_asks_each_source_once_and_stores_nothing(site: Site) -> None:
    first = site.crawl()
    assert {path for path, _ in first} >= ARTICLE_PATHS
    stored = site.mongo.db.articles.count_documents({})
    second = site.crawl()
    assert len(second) <= SOURCES < len(first), second
    assert [path for path, _ in first].count("/robots.txt") == 1
    assert [path for path, _ in second].count("/robots.txt") == 1
    assert not ARTICLE_PATHS & {path for path, _ in second}
    assert {status for path, status in second if path != "/robots.txt"} == {304}
    stats = site.stats()
    assert stats["discovery/not_modified"] == len([path for path, _ in second if path != "/robots.txt"])
    assert stats["health/status"] == "healthy"  # sources unchanged is not "nothing discovered"
    assert not stats.get("storage/inserted") and not stats.get("storage/updated")
    assert site.mongo.db.articles.count_documents({}) == stored
    # The validators are the store's, keyed by the source's real URL.
    feed = site.mongo.db.sources.find_one({"_id": "https://asiaplus.news/en/feed/"})
    assert feed["site"] == "asiaplus" and feed["etag"] and feed["last_modified"]


def test_an_article_published_between_runs_is_found_and_unchanged_child_sitemaps_are_not_asked(site: Site) -> None:
    site.crawl()
    site.publish()
    second = dict(site.crawl())
    assert second[NEW] == 200
    assert second["/en/feed/"] == 200 and second["/en/sitemap_index.xml"] == 200  # changed: read again
    assert second["/en/post-sitemap.xml"] == 200  # its lastmod moved
    assert "/en/category-sitemap.xml" not in second and "/en/author-sitemap.xml" not in second
    assert second["/feed/"] == 304 and second["/tj/feed/"] == 304
    assert not ARTICLE_PATHS & set(second)
    stats = site.stats()
    assert stats["discovery/skipped/sitemap_unchanged"] == 2
    assert stats["storage/inserted"] == 1
    doc = site.mongo.db.articles.find_one({"url": f"https://asiaplus.news{NEW}"})
    assert doc["title"].startswith("Kazakhstan and Uzbekistan")


def test_a_server_that_ignores_validators_still_gets_everything_read(site: Site) -> None:
    (site.root / "_server.json").write_text(json.dumps({"ignore_validators": True}), encoding="utf-8")
    first = site.crawl()
    site.publish()
    second = site.crawl()
    assert 304 not in {status for _, status in second}  # (links the replica lacks are asked again: 404)
    assert NEW in {path for path, _ in second} and not ARTICLE_PATHS & {path for path, _ in second}
    stats = site.stats()
    assert stats["discovery/conditional"] >= 6  # asked with validators, answered in full
    assert "discovery/not_modified" not in stats
    assert site.mongo.db.articles.count_documents({}) == len(ARTICLE_PATHS) + 1
    assert len(second) < len(first)


def test_a_walk_back_through_listing_pages_ends_at_a_page_of_stored_articles(
    mongo: MongoTarget, tmp_path: Path
) -> None:
    config = endless_site.write_config(tmp_path, f'listings = ["https://{endless_site.DOMAIN}/list/"]\n'
                                                 "listing_pages = 10", robots=False)
    with endless_site.serve() as server:
        base = f"base_url=http://127.0.0.1:{server.server_port}"
        pages = []
        for _ in range(2):
            before = server.requests["/list/"]  # type: ignore[attr-defined]
            result = run_crawl("news", f"config={config}", base, env=mongo.env())
            assert result.returncode == 0, result.stderr[-3000:]
            pages.append(server.requests["/list/"] - before)  # type: ignore[attr-defined]
    assert pages == [2, 1]  # page 2 repeats page 1 (not followed further); then page 1 is all stored
    stats = mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["stats"]
    assert stats["discovery/skipped/known_page"] == 1


def test_a_walk_goes_on_past_stored_pages_after_a_run_cut_short(mongo: MongoTarget, tmp_path: Path) -> None:
    """A run with -a limit fetched only the newest articles: the store may miss older ones behind a page of
    stored articles, so the next run walks on (and, complete itself, lets the one after stop early)."""
    config = endless_site.write_config(tmp_path, f'listings = ["https://{endless_site.DOMAIN}/list/"]\n'
                                                 "listing_pages = 10", robots=False)
    with endless_site.serve() as server:
        base = f"base_url=http://127.0.0.1:{server.server_port}"
        pages, skipped = [], []
        # The first run stops at -a limit once it stored exactly the articles of the first page.
        for args in ((f"limit={len(endless_site.PAGE_ARTICLES)}",), (), ()):
            before = server.requests["/list/"]  # type: ignore[attr-defined]
            result = run_crawl("news", f"config={config}", base, *args, env=mongo.env())
            assert result.returncode == 0, result.stderr[-3000:]
            pages.append(server.requests["/list/"] - before)  # type: ignore[attr-defined]
            stats = mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["stats"]
            skipped.append(stats.get("discovery/skipped/known_page", 0))
    assert skipped == [0, 0, 1] and pages[1] == 2 and pages[2] == 1


def test_an_article_due_for_a_revisit_is_asked_though_every_source_is_unchanged(site: Site) -> None:
    site.crawl()
    url = f"https://asiaplus.news{OLD}"
    doc = site.mongo.db.articles.find_one({"url": url})
    doc["last_checked"] = doc["published"] + timedelta(minutes=30)  # before its 1 h step
    site.mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
    second = site.crawl("REVISIT_SCHEDULE=1h")
    assert (OLD, 304) in second  # asked with the article's own validators: unchanged
    assert {status for path, status in second if path != "/robots.txt"} == {304}
    assert [path for path, _ in second if path in ARTICLE_PATHS] == [OLD]
    stats = site.stats()
    assert stats["incremental/revisit"] == 1 and stats["articles/not_modified"] == 1
    assert site.mongo.db.articles.find_one({"url": url})["last_checked"] > doc["last_checked"] + timedelta(days=1)


def test_a_run_with_an_article_lost_to_a_passing_failure_leaves_the_sources_to_be_read_again(site: Site) -> None:
    (site.root / "_server.json").write_text(json.dumps({"paths": {OLD: {"status": 503}}}), encoding="utf-8")
    site.crawl()
    stats = site.stats()
    assert stats["download/failed/http_503"] == 1 and stats["discovery/sources/not_saved"] >= 6
    # Only the record that the run was cut short: no validators, and no walk may stop early on the next run.
    [marker] = list(site.mongo.db.sources.find())
    assert marker["_id"] == "walked:asiaplus" and marker["complete"] is False
    (site.root / "_server.json").unlink()  # the outage is over
    second = dict(site.crawl())
    assert second[OLD] == 200 and second["/en/feed/"] == 200
    assert site.mongo.db.articles.find_one({"url": f"https://asiaplus.news{OLD}"}) is not None
    assert site.mongo.db.sources.count_documents({}) >= 7  # a clean run: recorded
    assert site.mongo.db.sources.find_one({"_id": "walked:asiaplus"})["complete"] is True


@pytest.mark.parametrize(("lastmods", "conditional"), [
    (["2026-05-01", "2026-04-01"], True),
    (["2026-05-01", None], False),  # the undated child may change while the index stays byte for byte the same
])
def test_an_index_with_an_undated_child_is_never_asked_conditionally(
    tmp_path: Path, lastmods: list[str | None], conditional: bool
) -> None:
    config = endless_site.write_config(tmp_path, f'sitemaps = ["https://{endless_site.DOMAIN}/s/index.xml"]')
    spider = NewsSpider.from_crawler(get_crawler(NewsSpider), config=str(config))
    request = next(r for r in spider.discovery_requests() if r.url.endswith("/s/index.xml"))
    entries = "".join(f"<sitemap><loc>https://{endless_site.DOMAIN}/s/{n}.xml</loc>"
                      + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "") + "</sitemap>"
                      for n, lastmod in enumerate(lastmods))
    body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    response = XmlResponse(request.url, body=body.encode(), request=request)
    children = list(spider.parse_sitemap(response, spider.site.editions[0]))
    assert len(children) == 2
    assert request.meta[SOURCE_META] == f"https://{endless_site.DOMAIN}/s/index.xml"
    assert response.meta.get(CONDITIONAL_META, True) is conditional


@pytest.mark.parametrize(("stats", "cut_short"), [
    ({}, False),
    ({"download/failed/http_404": 2, "download/failed/too_large": 1}, False),  # would fail again: nothing to wait for
    ({"download/failed/timeout": 1}, True),
    ({"download/failed/browser_unavailable": 1}, True),  # Chromium down for a while
    ({"download/failed/http_403": 1}, True),
    ({"articles/errors/extract_timeout": 1}, True),  # over a time budget that depends on the machine's load
    ({"storage/unsaved": 1}, True),
    ({"storage/lost": 1}, True),
])
def test_a_run_that_lost_an_article_for_a_passing_reason_is_cut_short(stats: dict[str, int], cut_short: bool) -> None:
    """Validators saved after such a run would answer 304 next time: the lost article never asked again."""
    middleware = ConditionalDiscovery.__new__(ConditionalDiscovery)
    middleware.stats = MemoryStatsCollector(get_crawler())
    middleware.stats.set_stats(dict(stats))
    middleware.site, middleware.read = "x", {}
    assert middleware._cut_short(Spider("x"), "finished") is cut_short


def test_validators_are_not_sent_past_their_age_nor_for_a_site_whose_articles_are_gone(site: Site) -> None:
    site.crawl()
    site.crawl("DISCOVERY_CONDITIONAL_MAX_AGE_HOURS=0")  # every source was read in full longer ago than that
    assert "discovery/conditional" not in site.stats() and site.stats()["discovery/sources/saved"] >= 6
    site.mongo.db.articles.delete_many({})  # purged: a 304 now would hide every article for good
    site.crawl()
    assert "discovery/conditional" not in site.stats()
    assert site.mongo.db.articles.count_documents({}) == len(expected_articles("asiaplus"))


def test_a_backfill_reaching_further_back_than_the_last_run_reads_its_sources_in_full(site: Site) -> None:
    """A run with ``-a since`` skips what its sources list before that day and saved their validators all the same;
    a later run reaching further back sent them, got a 304 for every source and fetched nothing older."""
    csto = next(url for url in expected_articles("asiaplus") if "/2022/" in url)
    base = f"base_url=http://127.0.0.1:{site.server.server_port}"  # type: ignore[attr-defined]
    first = run_crawl("asiaplus", base, "since=2025-01-01", env=site.mongo.env())
    assert first.returncode == 0, first.stderr[-3000:]
    assert site.mongo.db.articles.count_documents({"url": csto}) == 0
    assert site.stats()["discovery/sources/saved"] >= 6
    again = run_crawl("asiaplus", base, "since=2025-01-01", env=site.mongo.env())  # the same reach: a 304 will do
    assert again.returncode == 0, again.stderr[-3000:]
    assert site.stats()["discovery/conditional"] >= 6
    backfill = run_crawl("asiaplus", base, "since=2020-01-01", env=site.mongo.env())
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    assert "discovery/conditional" not in site.stats()
    assert site.mongo.db.articles.count_documents({"url": csto}) == 1
    # The backfill read its sources to 2020: a run reaching less far back may ask them conditionally again.
    later = run_crawl("asiaplus", base, "since=2025-06-01", env=site.mongo.env())
    assert later.returncode == 0, later.stderr[-3000:]
    assert site.stats()["discovery/conditional"] >= 6
