"""``ArticleStore.known``: which linked articles are stored, asked in batches so that a
sitemap's worth of links never makes a query MongoDB refuses (16 MB documents), against
nx-27017 over pymongo and the embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
import pytest
from pymongo import monitoring

from crawler.storage.store import ArticleStore, StoreTarget
from crawler.urls import url_id
from tests.conftest import MongoTarget

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def url(n: int, pad: int = 0) -> str:
    return f"https://endless.kg/news/{n}/{'x' * pad}"


def stored(n: int, *aliases: str) -> dict[str, Any]:
    """A stored article checked after its last revisit step (7 d): not due again."""
    return {"_id": url_id(url(n)), "url": url(n), "urls": [url(n), *aliases], "site": "endless",
            "published": NOW, "last_checked": NOW + timedelta(days=8)}


class Listener(monitoring.CommandListener):
    """A command listener that reads the commands sent (``started``), not their replies."""

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class Finds(Listener):
    """The ``$in`` list lengths of every ``find`` the client sends, also by collection and field, and the filters
    of those sent to ``articles``."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.asked: list[tuple[str, str, int]] = []
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            if event.command["find"] == "articles":
                self.filters.append(dict(event.command["filter"]))
            for field, cond in event.command["filter"].items():
                if isinstance(cond, dict) and "$in" in cond:
                    self.sizes.append(len(cond["$in"]))
                    self.asked.append((event.command["find"], field, len(cond["$in"])))


@pytest.fixture
def watched(mongo: MongoTarget) -> Iterator[tuple[ArticleStore, Finds]]:
    with watching(mongo) as pair:
        yield pair


@contextmanager
def watching(mongo: MongoTarget) -> Iterator[tuple[ArticleStore, Finds]]:
    """A store on the test database whose client reports its ``find`` commands."""
    finds = Finds()
    with listened(mongo, finds) as store:
        yield store, finds


@contextmanager
def listened(mongo: MongoTarget, listener: monitoring.CommandListener) -> Iterator[ArticleStore]:
    """A store on the test database whose client reports its commands to ``listener``."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        mongo.uri, tz_aware=True, serverSelectionTimeoutMS=5000, event_listeners=[listener])
    store = ArticleStore(client[mongo.database], StoreTarget(mongo.uri, mongo.database, ""), client)
    store.ensure_indexes()
    try:
        yield store
    finally:
        store.close()


def test_known_finds_articles_by_id_and_by_any_of_their_urls(store: ArticleStore) -> None:
    store.db["articles"].insert_many([stored(1), stored(2, url(20)), stored(3), stored(4, url(40))])
    asked = [url(n) for n in (1, 20, 3, 5, 40, 6, 7)]  # 20 and 40 are other URLs of 2 and 4
    known = store.known([url_id(u) for u in asked], asked, batch=2)
    assert set(known) == {url_id(url(n)) for n in (1, 2, 3, 4)}
    assert known[url_id(url(2))]["urls"] == [url(2), url(20)]
    assert known[url_id(url(1))]["published"] == NOW


def test_known_asks_at_most_a_batch_of_values_per_query(watched: tuple[ArticleStore, Finds]) -> None:
    store, finds = watched
    store.db["articles"].insert_many([stored(n) for n in range(0, 2_500, 100)])
    asked = [url(n) for n in range(2_500)]
    known = store.known([url_id(u) for u in asked], asked)
    assert set(known) == {url_id(url(n)) for n in range(0, 2_500, 100)}
    # By _id; then by urls, through the key collection (the records it names are read by _id).
    assert [size for collection, _, size in finds.asked if collection == "articles_keys"] == [1_000, 1_000, 500]
    assert [a for a in finds.asked if a[0] == "articles"][:3] == [("articles", "_id", n) for n in (1_000, 1_000, 500)]
    assert all(a[:2] == ("articles", "_id") and a[2] <= 1_000 for a in finds.asked if a[0] == "articles")


def test_a_lookup_larger_than_a_mongodb_document_is_answered(watched: tuple[ArticleStore, Finds]) -> None:
    store, finds = watched
    asked = [url(n, pad=500) for n in range(30_000)]  # ~19 MB of ids and URLs: one query would be refused
    store.db["articles"].insert_many([stored(7, asked[7]), stored(29_999, asked[29_999])])
    known = store.known([url_id(u) for u in asked], asked)
    assert set(known) == {url_id(url(7)), url_id(url(29_999))}
    assert max(finds.sizes) == 1_000
