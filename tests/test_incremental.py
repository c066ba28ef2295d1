"""Incremental crawling across runs, with the store as the source of truth:
the real ``scrapy crawl`` twice against a replica, counting the requests."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from crawler.bench.replica_server import serve
from tests.crawling import MongoTarget, StoreCrawl, run_crawl
from tests.replicas import REPLICAS, expected_articles

ARTICLE_PATHS = {urlsplit(url).path for url in expected_articles("asiaplus")}


def crawl(mongo: MongoTarget, *settings: str) -> list[str]:
    """Crawl the asiaplus replica; returns the paths the replica served."""
    return StoreCrawl(mongo)("asiaplus", replica=REPLICAS / "asiaplus", settings=settings, expect=0).paths


def last_run_stats(mongo: MongoTarget) -> dict:  # type: ignore[type-arg]
    return mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["stats"]  # type: ignore[no-any-return]


def test_second_run_fetches_only_feeds_sitemaps_and_listings(mongo: MongoTarget) -> None:
    first = crawl(mongo)
    assert set(first) >= ARTICLE_PATHS
    second = crawl(mongo, "DISCOVERY_CONDITIONAL_ENABLED=0")  # read every source in full: the store decides
    assert not ARTICLE_PATHS & set(second)
    assert {"/feed/", "/en/feed/", "/en/sitemap_index.xml"} <= set(second)
    stats = last_run_stats(mongo)
    assert stats["incremental/known"] >= len(ARTICLE_PATHS)
    assert stats.get("incremental/new", 0) <= len(set(first) - ARTICLE_PATHS)  # only links that 404'd
    assert mongo.db.articles.count_documents({}) == len(ARTICLE_PATHS)


def test_article_due_for_a_revisit_is_fetched_again(mongo: MongoTarget) -> None:
    crawl(mongo)
    url = next(u for u in expected_articles("asiaplus") if "csto" in u)
    doc = mongo.db.articles.find_one({"url": url})
    # Pretend it was last checked half an hour after publication (the store is the clock of record),
    # by a server that gave no validators (so the revisit is a plain GET).
    doc["last_checked"] = doc["published"] + timedelta(minutes=30)
    doc["etag"] = doc["last_modified"] = None
    mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
    third = crawl(mongo, "REVISIT_SCHEDULE=1h,6h")
    assert [p for p in third if p in ARTICLE_PATHS] == [urlsplit(url).path]
    stats = last_run_stats(mongo)
    assert stats["incremental/revisit"] == 1
    assert stats["storage/unchanged"] == 1
    assert mongo.db.articles.find_one({"url": url})["last_checked"] > doc["last_checked"] + timedelta(days=1)


def test_an_undated_record_listed_again_is_revisited_by_when_it_was_first_stored(mongo: MongoTarget) -> None:
    """A record without a date (a page that lost it: a maintenance page taken for a revision) was never due."""
    crawl(mongo)
    url = next(u for u in expected_articles("asiaplus") if "csto" in u)
    doc = mongo.db.articles.find_one({"url": url})
    doc["first_seen"] = doc["published"]
    doc["last_checked"] = doc["published"] + timedelta(minutes=30)
    doc["published"] = doc["etag"] = doc["last_modified"] = None
    doc.update(title="Сайт на техническом обслуживании", body="Пожалуйста, зайдите позже.", content_hash="0" * 64)
    mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
    third = crawl(mongo, "REVISIT_SCHEDULE=1h,6h", "DISCOVERY_CONDITIONAL_ENABLED=0")
    assert [p for p in third if p in ARTICLE_PATHS] == [urlsplit(url).path]
    assert last_run_stats(mongo)["incremental/revisit"] == 1
    record = mongo.db.articles.find_one({"url": url})
    assert record["published"] is not None and record["title"] != doc["title"]  # the article and its date are back


def test_revisit_of_an_unchanged_page_is_a_conditional_request(mongo: MongoTarget) -> None:
    crawl(mongo)
    url = next(u for u in expected_articles("asiaplus") if "csto" in u)
    doc = mongo.db.articles.find_one({"url": url})
    assert doc["etag"]
    doc["last_checked"] = doc["published"] + timedelta(minutes=30)
    mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
    crawl(mongo, "REVISIT_SCHEDULE=1h")
    stats = last_run_stats(mongo)
    assert stats["articles/not_modified"] == 1
    assert stats["downloader/response_status_count/304"] == 1 + stats.get("discovery/not_modified", 0)
    assert stats["storage/checked"] == 1
    after = mongo.db.articles.find_one({"url": url})
    assert after["last_checked"] > doc["last_checked"] + timedelta(days=1)
    assert after["content_hash"] == doc["content_hash"]


def test_a_run_whose_only_work_was_revisits_of_unchanged_pages_is_healthy(mongo: MongoTarget) -> None:
    """Every listed article due for a revisit, each answered 304: the site works, it only had nothing new."""
    crawl(mongo)
    for doc in mongo.db.articles.find({}):
        mongo.db.articles.replace_one({"_id": doc["_id"]},
                                      {**doc, "last_checked": doc["published"] + timedelta(minutes=30)})
    crawl(mongo, "REVISIT_SCHEDULE=1h", "DISCOVERY_CONDITIONAL_ENABLED=0")  # exit 0
    stats = last_run_stats(mongo)
    assert stats["articles/not_modified"] == len(ARTICLE_PATHS) and not stats.get("incremental/known")
    assert mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["health"]["status"] == "healthy"


def test_high_water_mark_skips_sitemaps_unchanged_since_the_newest_article(mongo: MongoTarget) -> None:
    first = crawl(mongo)
    assert "/post-sitemap.xml" in first  # the Russian edition's child sitemap, last modified 2025-03-14
    second = crawl(mongo, "DISCOVERY_CONDITIONAL_ENABLED=0")  # or the unchanged sitemaps are not asked at all
    assert "/post-sitemap.xml" not in second
    assert "/en/post-sitemap.xml" in second  # modified within a week of the newest article
    assert last_run_stats(mongo)["discovery/skipped/below_high_water"] >= 1


def test_revisit_of_a_removed_article_marks_it_gone(mongo: MongoTarget, tmp_path: Path) -> None:
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    env = mongo.env()
    url = next(u for u in expected_articles("asiaplus") if "csto" in u)
    with serve(replica) as server:
        base = f"base_url=http://127.0.0.1:{server.server_port}"
        assert run_crawl("asiaplus", base, env=env).returncode == 0
        doc = mongo.db.articles.find_one({"url": url})
        doc["last_checked"] = doc["published"] + timedelta(minutes=30)
        mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
        shutil.rmtree(replica / urlsplit(url).path.strip("/"))  # the outlet took the story down
        assert run_crawl("asiaplus", base, env=env, settings=["REVISIT_SCHEDULE=1h"]).returncode == 0
    after = mongo.db.articles.find_one({"url": url})
    assert after["gone_at"] > doc["last_checked"] and after["body"] == doc["body"]  # kept, marked
    assert last_run_stats(mongo)["articles/gone"] == 1
