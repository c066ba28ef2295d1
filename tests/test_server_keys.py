"""A MongoDB server's key collection (:mod:`crawler.storage.server_keys`), through the real store on the test
server (nx-27017, or ``MONGO_URI``): look-ups by URL, LSH band and content hash read by ``_id`` only (nx-27017
reads every record for ``$in`` on any other field), a store from before gets its keys once, and a key a record
no longer holds never brings it back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pymongo
import pytest
from pymongo import monitoring

from crawler.storage import server_keys
from crawler.storage.store import ArticleStore, StoreTarget
from crawler.urls import url_id
from tests.conftest import MongoTarget
from tests.test_store_keys import BASE, FETCHED, doc, text


class Queries(monitoring.CommandListener):
    """The filter of every ``find`` the client sends to ``articles``."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command["find"] == "articles":
            self.filters.append(dict(event.command["filter"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def watched(mongo: MongoTarget) -> Iterator[tuple[ArticleStore, Queries]]:
    queries = Queries()
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        mongo.uri, tz_aware=True, serverSelectionTimeoutMS=5000, event_listeners=[queries])
    store = ArticleStore(client[mongo.database], StoreTarget(mongo.uri, mongo.database, ""), client)
    store.ensure_indexes()
    try:
        yield store, queries
    finally:
        store.close()


def test_dedup_clusters_and_revisits_read_records_by_id_only(watched: tuple[ArticleStore, Queries]) -> None:
    store, queries = watched
    alias = f"{BASE}/1/?amp=1"
    store.write_articles([doc(1, text("flood")), doc(2, text("harvest"))], {})
    store.write_articles([doc(1, text("flood"), alias, fetched=FETCHED + timedelta(hours=1)),  # gains a URL
                          doc(3, text("flood", "as reported by the agency")),  # a near copy of 1: its cluster
                          {**doc(2, text("harvest")), "_id": url_id(f"{BASE}/9/"), "url": f"{BASE}/9/",
                           "urls": [f"{BASE}/9/"]}], {})  # 2's exact twin at another URL: merged into 2
    checked = store.mark_checked([{"_id": url_id(alias), "url": alias, "fetched_at": FETCHED + timedelta(days=2)}])
    known = store.known([], [alias, f"{BASE}/9/", f"{BASE}/8/"])

    assert checked == 1
    assert set(known) == {url_id(f"{BASE}/1/"), url_id(f"{BASE}/2/")}
    third = store.db["articles"].find_one({"_id": url_id(f"{BASE}/3/")})
    assert third["story_cluster"] == url_id(f"{BASE}/1/")
    assert store.db["articles"].find_one({"_id": url_id(f"{BASE}/9/")}) is None
    assert f"{BASE}/9/" in store.db["articles"].find_one({"_id": url_id(f"{BASE}/2/")})["urls"]
    by_value = [f for f in queries.filters if any(isinstance(c, dict) and "$in" in c and field != "_id"
                                                 for field, c in f.items())]
    assert by_value == []  # every $in was by _id: no look-up reads the whole collection on nx-27017
    assert queries.filters  # the look-ups went through this client


def test_a_store_from_before_gets_its_keys_once(mongo: MongoTarget) -> None:
    docs = [doc(n, text(f"topic{n}"), f"{BASE}/{n}/?amp") for n in range(4)]
    mongo.db["articles"].insert_many(docs)  # as an earlier version stored them: no keys
    target = StoreTarget(mongo.uri, mongo.database, "")

    store = ArticleStore.connect(target)
    try:
        assert set(store.known([], [f"{BASE}/{n}/?amp" for n in range(4)])) == {d["_id"] for d in docs}
        assert mongo.db[server_keys.MIGRATIONS].find_one({"_id": server_keys.MIGRATION})["records"] == 4
        assert mongo.db[server_keys.COLLECTION].count_documents({}) == 4 * (2 + 16 + 1)
    finally:
        store.close()
    mongo.db["articles"].insert_one(doc(7, text("topic7")))
    ArticleStore.connect(target).close()  # built once: a second open reads no record for keys
    assert mongo.db[server_keys.MIGRATIONS].find_one({"_id": server_keys.MIGRATION})["records"] == 4


def test_a_key_the_record_no_longer_holds_finds_nothing(watched: tuple[ArticleStore, Queries]) -> None:
    store, _ = watched
    store.write_articles([doc(1, text("flood"), f"{BASE}/old-1/")], {})
    record = store.db["articles"].find_one({"_id": url_id(f"{BASE}/1/")})
    store.db["articles"].replace_one({"_id": record["_id"]}, {**record, "urls": [f"{BASE}/1/"]})

    assert store.known([], [f"{BASE}/old-1/"]) == {}
    assert set(store.known([], [f"{BASE}/1/"])) == {record["_id"]}
    assert store.db[server_keys.COLLECTION].find_one({"_id": server_keys.key("urls", f"{BASE}/old-1/")})


def test_a_write_the_keys_cannot_name_is_refused_before_it_is_made(watched: tuple[ArticleStore, Queries]) -> None:
    store, _ = watched
    articles = store.db["articles"]
    with pytest.raises(ValueError, match="by _id"):
        articles.update_one({"site": "akipress"}, {"$set": {"urls": [f"{BASE}/x/"]}})
    with pytest.raises(ValueError, match="not indexed"):
        articles.update_many({}, {"$addToSet": {"urls": f"{BASE}/x/"}})
    with pytest.raises(ValueError, match="part of a keyed field"):
        articles.update_one({"_id": "a"}, {"$set": {"urls.0": f"{BASE}/x/"}})
    assert articles.count_documents({}) == 0
