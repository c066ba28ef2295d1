"""Deduplication end to end: two replica outlets crawled by the real ``scrapy crawl``
into one store. Tracking-parameter, print, shortlink and mobile URLs fold into one
record; a re-post is stored once; a reworded copy on the other site joins the
original's story cluster; translations are linked; an edit becomes one revision."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.crawling import MongoTarget, StoreCrawl

DEDUP = Path(__file__).resolve().parent / "dedup"
EXPECTED: dict[str, Any] = json.loads((DEDUP / "expected.json").read_text(encoding="utf-8"))


def config(site: str) -> str:
    return f"config={DEDUP / site / 'site.toml'}"


def record_with(mongo: MongoTarget, url: str) -> dict[str, Any]:
    # $in, not plain equality: nx-27017 misses plain matches on an indexed array field.
    docs = list(mongo.db.articles.find({"urls": {"$in": [url]}}))
    assert len(docs) == 1, (url, [d["url"] for d in docs])
    return docs[0]


def test_one_record_per_story_per_site_copies_clustered_translations_linked(
    mongo: MongoTarget, crawl_into_store: StoreCrawl
) -> None:
    crawl_into_store("news", config("alpha"), replica=DEDUP / "alpha" / "replica", expect=0)
    crawl_into_store("news", config("beta"), replica=DEDUP / "beta" / "replica", expect=0)
    for site in ("alpha", "beta"):
        records = EXPECTED[site]["records"]
        assert mongo.db.articles.count_documents({"site": site}) == len(records)
        for fields in records.values():
            doc = record_with(mongo, fields["urls_include"][0])
            assert doc["title"] == fields["title"]
            assert set(fields["urls_include"]) <= set(doc["urls"])
    for first, second in EXPECTED["exact_duplicates"]:
        assert record_with(mongo, first)["_id"] == record_with(mongo, second)["_id"]
    for english, russian in EXPECTED["alpha"]["translations"]:
        assert russian in record_with(mongo, english)["translations"]
        assert english in record_with(mongo, russian)["translations"]
        assert record_with(mongo, russian)["edition"] == "ru"  # also when fetched from the mobile host
    for original_url, copy_url in EXPECTED["near_duplicates"]:
        original, copy = record_with(mongo, original_url), record_with(mongo, copy_url)
        assert original["story_cluster"] == copy["story_cluster"]
        assert original["story_original"] and not copy["story_original"]
        assert copy["attribution"]
    clusters = {doc["story_cluster"] for doc in mongo.db.articles.find()}
    assert len(clusters) == mongo.db.articles.count_documents({}) - len(EXPECTED["near_duplicates"])


def test_an_edited_article_gets_exactly_one_new_revision(mongo: MongoTarget, tmp_path: Path,
                                                         crawl_into_store: StoreCrawl) -> None:
    replica = tmp_path / "alpha"
    shutil.copytree(DEDUP / "alpha" / "replica", replica)
    crawl_into_store("news", config("alpha"), replica=replica, expect=0)
    before = {doc["_id"]: doc for doc in mongo.db.articles.find()}
    shutil.copytree(DEDUP / "alpha" / "edited", replica, dirs_exist_ok=True)
    edited = record_with(mongo, EXPECTED["edited"])
    edited["last_checked"] = edited["published"] + timedelta(minutes=10)  # checked before the correction
    mongo.db.articles.replace_one({"_id": edited["_id"]}, edited)
    crawl_into_store("news", config("alpha"), replica=replica, settings=["REVISIT_SCHEDULE=1h,6h,24h"], expect=0)
    after = record_with(mongo, EXPECTED["edited"])
    assert len(after["revisions"]) == 1
    assert after["revisions"][0]["content_hash"] == before[after["_id"]]["content_hash"]
    assert after["content_hash"] != before[after["_id"]]["content_hash"]
    assert after["story_cluster"] == before[after["_id"]]["story_cluster"]
    for doc in mongo.db.articles.find({"_id": {"$ne": after["_id"]}}):
        assert "revisions" not in doc and doc["content_hash"] == before[doc["_id"]]["content_hash"]
