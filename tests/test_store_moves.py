"""A revisited article that moved or was taken down, as the real storage pipeline writes it into both real stores
(nx-27017 over pymongo, embedded): one record per story, its identity kept, where it went recorded."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.items import ArticleChecked, ArticleItem
from crawler.storage import store
from crawler.storage.config import to_document
from crawler.storage.store import MAX_ACCUMULATED
from crawler.urls import url_id
from tests.test_pipelines import FETCHED, article, cleaned, storage_crawler, store_items
from tests.test_storage_safety import LONG, backend_settings, open_store

OLD = article(1).url
NEW = "https://asiaplus.news/en/2026/11/02/story-1-updated/"
EDITED = [*LONG, "Update: the ministry confirmed the figures on Monday."]
OTHER_STORY = [f"Sentence {n} of an unrelated report on the weather in the Pamirs this week." for n in range(12)]


def records(settings: dict[str, Any]) -> list[dict[str, Any]]:
    store = open_store(settings)
    try:
        return store.latest_articles(limit=100)
    finally:
        store.close()


def page_hashes(settings: dict[str, Any]) -> dict[str, str]:
    store = open_store(settings)
    try:
        return {page["_id"]: page["content_hash"] for page in store.db["pages"].find({})}
    finally:
        store.close()


def at_new_url(hours: int, paragraphs: list[str] = EDITED, linked_from: str | None = OLD) -> ArticleItem:
    """The article's page at its new URL, fetched ``hours`` after the first fetch (through a redirect from
    ``linked_from``, else found under the new URL itself)."""
    return cleaned(article(1, url=NEW, urls=[u for u in (NEW, linked_from) if u], paragraphs=paragraphs,
                           fetched_at=FETCHED + timedelta(hours=hours)))  # the spider's order: the final URL first


def moved(hours: int) -> ArticleChecked:
    return ArticleChecked(url=OLD, fetched_at=FETCHED + timedelta(hours=hours), location=NEW)


def crawl(settings: dict[str, Any], *items: Any) -> dict[str, Any]:
    """One run storing ``items``; its stats."""
    crawler = storage_crawler(settings)
    asyncio.run(store_items(crawler, list(items)))
    return crawler.stats.get_stats()  # type: ignore[no-any-return]


@pytest.fixture(params=["mongo", "embedded"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """A store holding the article at its first URL."""
    settings = backend_settings(request.param, request, tmp_path)
    crawl(settings, cleaned(article(1, paragraphs=LONG)))
    return settings


def test_a_moved_and_edited_page_is_a_version_of_the_record_it_moved_from(settings: dict[str, Any]) -> None:
    first = records(settings)[0]
    crawl(settings, at_new_url(3), moved(3))
    (record,) = records(settings)
    assert record["_id"] == first["_id"] and record["url"] == OLD and record["moved_to"] == NEW
    assert record["moved_at"].replace(tzinfo=None) == (FETCHED + timedelta(hours=3)).replace(tzinfo=None)
    assert record["body"] == "\n\n".join(EDITED) and record["revisions"][-1]["body"] == first["body"]
    assert NEW in record["urls"] and record["first_seen"] == first["first_seen"]
    assert page_hashes(settings) == {first["_id"]: record["content_hash"]}


def test_the_new_url_found_on_its_own_in_the_same_run_joins_the_record(settings: dict[str, Any]) -> None:
    crawl(settings, at_new_url(2, linked_from=None), at_new_url(3), moved(3))
    (record,) = records(settings)
    assert record["url"] == OLD and record["moved_to"] == NEW


@pytest.mark.parametrize("edited", [True, False], ids=["edited", "as_it_was"])
def test_a_record_stored_under_the_new_url_first_is_merged_when_the_move_is_seen(
    settings: dict[str, Any], edited: bool
) -> None:
    first = records(settings)[0]
    crawl(settings, at_new_url(2, EDITED if edited else LONG, linked_from=None))  # a run that saw only the new URL
    assert len(records(settings)) == 1 + edited  # the same text is one record already
    stats = crawl(settings, at_new_url(5, EDITED if edited else LONG), moved(5))
    (record,) = records(settings)
    assert record["_id"] == first["_id"] and record["url"] == OLD and record["moved_to"] == NEW
    assert record["story_original"] is True and set(record["urls"]) >= {OLD, NEW}
    assert len(record.get("revisions", [])) == edited
    assert page_hashes(settings) == {first["_id"]: record["content_hash"]}
    assert stats.get("storage/merged/moved", 0) == edited


def test_another_story_at_the_end_of_a_redirect_is_a_record_of_its_own(settings: dict[str, Any]) -> None:
    first = records(settings)[0]
    crawl(settings, at_new_url(3, OTHER_STORY), moved(3))
    by_url = {r["url"]: r for r in records(settings)}
    assert set(by_url) == {OLD, NEW}
    assert by_url[OLD]["body"] == first["body"] and "moved_to" not in by_url[OLD]
    assert by_url[OLD]["gone_reason"] == "redirected" and by_url[OLD]["redirected_to"] == NEW


@pytest.mark.parametrize("published_apart", [timedelta(days=1), timedelta(minutes=10)])
def test_a_redirect_to_a_look_alike_item_of_another_day_is_no_move(settings: dict[str, Any],
                                                                    published_apart: timedelta) -> None:
    """Daily items of one template ("Погода на 8 декабря", "на 9 декабря") share a story cluster: a revisit of one
    redirected to the other merged them, deleting one record and losing a day's text."""
    def weather(day: int, low: int) -> list[str]:
        return [f"Погода в Бишкеке на {day} декабря: днем {low} градусов, ночью {low - 7} градусов, без осадков.",
                "Ветер северо-западный, 3-5 метров в секунду. В горных районах ожидается снег, на перевалах "
                "Тоо-Ашуу и Ала-Бель возможен гололед.",
                "Агентство по гидрометеорологии рекомендует водителям соблюдать осторожность на горных дорогах."]
    day8, day9 = "https://asiaplus.news/2026/12/08/pogoda/", "https://asiaplus.news/2026/12/09/pogoda/"
    published = records(settings)[0]["published"]
    crawl(settings, cleaned(article(2, url=day8, urls=[day8], title="Погода на 8 декабря", paragraphs=weather(8, -2),
                                    published=published)),
          cleaned(article(3, url=day9, urls=[day9], title="Погода на 9 декабря", paragraphs=weather(9, -4),
                          published=published + published_apart)))
    stats = crawl(settings, ArticleChecked(url=day8, fetched_at=FETCHED + timedelta(hours=3), location=day9),
                  cleaned(article(3, url=day9, urls=[day9, day8], title="Погода на 9 декабря",
                                  paragraphs=weather(9, -4), published=published + published_apart,
                                  fetched_at=FETCHED + timedelta(hours=3))))
    by_url = {r["url"]: r for r in records(settings)}
    assert set(by_url) == {OLD, day8, day9}, by_url.keys()
    assert by_url[day8]["story_cluster"] == by_url[day9]["story_cluster"]  # look-alikes, one cluster
    assert "8 декабря" in by_url[day8]["body"] and "9 декабря" in by_url[day9]["body"]
    assert by_url[day8]["gone_reason"] == "redirected" and "moved_to" not in by_url[day8]
    assert "storage/merged/moved" not in stats


