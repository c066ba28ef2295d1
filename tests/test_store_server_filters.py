"""The store's queries to a MongoDB server are written in the form nx-27017 answers from its indexes
(:mod:`crawler.storage.server_filters`): a site's recent articles, its oldest, its sources, its runs, a story
cluster's members and its relabelling. A plain ``{"story_cluster": "x"}`` made nx-27017's ``update_many`` read every
stored record (2,018 ms against 3.0 at 100,000 records, growing with the store), a site's revisits took four times
as long, and ``count_documents`` reads every record whatever the filter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import monitoring

from crawler.storage.server_filters import indexed
from crawler.storage.store import ArticleStore
from tests.conftest import MongoTarget
from tests.test_store_keys import FETCHED, SITE, doc, text
from tests.test_store_known import Listener, listened


class Filters(Listener):
    """The filters of every ``find``, ``update``, ``delete`` and ``aggregate`` (``count_documents``) sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []  # (command, collection, filter)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command, name = event.command, event.command_name
        if name == "find":
            self.sent.append((name, command["find"], dict(command["filter"])))
        elif name in ("update", "delete"):
            self.sent += [(name, command[name], dict(each["q"])) for each in command[f"{name}s"]]
        elif name == "aggregate":
            self.sent += [(name, command["aggregate"], dict(stage["$match"])) for stage in command["pipeline"]
                          if "$match" in stage]


@pytest.fixture
def watched(mongo: MongoTarget) -> Iterator[tuple[ArticleStore, Filters]]:
    filters = Filters()
    with listened(mongo, filters) as store:
        yield store, filters


def scanned(filter: dict[str, Any]) -> list[str]:
    """The fields ``filter`` matches by a string in a form nx-27017 answers by reading every record; none when it
    names its ``_id``s (read from the primary index, in any form, whatever else it asks)."""
    if "_id" in filter and (not isinstance(filter["_id"], dict) or "$in" in filter["_id"]):
        return []
    return [field for field, cond in filter.items() if not field.startswith("$") and (
        isinstance(cond, str) or (isinstance(cond, dict) and "$in" in cond and len(cond["$in"]) == 1))]


def test_a_string_equality_is_sent_as_eq_and_the_rest_as_it_is() -> None:
    day = FETCHED
    assert indexed({"site": "kun", "published": {"$gte": day}, "_id": "a", "$text": {"$search": "x"}}) == {
        "site": {"$eq": "kun"}, "published": {"$gte": day}, "_id": "a", "$text": {"$search": "x"}}
    assert indexed({"site": {"$in": ["kun"]}, "language": {"$in": ["ru", "uz"]}}) == {
        "site": {"$eq": "kun"}, "language": {"$in": ["ru", "uz"]}}
    assert indexed({"moved_to": None, "revision_count": 2, "story_original": {"$ne": False}}) == {
        "moved_to": None, "revision_count": 2, "story_original": {"$ne": False}}


@pytest.mark.e2e  # the MongoDB server
def test_no_query_of_a_site_or_a_story_makes_the_server_read_every_record(
        watched: tuple[ArticleStore, Filters]) -> None:
    store, filters = watched
    store.write_articles([doc(n, text(f"topic{n}")) for n in range(1, 4)], {})
    near = doc(9, text("topic1", "and one more line"))
    store.write_articles([near], {})
    store.save_sources([{"_id": f"https://{SITE}.kg/rss", "site": SITE, "etag": '"1"'}])
    store.record_run({"_id": "run-1", "spider": "news", "site": SITE, "started_at": FETCHED})
    stored = {d["_id"]: d for d in store.articles_after("", 10)}
    cluster = stored[near["_id"]]["story_cluster"]
    # Two writers that each started a cluster for one story (each read before the other wrote): relabelled as one.
    store.db["articles"].update_one({"_id": near["_id"]}, {"$set": {"story_cluster": near["_id"]}})
    filters.sent.clear()

    store._join_clusters([near])
    assert len({d["story_cluster"] for d in store.articles_after("", 10) if d["_id"] in (near["_id"], cluster)}) == 1
    assert store.recent_articles(SITE, 10) and store.oldest_published(SITE) == FETCHED - timedelta(hours=9)
    assert store.newest_published(SITE) and store.sources(SITE) and store.latest_runs(5, "news", site=SITE)
    assert store.articles_after("", 10, site=SITE) and store.latest_articles(SITE, 2)
    assert store.count_articles(SITE) == 4 and store.count_articles(query={"site": {"$in": [SITE]}}) == 4
    counted = len(filters.sent)
    assert store.count_articles(SITE, since=FETCHED - timedelta(days=1)) == 4
    assert store.count_articles(SITE, since=FETCHED + timedelta(days=1)) == 0
    # a recent window (scrapy report's articles_24h) is counted from the index: count_documents reads every record
    assert [command for command, _, _ in filters.sent[counted:]] == ["find", "find"]

    assert [sent for sent in filters.sent if scanned(sent[2])] == []
    asked = {(collection, field) for _, collection, filter in filters.sent for field, cond in filter.items()
             if isinstance(cond, dict) and "$eq" in cond}
    assert {("articles", "site"), ("articles", "story_cluster"), ("sources", "site"), ("crawl_runs", "spider"),
            ("crawl_runs", "site")} <= asked
