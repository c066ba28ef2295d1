"""Concurrent writers: several processes, each with its own pymongo ``ArticleStore``, write the same
articles, exact twins and near copies at the same moments, round after round, into one nx-27017
database; the result must be what one writer would have stored (one record per article with every
URL and one revision per edit, one record per text, one story cluster per story), nothing rejected; the
embedded store's key tables in step with its records."""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import InsertOne
from pymongo.errors import BulkWriteError

from crawler.extract.cleanup import content_hash
from crawler.minhash import bands, signature
from crawler.storage.store import ArticleStore, StoreTarget, _bulk_write, is_transient
from crawler.urls import url_id
from tests.conftest import MongoTarget
from tests.test_store_keys import assert_keys_in_step

WRITERS = 4
ROUNDS = 6
ARTICLES = 4  # edited every round: their revisions
TWINS = 4  # one text under two URLs: their twins
NEAR = 3  # two near copies of one story: their clusters
SITE = "asiaplus"
BASE = "https://asiaplus.news/en/2026/11/01"
START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def _body(topic: str, variant: str = "") -> str:
    words = " ".join(f"{topic}-word{n}" for n in range(60))
    return f"The report on {topic} says this. {words} {variant}".strip()


def _doc(url: str, title: str, body: str, fetched_at: datetime, extra_url: str) -> dict[str, Any]:
    sig = signature(f"{title}\n{body}")
    return {"_id": url_id(url), "url": url, "urls": [url, extra_url], "site": SITE, "language": "en",
            "title": title, "body": body, "content_hash": content_hash(title, body), "minhash": sig,
            "lsh_bands": bands(sig), "published": PUBLISHED, "fetched_at": fetched_at}


def round_docs(writer: int, round_no: int) -> list[dict[str, Any]]:
    """What one writer fetched in one round: every article (this round's edit), both URLs of every
    twin and both near copies, each with a tracking URL of its own."""
    fetched = START + timedelta(minutes=round_no)
    tag = f"?utm_source=w{writer}r{round_no}"
    docs = [_doc(f"{BASE}/story-{n}/", f"Story {n}", _body(f"story{n}", f"edit {round_no} " * 3), fetched,
                 f"{BASE}/story-{n}/{tag}") for n in range(ARTICLES)]
    for n in range(TWINS):
        for side in ("a", "b"):
            url = f"{BASE}/twin-{n}-{side}/"
            docs.append(_doc(url, f"Twin {n}", _body(f"twin{n}"), fetched, url + tag))
    for n in range(NEAR):
        for side in ("a", "b"):
            url = f"{BASE}/near-{n}-{side}/"
            docs.append(_doc(url, f"Near {n}", _body(f"near{n}", f"as told by {side}"), fetched, url + tag))
    random.Random(writer * 100 + round_no).shuffle(docs)
    return docs