def test_the_first_finding_of_a_removal_is_kept(settings: dict[str, Any]) -> None:
    offsite = "https://example.org/story-1/"
    crawl(settings, ArticleChecked(url=OLD, fetched_at=FETCHED + timedelta(hours=1), gone=True,
                                   reason="redirected_offsite", location=offsite))
    crawl(settings, ArticleChecked(url=OLD, fetched_at=FETCHED + timedelta(hours=7), gone=True, reason="http_404"))
    (record,) = records(settings)
    assert record["gone_reason"] == "redirected_offsite" and record["redirected_to"] == offsite
    assert record["gone_at"].replace(tzinfo=None) == (FETCHED + timedelta(hours=1)).replace(tzinfo=None)
    assert record["last_checked"].replace(tzinfo=None) == (FETCHED + timedelta(hours=7)).replace(tzinfo=None)


@pytest.mark.parametrize(("answer", "live"), [("304", True), ("same_text", True), ("moved", True),
                                              ("much_shorter_page", False)])
def test_an_article_found_live_again_is_no_longer_marked_gone(settings: dict[str, Any], answer: str,
                                                               live: bool) -> None:
    """A removal found during an outage or a maintenance window (a 404, a redirect to the home page) is undone by a
    later revisit that finds the article: ``gone_at`` is absent while it is live. A much shorter page is no proof."""
    crawl(settings, ArticleChecked(url=OLD, fetched_at=FETCHED + timedelta(hours=1), gone=True, reason="redirected",
                                   location="https://asiaplus.news/en/"))
    later = FETCHED + timedelta(hours=5)
    crawl(settings, *{
        "304": [ArticleChecked(url=OLD, fetched_at=later)],
        "same_text": [cleaned(article(1, paragraphs=LONG, fetched_at=later))],
        "moved": [at_new_url(5), moved(5)],
        "much_shorter_page": [cleaned(article(1, paragraphs=["Sorry, the page is unavailable."], fetched_at=later))],
    }[answer])
    (record,) = records(settings)
    assert not {"gone_at", "gone_reason", "redirected_to"} & set(record) if live else record["gone_reason"]


