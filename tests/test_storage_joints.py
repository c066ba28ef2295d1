"""Storage where runs meet: runs that share ``DATA_DIR`` (``crawlall``, Scrapyd, cron) replay a
leftover spool once and never a live run's; a run that cannot reach the store for its site lease
does not crawl; with cleaning switched off, articles are still stored."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider

from crawler.storage.config import to_document
from crawler.storage.spool import spool
from pipelines.storage import StoragePipeline
from tests.conftest import free_port
from tests.crawling import run_crawl, store_env
from tests.test_pipelines import article, cleaned, close_pipeline, open_pipeline, storage_crawler
from tests.test_storage_safety import stored_urls


def leftover_spool(data_dir: Path, n: int) -> set[str]:
    """A spool an earlier run left behind (its run is gone, so nobody holds it); the URLs in it."""
    items = [cleaned(article(i)) for i in range(1, n + 1)]
    spool([to_document(item) for item in items], data_dir / "unsaved" / "earlier-run.jsonl")
    return {item.url for item in items}


async def opened(settings: dict[str, Any]) -> tuple[StoragePipeline, Any]:
    crawler = storage_crawler(settings)
    crawler.spider = Spider(name="asiaplus")
    return await open_pipeline(crawler), crawler


async def closed(pipeline: StoragePipeline, crawler: Any) -> None:
    await close_pipeline(crawler, pipeline)


def test_runs_opening_together_replay_a_leftover_spool_once(tmp_path: Path) -> None:
    urls = leftover_spool(tmp_path, 40)
    # three runs make the fresh store at once: SQLite refused some opens at once ("database is locked", twice in CI);
    # they are asked again for the storage timeout (10 s, the default)
    settings = {"DATA_DIR": str(tmp_path), "STORAGE_TIMEOUT_SECONDS": 10}

    async def scenario() -> list[tuple[StoragePipeline, Any]]:
        runs = await asyncio.gather(*(opened(settings) for _ in range(3)))  # no FileNotFoundError
        for pipeline, crawler in runs:
            await closed(pipeline, crawler)
        return runs

    runs = asyncio.run(scenario())
    replayed = [crawler.stats.get_value("storage/replayed", 0) for _, crawler in runs]
    assert sorted(replayed) == [0, 0, 40]  # one run claimed it; the others left it alone
    assert all(not crawler.stats.get_value("storage/quarantined") for _, crawler in runs)
    assert stored_urls(settings) == urls
    assert not list((tmp_path / "unsaved").iterdir())  # spool and claims gone


def test_a_live_runs_spool_is_left_to_it(tmp_path: Path) -> None:
    """Another run replaying a spool that is still growing would delete what is appended meanwhile."""
    settings = {"DATA_DIR": str(tmp_path)}
    own = cleaned(article(1))

    async def scenario() -> tuple[Any, Any]:
        first, first_crawler = await opened(settings)
        spool([to_document(own)], first.writer.spool_path)  # an outage made the first run spool an article
        second, second_crawler = await opened(settings)
        assert first.writer.spool_path.exists()
        await closed(second, second_crawler)
        await closed(first, first_crawler)  # its own flush writes it
        return first_crawler, second_crawler

    first_crawler, second_crawler = asyncio.run(scenario())
    assert second_crawler.stats.get_value("storage/replayed", 0) == 0
    assert not second_crawler.stats.get_value("storage/unsaved")  # another live run's spool is not its loss
    assert first_crawler.stats.get_value("storage/replayed") == 1
    assert own.url in stored_urls(settings)


@pytest.mark.e2e
def test_a_run_that_cannot_reach_the_store_for_its_lease_does_not_crawl(tmp_path: Path) -> None:
    """The site lock is a lease in the store: with MongoDB down nobody can tell whether another host
    crawls the site, so the run stops at its start as failed (1), saying why, and fetches nothing."""
    result = run_crawl("asiaplus", "base_url=http://127.0.0.1:9", env=store_env(
        f"mongodb://127.0.0.1:{free_port()}/", data_dir=tmp_path), settings=["STORAGE_TIMEOUT_SECONDS=1"], timeout=60)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Cannot take the lease of asiaplus" in result.stderr and "not starting the crawl" in result.stderr
    assert "Traceback" not in result.stderr and "downloader/request_count" not in result.stderr


def test_articles_are_stored_with_cleaning_switched_off(tmp_path: Path) -> None:
    settings = {"DATA_DIR": str(tmp_path), "CLEANING_ENABLED": False}
    raw = replace(article(7), body="", content_hash=None)  # what extraction hands over, uncleaned

    async def scenario() -> Any:
        pipeline, crawler = await opened(settings)
        await pipeline.process_item(raw)
        await closed(pipeline, crawler)
        return crawler

    crawler = asyncio.run(scenario())
    assert not crawler.stats.get_value("storage/dropped/malformed")
    assert stored_urls(settings) == {raw.url}
