"""Storage that no record can block: malformed items dropped, records the store rejects
quarantined (the rest written), corrupt spool lines reported, revisits that lost most of
their text refused, with the real stores (nx-27017 over pymongo, and the embedded one)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.commands.crawl import exit_code
from crawler.items import ArticleChecked
from crawler.storage.config import StorageConfig, to_document
from crawler.storage.spool import spool
from crawler.storage.store import MAX_ACCUMULATED, ArticleStore, ShrinkGuard, is_transient
from crawler.urls import url_id
from pipelines.validation import ValidationPipeline
from tests.conftest import MongoTarget
from tests.test_pipelines import (
    FETCHED,
    article,
    cleaned,
    close_pipeline,
    mongo_settings,
    open_pipeline,
    storage_crawler,
    store_items,
)

LONG = [f"Paragraph {n} of a real article, long enough to be worth keeping as it is." for n in range(12)]


def malformed_items() -> list[Any]:
    return [
        {"url": "https://asiaplus.news/x/", "title": "A plain dict from another spider"},
        {"title": "no url at all"},
        replace(cleaned(article(1)), paragraphs="one string, not a list"),  # type: ignore[arg-type]
        replace(cleaned(article(2)), images=[{"url": "https://asiaplus.news/i.jpg", "size": {1, 2}}]),
        replace(cleaned(article(3)), fetched_at="yesterday"),  # type: ignore[arg-type]
        replace(cleaned(article(4)), minhash=[2**64]),  # no BSON integer holds it
        ArticleChecked(url=None, fetched_at=FETCHED),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize("item", malformed_items(), ids=["dict", "dict-no-url", "str-paragraphs", "set-in-image",
                                                         "str-date", "int-over-64-bits", "check-no-url"])
def test_validation_drops_malformed_items_with_one_counted_reason(item: Any) -> None:
    crawler = get_crawler()
    with pytest.raises(DropItem, match="malformed item: "):
        build_from_crawler(ValidationPipeline, crawler).process_item(item)
    assert crawler.stats.get_value("validation/dropped/malformed") == 1  # type: ignore[union-attr]


def embedded_settings(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"DATA_DIR": str(tmp_path), **extra}


def quarantined(data_dir: Path) -> list[dict[str, Any]]:
    lines = [line for f in sorted((data_dir / "quarantine").glob("*.jsonl")) for line in f.read_text().splitlines()]
    return [json_util.loads(line) for line in lines]


def test_storage_protects_itself_from_malformed_items(tmp_path: Path) -> None:
    """With validation reordered or switched off, storage drops what it cannot store, and stores the rest."""
    crawler = storage_crawler(embedded_settings(tmp_path))
    good = cleaned(article(9))

    async def scenario() -> None:
        crawler.spider = Spider(name="asiaplus")
        pipeline = await open_pipeline(crawler)
        for item in malformed_items():
            with pytest.raises(DropItem, match="not stored, malformed item: "):
                await pipeline.process_item(item)
        await pipeline.process_item(good)
        await close_pipeline(crawler, pipeline)

    asyncio.run(scenario())
    stats = crawler.stats.get_stats()
    assert stats["storage/dropped/malformed"] == len(malformed_items())
    assert stats["storage/inserted"] == 1 and not stats.get("storage/unsaved")
    assert not list((tmp_path / "unsaved").glob("*.jsonl"))


def scraped(crawler: Any, n: int) -> Any:
    """What the engine would have counted: a run that ended normally, having found ``n`` articles."""
    crawler.stats.set_value("item_scraped_count", n)
    crawler.stats.set_value("finish_reason", "finished")
    return crawler


def open_store(settings: dict[str, Any]) -> ArticleStore:
    return ArticleStore.connect(StorageConfig.from_settings(get_crawler(settings_dict=settings).settings).target)


def take_title(settings: dict[str, Any], title: str) -> None:
    """A constraint the deployment added (one record per title) and a record holding ``title``:
    a later article with that title is a duplicate key for the store."""
    store = open_store(settings)
    try:
        store.db["articles"].create_index("title", unique=True)
        store.write_articles([to_document(cleaned(article(100, title=title)))[0]], {})
    finally:
        store.close()


def stored_urls(settings: dict[str, Any]) -> set[str]:
    store = open_store(settings)
    try:
        return {doc["url"] for doc in store.latest_articles(limit=100)}
    finally:
        store.close()


def quarantine_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and "quarantined in" in r.getMessage()]


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_a_record_the_store_rejects_is_quarantined_and_the_rest_of_its_batch_written(
        backend: str, request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = backend_settings(backend, request, tmp_path) | {"STORAGE_BATCH_SIZE": 50, "STORAGE_RETRIES": 2}
    take_title(settings, "Taken title")
    items = [cleaned(article(n)) for n in range(1, 8)]
    items[2] = cleaned(article(3, title="Taken title"))
    crawler = scraped(storage_crawler(settings), len(items))
    with caplog.at_level(logging.ERROR):
        asyncio.run(store_items(crawler, items))
    stats = crawler.stats.get_stats()
    assert stored_urls(settings) == {item.url for item in items} - {items[2].url} | {article(100).url}
    assert stats["storage/inserted"] == 6 and stats["storage/quarantined"] == 1 and not stats.get("storage/retries")
    assert not stats.get("storage/spooled") and not list((tmp_path / "unsaved").glob("*.jsonl"))
    [record] = quarantined(tmp_path)
    assert record["doc"]["url"] == items[2].url and record["doc"]["body"] == items[2].body
    assert "11000" in record["reason"] and record["html"] == items[2].raw_html
    [error] = quarantine_errors(caplog)
    assert items[2].url in error and str(tmp_path / "quarantine") in error and "11000" in error
    assert exit_code(stats) == 2  # an article not stored: cron must hear of it


def test_a_document_too_large_is_found_by_halving_the_batch(mongo: MongoTarget, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    """pymongo refuses to send it, naming no record: the batch is halved until it is alone."""
    settings = mongo_settings(mongo, DATA_DIR=str(tmp_path), STORAGE_BATCH_SIZE=50)
    items = [cleaned(article(n)) for n in range(1, 8)]
    # Over 48 MB with its body: made after cleaning, which caps every field far below this.
    huge = "x" * (25 * 1024 * 1024)
    items[4] = dataclasses.replace(items[4], paragraphs=[huge], body=huge)
    crawler = scraped(storage_crawler(settings), len(items))
    with caplog.at_level(logging.ERROR):
        asyncio.run(store_items(crawler, items))
    stats = crawler.stats.get_stats()
    assert stored_urls(settings) == {item.url for item in items} - {items[4].url}
    assert stats["storage/quarantined"] == 1 and not stats.get("storage/spooled")
    assert stats["storage/inserted"] + stats["storage/unchanged"] == 6  # the failed attempt wrote some already
    [record] = quarantined(tmp_path)
    assert record["doc"]["url"] == items[4].url and "DocumentTooLarge" in record["reason"]
    assert len(quarantine_errors(caplog)) == 1 and exit_code(stats) == 2


def test_a_poison_spool_is_quarantined_line_by_line_and_no_longer_blocks(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    """A spool left by an older run: a good record, a record our code cannot write (no hash), a line cut
    in the middle and a torn last line. The good record is stored, the rest quarantined, the spool gone."""
    good, html = to_document(cleaned(article(1)))
    path = tmp_path / "unsaved" / "older-run.jsonl"
    spool([(good, html), ({"_id": "abc", "url": "https://asiaplus.news/x/", "title": "no hash"}, None)], path)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + '{"doc": {"_id": "cut"\n' + lines[1] + '{"doc": {"_id": "torn-la')
    crawler = scraped(storage_crawler(embedded_settings(tmp_path)), 1)
    with caplog.at_level(logging.WARNING):
        asyncio.run(store_items(crawler, [cleaned(article(2))]))
    stats = crawler.stats.get_stats()
    assert stats["storage/replayed"] == 2 and stats["storage/inserted"] == 2  # the spooled and the new article
    assert stats["storage/spool_corrupt"] == 2 and stats["storage/quarantined"] == 3
    assert not path.exists()
    records = quarantined(tmp_path)
    assert sorted(r.get("source", "") for r in records) == ["", f"{path}:2", f"{path}:4"]
    assert {r.get("line") for r in records} == {None, '{"doc": {"_id": "cut"', '{"doc": {"_id": "torn-la'}
    assert "KeyError" in next(r["reason"] for r in records if "doc" in r)
    warnings = [r.getMessage() for r in caplog.records if "is corrupt" in r.getMessage()]
    assert [f"{path} line 2" in warnings[0], f"{path} line 4" in warnings[1]] == [True, True]
    assert exit_code(stats) == 2


@pytest.mark.parametrize(("error", "transient"), [
    ("pymongo.errors.AutoReconnect('connection reset')", True),
    ("pymongo.errors.NotPrimaryError('not primary')", True),
    ("pymongo.errors.ServerSelectionTimeoutError('no servers')", True),
    ("pymongo.errors.NetworkTimeout('timed out')", True),
    ("ConnectionRefusedError(111, 'Connection refused')", True),
    ("sqlite3.OperationalError('database or disk is full')", True),
    ("pymongo.errors.OperationFailure('not primary', code=10107)", True),
    ("pymongo.errors.BulkWriteError({'writeErrors': [], 'writeConcernErrors': [{'code': 64}]})", True),
    ("pymongo.errors.BulkWriteError({'writeErrors': [{'code': 11000, 'errmsg': 'E11000'}]})", False),
    ("pymongo.errors.DocumentTooLarge('too large')", False),
    ("bson.errors.InvalidDocument('cannot encode object')", False),
    ("pymongo.errors.OperationFailure('Document failed validation', code=121)", False),
    ("sqlite3.IntegrityError('UNIQUE constraint failed')", False),
    ("neosqlite.exceptions.BulkWriteError({'writeErrors': [{'code': 8, 'errmsg': 'database or disk is full'}]})",
     True),
    ("neosqlite.exceptions.BulkWriteError({'writeErrors': [{'code': 8, 'errmsg': 'not JSON serializable'}]})",
     False),
    ("KeyError('content_hash')", False),
])
def test_transient_failures_are_told_from_rejected_records(error: str, transient: bool) -> None:
    import sqlite3  # noqa: F401 -- names used by eval

    import bson.errors  # noqa: F401
    import neosqlite.exceptions  # noqa: F401
    import pymongo.errors  # noqa: F401

    assert is_transient(eval(error)) is transient


# -- revisions ------------------------------------------------------------------

def backend_settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if backend == "mongo":
        return mongo_settings(request.getfixturevalue("mongo"), DATA_DIR=str(tmp_path))
    return embedded_settings(tmp_path)


def stored(settings: dict[str, Any], url: str) -> dict[str, Any]:
    store = open_store(settings)
    try:
        return next(d for d in store.latest_articles(limit=100) if d["url"] == url)
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_a_revisit_with_much_less_text_does_not_replace_the_article(backend: str, request: pytest.FixtureRequest,
                                                                    tmp_path: Path) -> None:
    settings = backend_settings(backend, request, tmp_path)
    first = cleaned(article(1, paragraphs=LONG))
    asyncio.run(store_items(storage_crawler(settings), [first]))
    stub = cleaned(article(1, paragraphs=["Sorry, this page is temporarily unavailable."],
                           fetched_at=FETCHED + timedelta(hours=6), raw_html="<html><p>Sorry</p></html>"))
    crawler = storage_crawler(settings)
    asyncio.run(store_items(crawler, [stub]))
    assert crawler.stats.get_value("storage/revision_rejected/shrunk") == 1
    assert not crawler.stats.get_value("storage/updated")
    doc = stored(settings, first.url)
    assert doc["body"] == first.body and doc["content_hash"] == first.content_hash and not doc.get("revisions")
    assert doc["last_checked"].replace(tzinfo=None) == (FETCHED + timedelta(hours=6)).replace(tzinfo=None)
    store = open_store(settings)
    try:
        assert "story 1" in (store.page_html(url_id(first.url)) or "")  # the stored page still matches the text
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_accepted_revisions_keep_the_earlier_text_bounded(backend: str, request: pytest.FixtureRequest,
                                                          tmp_path: Path) -> None:
    settings = backend_settings(backend, request, tmp_path)
    versions = [cleaned(article(1, title=f"Title v{n}", paragraphs=[*LONG, f"Correction number {n}."],
                                fetched_at=FETCHED + timedelta(hours=n))) for n in range(8)]
    for version in versions:
        asyncio.run(store_items(storage_crawler(settings), [version]))
    doc = stored(settings, versions[0].url)
    assert doc["title"] == "Title v7" and len(doc["revisions"]) == 7
    assert [r.get("title") for r in doc["revisions"]] == [None, None, "Title v2", "Title v3", "Title v4",
                                                          "Title v5", "Title v6"]
    assert doc["revisions"][-1]["body"] == versions[6].body
    assert doc["revisions"][0]["content_hash"] == versions[0].content_hash and "body" not in doc["revisions"][0]


def test_shrink_guard_table() -> None:
    guard = ShrinkGuard(min_ratio=0.5, min_chars=500)
    assert guard.refuses({"body": "x" * 100}, {"body": "x" * 1000})
    assert not guard.refuses({"body": "x" * 600}, {"body": "x" * 1000})  # an edit that cut a little
    assert not guard.refuses({"body": "x" * 10}, {"body": "x" * 400})  # the stored text was a brief anyway
    assert not guard.refuses({"body": "x" * 5000}, {"body": "x" * 1000})


def test_quarantine_lines_are_json(tmp_path: Path) -> None:
    """Each quarantine line can be read back by any JSON reader, dates as extended JSON."""
    from crawler.storage.spool import quarantine

    path = tmp_path / "q.jsonl"
    quarantine([{"reason": "r", "doc": {"fetched_at": FETCHED, "odd": object()}}], path)
    line = json.loads(path.read_text())
    assert line["reason"] == "r" and line["doc"]["odd"].startswith("<object") and "$date" in line["doc"]["fetched_at"]


def test_storage_config_reads_the_shrink_guard_and_the_fallback_dir() -> None:
    config = StorageConfig.from_settings(get_crawler(settings_dict={
        "STORAGE_SHRINK_RATIO": 0.3, "STORAGE_SHRINK_MIN_CHARS": 2000, "STORAGE_FALLBACK_DIR": "/srv/spare"}).settings)
    assert (config.shrink, config.fallback_dir) == (ShrinkGuard(0.3, 2000), "/srv/spare")
    assert StorageConfig.from_settings(get_crawler().settings).fallback_dir.endswith("news-crawler-unsaved")
    with pytest.raises(ValueError, match="STORAGE_SHRINK_RATIO"):
        StorageConfig.from_settings(get_crawler(settings_dict={"STORAGE_SHRINK_RATIO": 2}).settings)


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_urls_and_translations_seen_over_many_fetches_stay_bounded(backend: str, request: pytest.FixtureRequest,
                                                                    tmp_path: Path) -> None:
    """A page whose hreflang links (100 a fetch, the cleaning cap) or whose URL's query change on every fetch
    grew its record by each fetch's list, toward MongoDB's 16 MB document cap; the first ones are kept."""
    settings = backend_settings(backend, request, tmp_path)
    fetches = [cleaned(article(1, urls=[f"https://asiaplus.news/en/2026/11/01/story-1/?v={n}"],
                               translations=[f"https://asiaplus.news/l{n}-{k}/" for k in range(100)],
                               fetched_at=FETCHED + timedelta(hours=n))) for n in range(12)]
    for fetch in fetches:
        asyncio.run(store_items(storage_crawler(settings), [fetch]))
    doc = stored(settings, fetches[0].url)
    assert len(doc["translations"]) == MAX_ACCUMULATED and doc["translations"][0] == "https://asiaplus.news/l0-0/"
    assert doc["urls"] == [f"https://asiaplus.news/en/2026/11/01/story-1/?v={n}" for n in range(12)]  # all kept


def story_1_under(n: int, urls: int = 100) -> Any:
    """Story 1's text under another URL, whose query changes on every fetch: ``urls`` URLs of its own (the
    cleaning cap) and 50 hreflang links, none of them stored (a twin of the record of story 1)."""
    return cleaned(article(100 + n, title="Story 1", paragraphs=["First paragraph of story 1.", "Second paragraph."],
                           urls=[f"https://asiaplus.news/en/2026/11/01/story-1/?v={n}-{k}" for k in range(urls)],
                           translations=[f"https://asiaplus.news/l{n}-{k}/" for k in range(50)],
                           raw_html="<html><p>story 1</p></html>", fetched_at=FETCHED + timedelta(hours=n)))


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_twins_of_a_record_stay_bounded_keeping_the_first_urls(backend: str, request: pytest.FixtureRequest,
                                                               tmp_path: Path) -> None:
    """The same text under a new URL on every fetch adds its URLs to the record of that text (a new one in the
    batch, a stored one, each twin in a batch of its own): to 1,000 in all, the first seen kept, one record."""
    settings = backend_settings(backend, request, tmp_path)
    first = cleaned(article(1))
    twins = [story_1_under(n) for n in range(12)]
    asyncio.run(store_items(storage_crawler(settings), [first, *twins[:4]]))
    asyncio.run(store_items(storage_crawler({**settings, "STORAGE_BATCH_SIZE": 1}), twins[4:8]))
    crawler = storage_crawler(settings)
    asyncio.run(store_items(crawler, twins[8:]))
    assert crawler.stats.get_value("storage/duplicates") == 4
    doc = stored(settings, first.url)
    every = list(dict.fromkeys(u for item in [first, *twins] for u in item.urls))
    assert doc["urls"] == every[:MAX_ACCUMULATED] and stored_urls(settings) == {first.url}
    assert doc["translations"] == [u for item in twins for u in item.translations]  # 600: all kept


def full_record(settings: dict[str, Any]) -> dict[str, Any]:
    """The record of story 1 with :data:`MAX_ACCUMULATED` URLs (as after a thousand fetches of changing queries)."""
    doc = to_document(cleaned(article(1)))[0]
    doc["urls"] = [f"{doc['url']}?seen={n}" for n in range(MAX_ACCUMULATED)]
    store = open_store(settings)
    try:
        store.write_articles([doc], {})
        return store.db["articles"].find_one({"_id": doc["_id"]})  # type: ignore[no-any-return]
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_a_twin_of_a_full_record_is_a_duplicate_not_a_write_conflict(backend: str, request: pytest.FixtureRequest,
                                                                     tmp_path: Path) -> None:
    """A record whose URLs are full takes no more: a twin bringing new ones (and new translations, which it takes)
    is stored (a duplicate) at once, not decided again round after round until the batch fails as a write
    conflict."""
    settings = backend_settings(backend, request, tmp_path)
    record = full_record(settings)
    store = open_store(settings)
    try:
        counts = store.write_articles([to_document(story_1_under(n))[0] for n in range(2)], {})
        assert (counts.duplicates, counts.inserted, counts.rejected) == (2, 0, {})
        after = store.db["articles"].find_one({"_id": record["_id"]})
        assert after["urls"] == record["urls"] and len(after["translations"]) == 100
    finally:
        store.close()