def test_a_removed_article_redirected_to_another_story_stays_removed(settings: dict[str, Any]) -> None:
    crawl(settings, ArticleChecked(url=OLD, fetched_at=FETCHED + timedelta(hours=1), gone=True, reason="http_404"))
    crawl(settings, at_new_url(3, OTHER_STORY), moved(3))
    record = next(r for r in records(settings) if r["url"] == OLD)
    assert record["gone_reason"] == "http_404" and "moved_to" not in record


def test_a_record_stored_under_the_new_url_first_is_merged_into_a_full_record(settings: dict[str, Any]) -> None:
    """A record whose URLs are full takes no more: the record of its story stored under the new URL is merged into
    it all the same (deleted), not kept beside it for every later revisit to merge again."""
    store = open_store(settings)
    try:  # the record of the first URL, seen under a thousand changing queries
        seen = to_document(cleaned(article(1, paragraphs=LONG)))[0]
        store.write_articles([{**seen, "urls": [f"{OLD}?seen={n}" for n in range(MAX_ACCUMULATED)]}], {})
    finally:
        store.close()
    first = records(settings)[0]
    crawl(settings, at_new_url(2, linked_from=None))  # a run that saw only the new URL: an edit, a record of its own
    assert len(records(settings)) == 2
    stats = crawl(settings, at_new_url(5), moved(5))
    (record,) = records(settings)
    assert record["_id"] == first["_id"] and record["moved_to"] == NEW and len(record["revisions"]) == 1
    assert record["urls"] == first["urls"] and stats.get("storage/merged/moved") == 1
    assert page_hashes(settings) == {first["_id"]: record["content_hash"]}


def gone_at(url: str, hours: int) -> ArticleChecked:
    return ArticleChecked(url=url, fetched_at=FETCHED + timedelta(hours=hours), gone=True, reason="http_404")


@pytest.mark.parametrize("runs", [
    [[gone_at(OLD, 2), "new"]],  # one run: the old URL's 404 and the new URL's page
    [["new", gone_at(OLD, 2)]],
    [[gone_at(OLD, 2)], ["new"]],  # the 404 written in an earlier batch than the new URL's page
    [["new"], [gone_at(OLD, 4)]],
], ids=["404-then-new", "new-then-404", "404-run-then-new-run", "new-run-then-404-run"])
def test_a_changed_slug_is_a_move_not_a_removal(settings: dict[str, Any], runs: list[list[Any]]) -> None:
    """A site renames an article's URL: the old one answers 404, the same text is listed under a new one. The
    record moved there (revisits ask it there), it is not gone; a 404 there too is the removal."""
    for items in runs:
        crawl(settings, *(at_new_url(3, LONG, linked_from=None) if i == "new" else i for i in items))
    (record,) = records(settings)
    assert "gone_at" not in record and record["moved_to"] == NEW and NEW in record["urls"], record
    assert isinstance(record["moved_at"], datetime) and isinstance(record["last_checked"], datetime)
    crawl(settings, gone_at(NEW, 6))
    (record,) = records(settings)
    assert record["gone_reason"] == "http_404" and record["moved_to"] == NEW


def test_a_404_at_the_url_the_article_was_last_found_at_is_a_removal(settings: dict[str, Any]) -> None:
    """An article listed under two URLs and last found at the one revisits ask: its 404 there is the removal."""
    crawl(settings, at_new_url(2, LONG, linked_from=None))
    crawl(settings, ArticleChecked(url=OLD, fetched_at=FETCHED + timedelta(hours=3)))
    crawl(settings, gone_at(OLD, 5))
    (record,) = records(settings)
    assert record["gone_reason"] == "http_404" and "moved_to" not in record


def test_a_move_undone_is_no_longer_recorded(settings: dict[str, Any]) -> None:
    """The new URL redirects back: the revisit asked there finds the article at its own URL again."""
    crawl(settings, at_new_url(3), moved(3))
    assert records(settings)[0]["moved_to"] == NEW
    crawl(settings, cleaned(article(1, url=OLD, urls=[OLD, NEW], paragraphs=EDITED,
                                    fetched_at=FETCHED + timedelta(hours=6))))
    (record,) = records(settings)
    assert not {"moved_to", "moved_at"} & set(record) and record["seen_url"] == OLD


