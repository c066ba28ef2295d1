"""A MongoDB server's key collection (:mod:`crawler.storage.server_keys`), through the real store on the test
server (nx-27017, or ``MONGO_URI``): look-ups by URL, LSH band and content hash read by ``_id`` only (nx-27017
reads every record for ``$in`` on any other field), a store from before gets its keys once, and a key a record
no longer holds never brings it back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import BulkWriteError

from crawler.storage import server_keys
from crawler.storage.store import ArticleStore, StoreTarget
from crawler.urls import url_id
from tests.conftest import MongoTarget
from tests.test_store_keys import BASE, FETCHED, doc, text
from tests.test_store_known import Finds, watching


@pytest.fixture
def watched(mongo: MongoTarget) -> Iterator[tuple[ArticleStore, Finds]]:
    with watching(mongo) as pair:
        yield pair


def test_dedup_clusters_and_revisits_read_records_by_id_only(watched: tuple[ArticleStore, Finds]) -> None:
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


def test_a_key_the_record_no_longer_holds_finds_nothing(watched: tuple[ArticleStore, Finds]) -> None:
    store, _ = watched
    store.write_articles([doc(1, text("flood"), f"{BASE}/old-1/")], {})
    record = store.db["articles"].find_one({"_id": url_id(f"{BASE}/1/")})
    store.db["articles"].replace_one({"_id": record["_id"]}, {**record, "urls": [f"{BASE}/1/"]})

    assert store.known([], [f"{BASE}/old-1/"]) == {}
    assert set(store.known([], [f"{BASE}/1/"])) == {record["_id"]}
    assert store.db[server_keys.COLLECTION].find_one({"_id": server_keys.key("urls", f"{BASE}/old-1/")})


def test_a_write_the_keys_cannot_name_is_refused_before_it_is_made(watched: tuple[ArticleStore, Finds]) -> None:
    store, _ = watched
    articles = store.db["articles"]
    with pytest.raises(ValueError, match="by _id"):
        articles.update_one({"site": "akipress"}, {"$set": {"urls": [f"{BASE}/x/"]}})
    with pytest.raises(ValueError, match="not indexed"):
        articles.update_many({}, {"$addToSet": {"urls": f"{BASE}/x/"}})
    with pytest.raises(ValueError, match="part of a keyed field"):
        articles.update_one({"_id": "a"}, {"$set": {"urls.0": f"{BASE}/x/"}})
    with pytest.raises(ValueError, match="needs the document's _id"):  # the server would name it after the keys
        articles.insert_one({k: v for k, v in doc(1, text("flood")).items() if k != "_id"})
    assert articles.count_documents({}) == 0


class RefusingKeys:
    """The real key collection, except that the server refuses the keys in ``refused`` (as MongoDB refuses a
    document grown past 16 MB: nx-27017 refuses none)."""

    def __init__(self, keys: Any, refused: set[str]) -> None:
        self.keys, self.refused = keys, refused

    def bulk_write(self, requests: list[Any], ordered: bool = True) -> Any:
        bad = [n for n, r in enumerate(requests) if r._filter["_id"] in self.refused]
        result = self.keys.bulk_write([r for r in requests if r._filter["_id"] not in self.refused], ordered=ordered)
        if bad:
            raise BulkWriteError({"writeErrors": [{"index": n, "code": 10334, "errmsg": "BSONObjectTooLarge"}
                                                  for n in bad], "writeConcernErrors": [], "nInserted": 0})
        return result


def test_a_key_the_server_refuses_rejects_its_record_alone(watched: tuple[ArticleStore, Finds],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = watched
    docs = [doc(n, text(f"topic{n}")) for n in range(1, 5)]
    culprit = docs[2]
    opened = server_keys.KeyedArticles.__init__

    def refusing(self: server_keys.KeyedArticles, articles: Any, keys: Any) -> None:
        opened(self, articles, RefusingKeys(keys, {server_keys.key("content_hash", culprit["content_hash"])}))

    monkeypatch.setattr(server_keys.KeyedArticles, "__init__", refusing)
    counts = store.write_articles(docs, {})

    assert list(counts.rejected) == [culprit["_id"]]
    assert "its key: BSONObjectTooLarge" in counts.rejected[culprit["_id"]]
    assert counts.inserted == 3
    stored = {d["_id"] for d in store.db["articles"].find({}, {"_id": 1})}
    assert stored == {d["_id"] for d in docs} - {culprit["_id"]}


def test_one_process_builds_the_keys_of_an_older_store(mongo: MongoTarget) -> None:
    docs = [doc(n, text(f"topic{n}"), f"{BASE}/{n}/?amp") for n in range(3)]
    mongo.db["articles"].insert_many(docs)
    building = f"{server_keys.MIGRATION}:building"
    mongo.db[server_keys.MIGRATIONS].insert_one({"_id": building, "renewed_at": datetime.now(UTC)})
    target = StoreTarget(mongo.uri, mongo.database, "")

    store = ArticleStore.connect(target)  # another process is building them: this one reads the records
    try:
        assert set(store.known([], [f"{BASE}/{n}/?amp" for n in range(3)])) == {d["_id"] for d in docs}
        assert mongo.db[server_keys.COLLECTION].count_documents({}) == 0
    finally:
        store.close()

    left = datetime.now(UTC) - timedelta(minutes=30)  # its builder died: the claim is taken over
    mongo.db[server_keys.MIGRATIONS].update_one({"_id": building}, {"$set": {"renewed_at": left}})
    store = ArticleStore.connect(target)
    try:
        assert mongo.db[server_keys.MIGRATIONS].find_one({"_id": server_keys.MIGRATION})["records"] == 3
        assert mongo.db[server_keys.MIGRATIONS].find_one({"_id": building}) is None
        assert set(store.known([], [f"{BASE}/{n}/?amp" for n in range(3)])) == {d["_id"] for d in docs}
    finally:
        store.close()


def test_every_handle_on_the_articles_writes_their_keys(watched: tuple[ArticleStore, Finds]) -> None:
    store, _ = watched
    handles = [store.db["articles"], store.db.articles, store.db.get_collection("articles"),
               store.db["articles"].with_options(write_concern=store.db["articles"].write_concern)]
    for n, handle in enumerate(handles):
        handle.insert_one(doc(n, text(f"topic{n}"), f"{BASE}/{n}/?alias"))
    assert set(store.known([], [f"{BASE}/{n}/?alias" for n in range(len(handles))])) == \
        {url_id(f"{BASE}/{n}/") for n in range(len(handles))}
