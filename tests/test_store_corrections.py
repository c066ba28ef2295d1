"""A revisit that finds an article's text unchanged but its printed date or byline corrected, as the real storage
pipeline writes it into both real stores: the record takes the correction, the values before stay in ``revisions``;
the validators sent back on the next revisit are the latest answer's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.items import ArticleItem
from tests.test_pipelines import FETCHED, article, cleaned
from tests.test_storage_safety import LONG, backend_settings
from tests.test_store_moves import crawl, page_hashes, records

FIRST: dict[str, Any] = {"published": datetime(2026, 11, 1, 6, 0, tzinfo=UTC), "published_raw": "01.11.2026 11:00",
         "authors": ["Anora Sarkorova"], "etag": '"v1"',
         "sources": {"published": "site", "authors": "site", "body": "site"}}


def fetch(hours: int, raw_html: str = "<html><p>story 1</p></html>", **changes: Any) -> ArticleItem:
    fields = {**FIRST, **changes, "sources": {**FIRST["sources"], **changes.get("sources", {})}}
    return cleaned(article(1, paragraphs=LONG, fetched_at=FETCHED + timedelta(hours=hours), raw_html=raw_html,
                           **fields))


@pytest.fixture(params=["mongo", "embedded"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    settings = backend_settings(request.param, request, tmp_path)
    crawl(settings, fetch(0))
    return settings


def test_a_corrected_date_and_byline_are_taken_and_the_earlier_ones_kept(settings: dict[str, Any]) -> None:
    corrected = datetime(2026, 10, 31, 6, 0, tzinfo=UTC)
    stats = crawl(settings, fetch(5, "<html><p>story 1, corrected</p></html>", published=corrected,
                                  published_raw="31.10.2026 11:00", authors=["Anora Sarkorova", "Farrukh Saidov"],
                                  etag='"v2"'))
    (record,) = records(settings)
    assert record["published"].replace(tzinfo=None) == corrected.replace(tzinfo=None)
    assert record["published_raw"] == "31.10.2026 11:00" and record["etag"] == '"v2"'
    assert record["authors"] == ["Anora Sarkorova", "Farrukh Saidov"]
    (before,) = record["revisions"]
    assert before["changed"] == ["published", "authors"] and before["published_raw"] == "01.11.2026 11:00"
    assert before["authors"] == ["Anora Sarkorova"] and before["body"] == record["body"]
    assert stats.get("storage/corrected") == 1 and not stats.get("storage/updated")
    assert list(page_hashes(settings).values()) == [record["content_hash"]]


@pytest.mark.parametrize("later", [
    {"published": None, "published_raw": None, "authors": []},  # no longer found: no correction
    {"published": datetime(2026, 11, 2, 6, 0, tzinfo=UTC), "published_raw": "2 часа назад"},  # relative, re-read
    {"published": datetime(2026, 11, 2, 6, 0, tzinfo=UTC), "published_raw": "2026-11-02",
     "sources": {"published": "generic"}},  # read elsewhere: a redesign, a fallback
])
def test_a_value_lost_relative_or_read_elsewhere_is_no_correction(settings: dict[str, Any],
                                                                   later: dict[str, Any]) -> None:
    stats = crawl(settings, fetch(5, etag='"v2"', **later))
    (record,) = records(settings)
    assert record["published"].replace(tzinfo=None) == FIRST["published"].replace(tzinfo=None)
    assert record["authors"] == FIRST["authors"] and "revisions" not in record
    assert record["etag"] == '"v2"' and stats.get("storage/unchanged") == 1


def test_a_replayed_older_fetch_corrects_nothing(settings: dict[str, Any]) -> None:
    crawl(settings, fetch(5, etag='"v3"'))
    crawl(settings, fetch(2, published=datetime(2026, 10, 30, tzinfo=UTC), published_raw="30.10.2026", etag='"v2"'))
    (record,) = records(settings)
    assert record["published_raw"] == FIRST["published_raw"] and record["etag"] == '"v3"'
