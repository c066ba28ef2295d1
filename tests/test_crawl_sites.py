"""End to end for every site: the real ``scrapy crawl <site> -a base_url=...``
against the site's replica on loopback, into nx-27017 (or ``MONGO_URI``)."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler.bench.replica_server import serve
from crawler.urls import url_id
from tests.crawling import MongoTarget, StoreCrawl
from tests.replicas import RECORD_FIELDS, REPLICAS, expected, expected_articles, replica_sites


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def stored_fields(doc: dict) -> dict:  # type: ignore[type-arg]
    return {f: iso(doc[f]) if f in ("published", "modified") else doc[f] for f in RECORD_FIELDS}


@pytest.mark.parametrize("site", replica_sites())
def test_crawl_stores_expected_articles_and_a_second_run_adds_nothing(site: str, mongo: MongoTarget,
                                                                     crawl_into_store: StoreCrawl) -> None:
    with serve(REPLICAS / site) as server:
        base_url = f"http://127.0.0.1:{server.server_port}"
        first = crawl_into_store(site, f"base_url={base_url}")
        assert first.returncode == 0, first.stderr[-3000:]
        docs = {doc["url"]: doc for doc in mongo.db.articles.find()}
        assert set(docs) == set(expected_articles(site)), first.stderr[-6000:]
        for url, want in expected_articles(site).items():
            doc = docs[url]
            assert doc["_id"] == url_id(url)
            assert stored_fields(doc) == {f: want[f] for f in RECORD_FIELDS}, url
            assert doc["body"] == "\n\n".join(want["paragraphs"])
            assert mongo.db.pages.count_documents({"_id": doc["_id"]}) == 1
        for url in expected(site)["not_articles"]:
            assert mongo.db.articles.count_documents({"urls": {"$in": [url]}}) == 0, url
        snapshot = list(mongo.db.articles.find({}, {"last_checked": 0}).sort("_id", 1))

        second = crawl_into_store(site, f"base_url={base_url}")
        assert second.returncode == 0, second.stderr[-3000:]
    assert list(mongo.db.articles.find({}, {"last_checked": 0}).sort("_id", 1)) == snapshot
    runs = list(mongo.db.crawl_runs.find().sort("started_at", 1))
    assert [r["outcome"] for r in runs] == ["ok", "ok"]
    assert runs[1]["stats"].get("storage/inserted", 0) == 0
