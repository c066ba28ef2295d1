"""A spool replayed after a newer version of its article was stored (another host crawled the site while
this host's spool waited for its next run) must not put the older text back over the newer one: the
real storage pipeline replaying a real spool into both real stores (nx-27017 over pymongo, embedded)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler

from crawler.items import ArticleChecked, ArticleItem
from crawler.storage.batches import CHECK_MARK
from crawler.storage.config import to_document
from crawler.storage.spool import Entry, spool
from crawler.urls import url_id
from tests.test_pipelines import FETCHED, article, cleaned, storage_crawler, store_items
from tests.test_storage_safety import LONG, backend_settings, stored


def replay_after(settings: dict[str, Any], tmp_path: Path, entries: list[Entry],
                 newer: ArticleItem | ArticleChecked) -> Crawler:
    """This host spools ``entries`` in an outage, another host stores ``newer`` meanwhile, then this host's next
    run replays its spool (once); returns that run's crawler."""
    spool(entries, tmp_path / "waiting.jsonl")  # kept out of the way of the other host's run
    asyncio.run(store_items(storage_crawler(settings), [newer]))
    (tmp_path / "waiting.jsonl").rename(tmp_path / "unsaved" / "outage-run.jsonl")
    crawler = storage_crawler(settings)
    asyncio.run(store_items(crawler, []))
    assert crawler.stats.get_value("storage/replayed") == 1
    return crawler


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_a_spool_replayed_after_a_newer_version_was_stored_does_not_revert_it(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = backend_settings(backend, request, tmp_path)
    older = cleaned(article(1, title="Title as first published", paragraphs=LONG, fetched_at=FETCHED))
    newer = cleaned(article(1, title="Title as corrected", paragraphs=[*LONG, "Correction: the figure was 12."],
                            fetched_at=FETCHED + timedelta(hours=3)))
    crawler = replay_after(settings, tmp_path, [to_document(older)], newer)  # the older spooled at FETCHED
    doc = stored(settings, newer.url)
    assert doc["title"] == "Title as corrected" and doc["content_hash"] == newer.content_hash
    assert not doc.get("revisions")
    assert doc["last_checked"].replace(tzinfo=None) == newer.fetched_at.replace(tzinfo=None)  # not set back
    assert crawler.stats.get_value("storage/revision_rejected/stale") == 1
    assert not crawler.stats.get_value("storage/updated")
    assert not list((tmp_path / "unsaved").glob("*.jsonl"))  # replayed once, gone


@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_a_late_replayed_404_neither_marks_a_living_article_gone_nor_sets_its_check_time_back(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """This host's 404 revisit (spooled in an outage) replayed after another host stored a newer version: the
    newer fetch shows the article alive, so the older check changes nothing."""
    settings = backend_settings(backend, request, tmp_path)
    first = cleaned(article(1, title="Title as first published", paragraphs=LONG, fetched_at=FETCHED))
    newer = cleaned(article(1, title="Title as corrected", paragraphs=[*LONG, "Correction: the figure was 12."],
                            fetched_at=FETCHED + timedelta(hours=3)))
    asyncio.run(store_items(storage_crawler(settings), [first]))
    check = {"_id": url_id(first.url), "url": first.url, "fetched_at": FETCHED + timedelta(hours=1), "gone": True,
             CHECK_MARK: True}
    replay_after(settings, tmp_path, [(check, None)], newer)  # the check an hour after the first fetch
    doc = stored(settings, newer.url)
    assert doc["title"] == "Title as corrected"
    assert not doc.get("gone_at")
    assert doc["last_checked"].replace(tzinfo=None) == newer.fetched_at.replace(tzinfo=None)  # not set back
    assert not list((tmp_path / "unsaved").glob("*.jsonl"))


@pytest.mark.parametrize("gone", [False, True], ids=["304", "404"])
@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_a_check_replayed_after_a_later_check_does_not_set_last_checked_back(
    backend: str, gone: bool, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings = backend_settings(backend, request, tmp_path)
    first = cleaned(article(1, paragraphs=LONG, fetched_at=FETCHED))
    asyncio.run(store_items(storage_crawler(settings), [first]))
    early = {"_id": url_id(first.url), "url": first.url, "fetched_at": FETCHED + timedelta(hours=1), "gone": gone,
             CHECK_MARK: True}
    later = ArticleChecked(url=first.url, fetched_at=FETCHED + timedelta(hours=3))  # another host's revisit: 304
    crawler = replay_after(settings, tmp_path, [(early, None)], later)
    doc = stored(settings, first.url)
    assert doc["last_checked"].replace(tzinfo=None) == later.fetched_at.replace(tzinfo=None)  # not set back
    assert "gone_at" not in doc  # a 404 older than a check that found the article does not mark it gone
    assert crawler.stats.get_value("storage/checked/stale") == 1
    assert not list((tmp_path / "unsaved").glob("*.jsonl"))  # replayed once, gone