def _writer(target: StoreTarget, writer: int, barrier: Any, results: Any) -> None:
    """One process: its own store (own connection), the rounds in step with the other writers."""
    store = ArticleStore.connect(target)
    rejected: dict[str, str] = {}
    errors: list[str] = []
    try:
        for round_no in range(ROUNDS):
            docs = round_docs(writer, round_no)
            barrier.wait(timeout=60)
            try:
                half = len(docs) // 2  # two batches a round: the second sees the first's records
                for batch in (docs[:half], docs[half:]):
                    rejected.update(store.write_articles(batch, {}).rejected)
            except Exception as exc:  # what the BatchWriter would retry or quarantine
                errors.append(f"round {round_no}: {type(exc).__name__}: {exc}"[:500])
    finally:
        store.close()
        results.put((writer, rejected, errors))


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["mongo", "embedded"])
def test_concurrent_writers_store_what_one_writer_would(backend: str, request: pytest.FixtureRequest,
                                                       tmp_path: Path) -> None:
    """MongoDB (nx-27017, each writer its own client) and the embedded store (each writer its own
    connection to one file on one host)."""
    if backend == "mongo":
        mongo: MongoTarget = request.getfixturevalue("mongo")
        target = StoreTarget(uri=mongo.uri, database=mongo.database, data_dir=str(tmp_path), timeout=10)
    else:
        target = StoreTarget(uri="", database="news", data_dir=str(tmp_path), timeout=10)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    results = context.Queue()
    reader = ArticleStore.connect(target)  # the indexes exist before the writers start
    request.addfinalizer(reader.close)
    processes = [context.Process(target=_writer, args=(target, w, barrier, results)) for w in range(WRITERS)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    for writer, rejected, errors in outcomes:
        assert not errors, f"writer {writer} failed: {errors}"
        assert not rejected, f"writer {writer} had records rejected (quarantined): {rejected}"

    articles = reader.db["articles"]
    every_tag = [f"?utm_source=w{w}r{r}" for w in range(WRITERS) for r in range(ROUNDS)]
    for n in range(ARTICLES):  # one record, every URL, exactly one revision per edit
        url = f"{BASE}/story-{n}/"
        doc = articles.find_one({"_id": url_id(url)})
        assert set(doc["urls"]) == {url, *(url + tag for tag in every_tag)}, f"story {n} lost URLs"
        hashes = [r["content_hash"] for r in doc.get("revisions", [])]
        expected = [content_hash(f"Story {n}", _body(f"story{n}", f"edit {r} " * 3)) for r in range(ROUNDS)]
        assert [*hashes, doc["content_hash"]] == expected, f"story {n}: revisions recorded twice or lost"
    for n in range(TWINS):  # one record for one text, under both URLs
        urls = [f"{BASE}/twin-{n}-{side}/" for side in ("a", "b")]
        stored = list(articles.find({"content_hash": content_hash(f"Twin {n}", _body(f"twin{n}"))}))
        assert len(stored) == 1, f"twin {n} stored {len(stored)} times: {[d['url'] for d in stored]}"
        assert set(stored[0]["urls"]) == {u + suffix for u in urls for suffix in ("", *every_tag)}
    for n in range(NEAR):  # both near copies in one story cluster, one of them its original
        copies = list(articles.find({"_id": {"$in": [url_id(f"{BASE}/near-{n}-{s}/") for s in "ab"]}}))
        assert len(copies) == 2
        assert len({d["story_cluster"] for d in copies}) == 1, f"near {n} split into two story clusters"
        assert sum(bool(d["story_original"]) for d in copies) == 1, f"near {n}: not one original"
    assert articles.count_documents({}) == ARTICLES + TWINS + 2 * NEAR
    if backend == "embedded":  # the key tables of urls and lsh_bands hold what the records hold, nothing else
        assert_keys_in_step(reader)


@pytest.mark.e2e
def test_a_duplicate_id_is_a_race_to_retry_and_a_deployment_unique_key_a_rejection(mongo: MongoTarget) -> None:
    """The real duplicate-key errors of nx-27017: a second insert of one ``_id`` (what two writers
    inserting one article at once get) is transient, so the batch is written again and nothing is
    quarantined; a clash on a unique index the deployment added stays the record's fault."""
    collection = mongo.db["clash"]
    collection.create_index("title", unique=True)
    collection.insert_one({"_id": "x", "title": "taken"})
    errors = []
    for op in (InsertOne({"_id": "x", "title": "other"}), InsertOne({"_id": "y", "title": "taken"})):
        with pytest.raises(BulkWriteError) as caught:
            collection.bulk_write([op], ordered=False)
        errors.append(caught.value)
    same_id, same_title = errors
    assert is_transient(same_id) and not is_transient(same_title)
    raced: set[str] = set()
    assert _bulk_write(collection, [InsertOne({"_id": "x"})], ["x"], "record", raced) == {} and raced == {"x"}
    assert set(_bulk_write(collection, [InsertOne({"_id": "y", "title": "taken"})], ["y"], "record", raced)) == {"y"}
    # MongoDB's own wording of the same race
    mongodb = {"index": 0, "code": 11000, "keyPattern": {"_id": 1},
               "errmsg": "E11000 duplicate key error collection: news.articles index: _id_ dup key: { _id: \"x\" }"}
    assert is_transient(BulkWriteError({"writeErrors": [mongodb]}))
