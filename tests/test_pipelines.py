"""Pipeline components built through ``build_from_crawler``, with real stores:
nx-27017 (or ``MONGO_URI``) over pymongo, and the embedded file store."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem
from crawler.sanitize import inert_html
from crawler.storage.config import StorageConfig, to_document
from crawler.storage.spool import load_spool, spool
from crawler.storage.store import ArticleStore
from crawler.urls import url_id
from pipelines.cleaning import CleaningPipeline
from pipelines.storage import StoragePipeline
from pipelines.validation import ValidationPipeline
from tests.conftest import MongoTarget, free_port

FETCHED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def article(n: int = 1, **changes: Any) -> ArticleItem:
    item = ArticleItem(
        url=f"https://asiaplus.news/en/2026/11/01/story-{n}/", site="asiaplus", fetched_at=FETCHED,
        urls=[f"https://asiaplus.news/en/2026/11/01/story-{n}/?utm_source=tg"], language="en",
        title=f"Story {n}", paragraphs=[f"First paragraph of story {n}.", "Second paragraph."],
        published=datetime(2026, 11, 1, 6, 0, tzinfo=UTC), raw_html=f"<html><p>story {n}</p></html>",
    )
    return replace(item, **changes)


def cleaned(item: ArticleItem) -> ArticleItem:
    pipeline = build_from_crawler(CleaningPipeline, get_crawler())
    return pipeline.process_item(item)  # type: ignore[no-any-return]


# -- cleaning -----------------------------------------------------------------

def test_cleaning_strips_boilerplate_and_sets_body_and_hash() -> None:
    crawler = get_crawler()
    pipeline = build_from_crawler(CleaningPipeline, crawler)
    item = article(
        title="  Story\u00a0one ",
        paragraphs=["Real\u00adly real text.", "Photo / Tajik MFA", "Share post:", "spot_imgspot_img", "Popular"],
        images=[{"url": "https://asiaplus.news/i.jpg", "caption": None, "credit": None}],
        authors=["Anora  Sarkorova", "Anora Sarkorova"],
    )
    out = pipeline.process_item(item)
    assert out.title == "Story one"
    assert out.paragraphs == ["Really real text."]
    assert out.body == "Really real text."
    assert out.images[0]["credit"] == "Tajik MFA"
    assert out.authors == ["Anora Sarkorova"]
    assert out.content_hash and len(out.content_hash) == 64
    stats = crawler.stats.get_stats()  # type: ignore[union-attr]
    assert stats["cleaning/removed/ui"] == 3
    assert stats["cleaning/credit_moved"] == 1


def test_cleaning_truncates_megabyte_titles() -> None:
    crawler = get_crawler(settings_dict={"CLEANING_MAX_TITLE_CHARS": 50})
    out = build_from_crawler(CleaningPipeline, crawler).process_item(article(title="x" * 1_000_000))
    assert len(out.title) == 51
    assert crawler.stats.get_value("cleaning/truncated/title") == 1  # type: ignore[union-attr]


# -- validation ---------------------------------------------------------------

@pytest.mark.parametrize(("changes", "reason"), [
    ({"title": None}, "missing/title"),
    ({"title": ""}, "missing/title"),
    ({"paragraphs": []}, "missing/body"),
])
def test_validation_drops_with_counted_reason(changes: dict[str, Any], reason: str) -> None:
    crawler = get_crawler()
    pipeline = build_from_crawler(ValidationPipeline, crawler)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(article(**changes))
    assert crawler.stats.get_value(f"validation/dropped/{reason}") == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("published", datetime(1901, 1, 1, tzinfo=UTC), "too_old"),
    ("published", datetime.now(UTC) + timedelta(days=30), "future"),
    ("modified", datetime(1900, 1, 1, tzinfo=UTC), "too_old"),
])
def test_validation_keeps_the_article_and_clears_an_impossible_date(field: str, value: datetime,
                                                                     reason: str) -> None:
    crawler = get_crawler()
    pipeline = build_from_crawler(ValidationPipeline, crawler)
    out = pipeline.process_item(article(**{field: value}))
    assert getattr(out, field) is None
    assert out.title and out.paragraphs
    assert crawler.stats.get_value("validation/passed") == 1  # type: ignore[union-attr]
    assert crawler.stats.get_value(f"validation/cleared/{field}/{reason}") == 1  # type: ignore[union-attr]


# -- storage ------------------------------------------------------------------

# The crawl's storage and run health, as crawler/settings.py registers them.
STORAGE_EXTENSIONS = {"crawler.storage.component.Storage": 300, "crawler.extensions.run_health.RunHealth": 400}


def storage_crawler(settings: dict[str, Any]):  # type: ignore[no-untyped-def]
    base = {"STORAGE_FLUSH_SECONDS": 60, "STORAGE_TIMEOUT_SECONDS": 2, "STORAGE_RETRIES": 0,
            "DATA_DIR": tempfile.mkdtemp(prefix="storage-data-"),  # spools and quarantines never reach ./data
            "EXTENSIONS": STORAGE_EXTENSIONS}
    return get_crawler(Spider, settings_dict={**base, **settings})


async def open_pipeline(crawler) -> StoragePipeline:  # type: ignore[no-untyped-def]
    """What the engine does at the start: the pipeline opens, then ``spider_opened`` is sent."""
    pipeline = build_from_crawler(StoragePipeline, crawler)
    await pipeline.open_spider()
    await crawler.signals.send_catch_log_async(signals.spider_opened, spider=crawler.spider)
    return pipeline


async def close_pipeline(crawler, pipeline: StoragePipeline, reason: str = "finished") -> None:  # type: ignore[no-untyped-def]
    """What the engine does at the end: the pipeline closes, then ``spider_closed`` goes to all handlers at once."""
    await pipeline.close_spider()
    await crawler.signals.send_catch_log_async(signals.spider_closed, spider=crawler.spider, reason=reason)


async def store_items(crawler, items: list[ArticleItem], reason: str = "finished") -> StoragePipeline:  # type: ignore[no-untyped-def]
    crawler.spider = Spider(name="asiaplus")
    pipeline = await open_pipeline(crawler)
    for item in items:
        await pipeline.process_item(item)
    await close_pipeline(crawler, pipeline, reason)
    return pipeline


def mongo_settings(mongo: MongoTarget, **extra: Any) -> dict[str, Any]:
    return {**mongo.env(), **extra}


def test_storage_writes_batches_and_a_run_document(mongo: MongoTarget) -> None:
    crawler = storage_crawler(mongo_settings(mongo, STORAGE_BATCH_SIZE=2))
    items = [cleaned(article(n)) for n in range(1, 4)]
    asyncio.run(store_items(crawler, items))
    stats = crawler.stats.get_stats()
    assert stats["storage/inserted"] == 3
    assert stats["storage/batches"] == 2  # one by size, one at close
    doc = mongo.db.articles.find_one({"_id": url_id(items[0].url)})
    assert doc["title"] == "Story 1"
    assert doc["urls"] == items[0].urls
    assert doc["published"] == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    assert "raw_html" not in doc
    assert mongo.db.pages.count_documents({}) == 3
    run = mongo.db.crawl_runs.find_one({})
    assert run["outcome"] == "ok"
    assert run["articles_stored"] == 3
    assert run["stats"]["storage/inserted"] == 3


def test_recrawl_of_unchanged_articles_only_touches_last_checked(mongo: MongoTarget) -> None:
    asyncio.run(store_items(storage_crawler(mongo_settings(mongo)), [cleaned(article(1))]))
    before = mongo.db.articles.find_one({})
    crawler = storage_crawler(mongo_settings(mongo))
    later = cleaned(article(1, fetched_at=FETCHED + timedelta(hours=3)))
    asyncio.run(store_items(crawler, [later]))
    assert crawler.stats.get_value("storage/unchanged") == 1
    after = mongo.db.articles.find_one({})
    assert after.pop("last_checked") == FETCHED + timedelta(hours=3)
    assert before.pop("last_checked") == FETCHED
    assert after == before


def test_changed_article_is_updated_in_place_keeping_the_earlier_version(mongo: MongoTarget) -> None:
    first = cleaned(article(1))
    asyncio.run(store_items(storage_crawler(mongo_settings(mongo)), [first]))
    edited = cleaned(article(1, fetched_at=FETCHED + timedelta(hours=1), paragraphs=["Corrected text."],
                             urls=["https://asiaplus.news/en/2026/11/01/story-1/amp/"]))
    crawler = storage_crawler(mongo_settings(mongo))
    asyncio.run(store_items(crawler, [edited]))
    assert crawler.stats.get_value("storage/updated") == 1
    assert mongo.db.articles.count_documents({}) == 1
    doc = mongo.db.articles.find_one({})
    assert doc["body"] == "Corrected text."
    assert doc["revisions"] == [{"content_hash": first.content_hash, "fetched_at": FETCHED, "title": "Story 1",
                                 "body": first.body}]  # the earlier text, for review
    assert doc["published"] == first.published  # still a date after the in-place update
    assert (doc["first_seen"], doc["last_checked"]) == (FETCHED, FETCHED + timedelta(hours=1))
    assert set(doc["urls"]) == {*first.urls, *edited.urls}


def test_periodic_flush_writes_before_close(mongo: MongoTarget) -> None:
    crawler = storage_crawler(mongo_settings(mongo, STORAGE_FLUSH_SECONDS=0.1))

    async def scenario() -> int:
        crawler.spider = Spider(name="asiaplus")
        pipeline = await open_pipeline(crawler)
        await pipeline.process_item(cleaned(article(1)))
        await asyncio.sleep(0.6)
        count = await asyncio.get_running_loop().run_in_executor(None, mongo.db.articles.count_documents, {})
        await close_pipeline(crawler, pipeline)
        return int(count)

    assert asyncio.run(scenario()) == 1


def test_unreachable_mongo_stops_the_crawl_with_a_masked_uri(caplog: pytest.LogCaptureFixture) -> None:
    uri = f"mongodb://crawler:hunter2@127.0.0.1:{free_port()}/news"
    crawler = storage_crawler({"MONGO_URI": uri, "STORAGE_TIMEOUT_SECONDS": 0.5})
    pipeline = build_from_crawler(StoragePipeline, crawler)
    with caplog.at_level(logging.ERROR), pytest.raises(CloseSpider) as stopped:
        asyncio.run(pipeline.open_spider())
    assert stopped.value.reason == "storage_unavailable"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "mongodb://crawler:***@127.0.0.1" in errors[0] and "hunter2" not in errors[0]


def test_embedded_store_uses_the_same_code_path(tmp_path: Path) -> None:
    crawler = storage_crawler({"DATA_DIR": str(tmp_path), "STORAGE_BATCH_SIZE": 2})
    hour = timedelta(hours=1)
    asyncio.run(store_items(crawler, [cleaned(article(n, published=FETCHED - n * hour)) for n in (1, 2, 3)]))
    again = cleaned(article(1, published=FETCHED - hour))
    asyncio.run(store_items(storage_crawler({"DATA_DIR": str(tmp_path)}), [again]))
    store = ArticleStore.connect(StorageConfig.from_settings(crawler.settings).target)
    try:
        assert store.count_articles("asiaplus") == 3
        assert [d["title"] for d in store.latest_articles(limit=2)] == ["Story 1", "Story 2"]
        kept = store.page_html(url_id(article(2).url))
        assert kept == "<!DOCTYPE html>\n<html><head></head><body><p>story 2</p></body></html>"
        assert [run["outcome"] for run in store.latest_runs()] == ["ok", "ok"]
    finally:
        store.close()
    assert (tmp_path / "news.db").is_file()


def test_a_batch_is_written_once_its_pages_reach_the_size_cap(tmp_path: Path) -> None:
    """Memory: big pages are written in smaller batches (STORAGE_BATCH_MAX_MB), whatever STORAGE_BATCH_SIZE."""
    crawler = storage_crawler({"DATA_DIR": str(tmp_path), "STORAGE_BATCH_SIZE": 100, "STORAGE_BATCH_MAX_MB": 0.25})
    page = "<html><p>" + "x" * 100_000 + "</p></html>"
    asyncio.run(store_items(crawler, [cleaned(article(n, raw_html=page)) for n in range(1, 5)]))
    stats = crawler.stats.get_stats()
    assert stats["storage/inserted"] == 4
    assert stats["storage/batches"] == 2  # three pages reach 0.25 million characters; the fourth at close


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.055, 0.06, 0.07, 0.1])
def test_closing_while_the_periodic_flush_writes_loses_nothing(mongo: MongoTarget, delay: float) -> None:
    """Regression: stopping the flush ticker at close used to drop the batch it was writing."""
    crawler = storage_crawler(mongo_settings(mongo, STORAGE_FLUSH_SECONDS=0.05))

    async def scenario() -> None:
        crawler.spider = Spider(name="asiaplus")
        pipeline = await open_pipeline(crawler)
        for n in range(1, 4):
            await pipeline.process_item(cleaned(article(n)))
        await asyncio.sleep(delay)
        await close_pipeline(crawler, pipeline)

    asyncio.run(scenario())
    assert mongo.db.articles.count_documents({}) == 3


def test_spool_round_trip_reports_a_torn_last_line(tmp_path: Path) -> None:
    doc, html = to_document(cleaned(article(1)))
    path = tmp_path / "unsaved" / "run.jsonl"
    assert spool([(doc, html), (doc, None)], path) == []
    with path.open("a", encoding="utf-8") as out:
        out.write('{"doc": {"_id": "half-writ')  # the process died mid-write
    contents = load_spool(path)
    assert [entry[1] for entry in contents.entries] == [inert_html(html or ""), None]
    assert contents.entries[0][0] == doc  # dates and all, through MongoDB extended JSON
    assert contents.corrupt == [(3, '{"doc": {"_id": "half-writ')]


def test_translations_and_urls_accumulate_across_fetches_of_one_article(mongo: MongoTarget) -> None:
    """The print page (no hreflang links) may be stored first; the permalink's links still land."""
    print_page = cleaned(article(1, urls=["https://asiaplus.news/en/2026/11/01/story-1/print/"]))
    permalink = cleaned(article(1, translations=["https://asiaplus.news/2026/11/01/istoriya-1/"]))
    asyncio.run(store_items(storage_crawler(mongo_settings(mongo)), [print_page]))
    asyncio.run(store_items(storage_crawler(mongo_settings(mongo)), [permalink]))
    doc = mongo.db.articles.find_one({})
    assert doc["translations"] == ["https://asiaplus.news/2026/11/01/istoriya-1/"]
    assert set(doc["urls"]) == {*print_page.urls, *permalink.urls}