def test_an_earlier_version_served_at_another_url_is_a_stale_copy_not_an_edit(settings: dict[str, Any]) -> None:
    """The old slug stays live from a stale cache while the site edits the story under its new one: both URLs
    revisited in turn, the record keeps the edit instead of flipping between the two texts."""
    crawl(settings, at_new_url(2, LONG, linked_from=None))  # the same text under a second URL
    crawl(settings, at_new_url(3, EDITED, linked_from=None))  # edited there
    stale = cleaned(article(1, url=OLD, urls=[OLD], paragraphs=LONG, fetched_at=FETCHED + timedelta(hours=4)))
    for hours in (4, 6):
        stats = crawl(settings, replace(stale, fetched_at=FETCHED + timedelta(hours=hours)))
        (record,) = records(settings)
        assert record["body"] == "\n\n".join(EDITED) and len(record["revisions"]) == 1
        assert stats.get("storage/revision_rejected/stale") == 1
    undo = cleaned(article(1, url=NEW, urls=[NEW], paragraphs=LONG, fetched_at=FETCHED + timedelta(hours=8)))
    crawl(settings, undo)  # the editor undid the edit where the article lives: taken
    (record,) = records(settings)
    assert record["body"] == "\n\n".join(LONG) and len(record["revisions"]) == 2


SHORTLINK, PRINT = "https://asiaplus.news/?p=123", OLD + "print/"


@pytest.mark.parametrize("variant", [SHORTLINK, PRINT])
def test_an_article_last_fetched_through_a_variant_is_gone_at_its_404(settings: dict[str, Any], variant: str) -> None:
    """A shortlink or a print page names the article's own URL: the article was found there, so a 404 there is the
    removal, not a move to the variant (the schedule's last revisit would have left it live for good)."""
    crawl(settings, cleaned(article(1, paragraphs=LONG, urls=[variant, OLD], fetched_at=FETCHED + timedelta(hours=2))))
    crawl(settings, gone_at(OLD, 24 * 7 + 1))
    (record,) = records(settings)
    assert record["gone_reason"] == "http_404" and "moved_to" not in record and record["seen_url"] == OLD


@pytest.mark.parametrize("new_first", [True, False])
def test_a_moved_article_404_at_both_urls_in_one_batch_is_gone(settings: dict[str, Any], new_first: bool) -> None:
    """Revisited where it moved and, from a stale sitemap, at its first URL: both checks of one batch apply in turn."""
    crawl(settings, at_new_url(3), moved(3))
    checks = [gone_at(NEW, 30), gone_at(OLD, 30)]
    crawl(settings, *(checks if new_first else checks[::-1]))
    (record,) = records(settings)
    assert record["gone_reason"] == "http_404" and record["moved_to"] == NEW


@pytest.mark.parametrize("back", ["page", "304"])
def test_a_story_gone_where_it_moved_and_back_at_its_own_url_is_home(settings: dict[str, Any], back: str) -> None:
    crawl(settings, at_new_url(3), moved(3))
    crawl(settings, gone_at(NEW, 6))
    later = FETCHED + timedelta(hours=9)
    crawl(settings, cleaned(article(1, url=OLD, urls=[OLD], paragraphs=EDITED, fetched_at=later)) if back == "page"
          else ArticleChecked(url=OLD, fetched_at=later))
    (record,) = records(settings)
    assert not {"moved_to", "moved_at", "gone_at"} & set(record) and record["seen_url"] == OLD


def test_a_twin_found_meanwhile_keeps_another_writers_check(settings: dict[str, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hosts: one stores the article's text found under a second URL while the other records a 404 revisit
    of it between the first one's read and write. The twin's write adds its URL and keeps the removal."""
    if not settings.get("MONGO_URI"):
        pytest.skip("the embedded store's writers take turns (a lock file)")
    decide = store.ArticleStore._twin_writes

    def meanwhile(self: store.ArticleStore, *args: Any) -> Any:
        writes = decide(self, *args)
        other = open_store(settings)
        try:
            other.mark_checked([{"_id": url_id(OLD), "url": OLD, "fetched_at": FETCHED + timedelta(hours=5),
                                 "gone": True, "reason": "http_404"}])
        finally:
            other.close()
        return writes

    monkeypatch.setattr(store.ArticleStore, "_twin_writes", meanwhile)
    crawl(settings, at_new_url(2, LONG, linked_from=None))
    (record,) = records(settings)
    assert record["gone_reason"] == "http_404" and NEW in record["urls"]
    assert record["last_checked"].replace(tzinfo=None) == (FETCHED + timedelta(hours=5)).replace(tzinfo=None)
