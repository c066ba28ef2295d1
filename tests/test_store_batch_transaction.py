"""A batch is written to the embedded store in one transaction (``crawler.storage.transaction``): through the
real article writer on a real SQLite file, no article is counted stored unless its write committed. A statement
refused mid-batch is undone alone (the rest stored, that one quarantined); a full database fails the whole batch
into the spool, from which the next flush stores every article; a ``COMMIT`` refused fails the batch, which is
written again without the record at fault. Another connection reads the same final state: records, pages,
key tables and word index."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy.utils.test import get_crawler

from crawler.storage import keys, scan
from crawler.storage.component import Storage
from crawler.storage.config import StorageConfig
from crawler.storage.spool import load_spool
from crawler.storage.writer import ArticleWriter
from crawler.urls import url_id
from tests.test_pipelines import article, cleaned

ARTICLES = 6
REFUSED = 3  # the article whose write fails


def writer_for(data_dir: Path) -> ArticleWriter:
    crawler = get_crawler(settings_dict={"DATA_DIR": str(data_dir), "MONGO_URI": "", "STORAGE_RETRIES": 0,
                                         "STORAGE_BATCH_SIZE": 1000, "STORAGE_FALLBACK_DIR": str(data_dir / "fb")})
    assert crawler.stats is not None
    return ArticleWriter(Storage(StorageConfig.from_settings(crawler.settings)), crawler.stats, "run")


def on_connection(writer: ArticleWriter, *statements: str) -> Callable[[], None]:
    """Run ``statements`` on the writer's own connection (its storage thread)."""
    def run() -> None:
        assert writer.storage.store is not None
        for statement in statements:
            writer.storage.store.db.db.execute(statement)
    return run


def urls() -> list[str]:
    return [str(article(n).url) for n in range(ARTICLES)]


async def flush_all(writer: ArticleWriter) -> bool:
    for n in range(ARTICLES):
        await writer.add(cleaned(article(n, title=f"Refused {n}" if n == REFUSED else f"Story {n}")))
    return await writer.flush()


def stored(data_dir: Path) -> dict[str, Any]:
    """What another connection reads: the records' URLs, their pages, and whether the key tables and the
    word index hold exactly the records."""
    with sqlite3.connect(data_dir / "news.db") as other:
        ids = {row[0] for row in other.execute("SELECT _id FROM articles")}
        pages = {row[0] for row in other.execute("SELECT _id FROM pages")}
        rows = {row[0] for row in other.execute("SELECT id FROM articles")}
        indexed = {table: {row[0] for row in other.execute(f"SELECT rowid FROM {table}")}
                   for table in scan.TEXT_TABLES.values()}
        keyed = {row[0] for row in other.execute(f"SELECT article FROM {keys.table('urls')}")}
    by_id = {url_id(url): url for url in urls()}
    return {"urls": sorted(by_id[i] for i in ids), "pages": sorted(by_id[i] for i in pages),
            "indexed": all(found == rows for found in indexed.values()), "keyed": keyed == rows}


def assert_unlocked(data_dir: Path) -> None:
    """Another process may write at once: the writer holds no transaction (nor its write lock) between batches."""
    other = sqlite3.connect(data_dir / "news.db", timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def expected(*missing: int) -> dict[str, Any]:
    kept = [url for n, url in enumerate(urls()) if n not in missing]
    return {"urls": sorted(kept), "pages": sorted(kept), "indexed": True, "keyed": True}


def flush_with_one_refused(tmp_path: Path, *statements: str) -> None:
    """A batch written after ``statements`` (which refuse the REFUSED record) on the store's connection: the flush is
    done, that record quarantined, every other one stored, no write lock left."""
    async def crawl() -> None:
        writer = writer_for(tmp_path)
        await writer.open()
        await writer.storage.call(on_connection(writer, *statements))
        assert await flush_all(writer)  # the refused record is quarantined: the flush is done
        assert_unlocked(tmp_path)
        stats = writer.stats.get_stats()
        assert stats.get("storage/inserted") == ARTICLES - 1
        assert stats.get("storage/quarantined") == 1
        await writer.close()
        await writer.storage.close()

    asyncio.run(crawl())
    assert stored(tmp_path) == expected(REFUSED)


def test_a_statement_refused_mid_batch_is_undone_alone_and_the_rest_is_stored(tmp_path: Path) -> None:
    flush_with_one_refused(
        tmp_path, "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN json_extract(NEW.data, '$.title') "
                  "LIKE 'Refused%' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    quarantined = (tmp_path / "quarantine" / "run.jsonl").read_text()
    assert urls()[REFUSED] in quarantined and "refused by the test" in quarantined


def test_a_full_database_fails_the_whole_batch_into_the_spool_and_the_next_flush_stores_it(tmp_path: Path) -> None:
    async def crawl() -> None:
        writer = writer_for(tmp_path)
        await writer.open()
        count = await writer.storage.call(lambda: writer.storage.store.db.db.execute(  # type: ignore[union-attr]
            "PRAGMA page_count").fetchone()[0])
        await writer.storage.call(on_connection(writer, f"PRAGMA max_page_count = {count}"))
        assert not await flush_all(writer)
        assert_unlocked(tmp_path)
        assert writer.stats.get_value("storage/inserted", 0) == 0  # nothing counted stored
        assert writer.stats.get_value("storage/spooled") == ARTICLES
        assert len(load_spool(writer.spool_path).entries) == ARTICLES
        assert stored(tmp_path)["urls"] == []  # the batch was rolled back as a whole
        await writer.storage.call(on_connection(writer, "PRAGMA max_page_count = 1073741823"))
        assert await writer.flush()  # the spool is written first
        assert writer.stats.get_value("storage/inserted") == ARTICLES
        await writer.close()
        assert not writer.stats.get_value("storage/unsaved")
        await writer.storage.close()

    asyncio.run(crawl())
    assert stored(tmp_path) == expected()


def test_a_refused_commit_fails_the_batch_and_the_rest_is_stored_again(tmp_path: Path) -> None:
    # A deferred foreign key is checked at COMMIT only: the record at fault is found when the batch is
    # halved, every other one committed in its half.
    flush_with_one_refused(
        tmp_path, "PRAGMA foreign_keys = ON", "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
        "CREATE TRIGGER orphan AFTER INSERT ON articles WHEN json_extract(NEW.data, '$.title') "
        "LIKE 'Refused%' BEGIN INSERT INTO child VALUES (-1); END")
    assert "FOREIGN KEY" in (tmp_path / "quarantine" / "run.jsonl").read_text()
