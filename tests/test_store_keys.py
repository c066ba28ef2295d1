"""Look-ups by an element of ``urls`` or ``lsh_bands`` (incremental ``known``, story clusters, 304 checks) and
a site's newest dates, through the real store on nx-27017 and the embedded store: the embedded store answers
them from its key tables (built once for a store made before them, kept in step by every write), at a cost
that does not grow with the store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import neosqlite
import pytest
from neosqlite.collection.json_helpers import neosqlite_json_dumps

from crawler.extract.cleanup import content_hash
from crawler.minhash import bands, signature
from crawler.storage import keys
from crawler.storage.store import ArticleStore, StoreTarget
from crawler.urls import url_id

SITE = "akipress"
BASE = "https://akipress.com/news"
FETCHED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def text(topic: str, variant: str = "") -> str:
    return f"The report on {topic} says this. {' '.join(f'{topic}-word{n}' for n in range(60))} {variant}".strip()


def doc(n: int, body: str, *aliases: str, fetched: datetime = FETCHED) -> dict[str, Any]:
    """An article document as the crawl writes it."""
    url = f"{BASE}/{n}/"
    sig = signature(f"Title {n}\n{body}")
    return {"_id": url_id(url), "url": url, "urls": [url, *aliases], "site": SITE, "title": f"Title {n}",
            "body": body, "content_hash": content_hash(f"Title {n}", body), "minhash": sig, "lsh_bands": bands(sig),
            "published": FETCHED - timedelta(hours=n), "fetched_at": fetched}


def key_rows(connection: sqlite3.Connection, field: str) -> set[tuple[str, str]]:
    """The (key, article ``_id``) pairs of a key table."""
    return set(connection.execute(f"SELECT k.key, a._id FROM {keys.table(field)} AS k JOIN articles AS a "
                                  "ON a.id = k.article"))


def derived_rows(connection: sqlite3.Connection, field: str) -> set[tuple[str, str]]:
    """The (element, ``_id``) pairs the records hold now: what the key table must hold."""
    return set(connection.execute(f"SELECT j.value, a._id FROM articles AS a, json_each(a.data, '$.{field}') AS j"))


def assert_keys_in_step(store: ArticleStore) -> None:
    connection = store.db.db
    for field in keys.KEYED_FIELDS:
        assert key_rows(connection, field) == derived_rows(connection, field), f"{field} keys out of step"
        orphans = connection.execute(f"SELECT count(*) FROM {keys.table(field)} WHERE article NOT IN "
                                     "(SELECT id FROM articles)").fetchone()[0]
        assert orphans == 0, f"{field}: keys of deleted records"


def test_lookups_by_url_band_and_site_dates(store: ArticleStore) -> None:
    alias = f"{BASE}/1/?amp=1"
    store.write_articles([doc(1, text("flood")), doc(2, text("harvest"))], {})
    store.write_articles([doc(1, text("flood"), alias, fetched=FETCHED + timedelta(hours=1))], {})  # gains a URL

    asked = [alias, f"{BASE}/2/", f"{BASE}/9/"]
    known = store.known([url_id(u) for u in asked[1:]], asked)
    assert set(known) == {url_id(f"{BASE}/1/"), url_id(f"{BASE}/2/")}  # 1 found by its second URL only
    assert known[url_id(f"{BASE}/1/")]["urls"] == [f"{BASE}/1/", alias]
    assert known[url_id(f"{BASE}/2/")]["published"] == FETCHED - timedelta(hours=2)

    store.write_articles([doc(3, text("flood", "as reported by the agency"))], {})  # a near copy of 1, older
    first, third = (store.db["articles"].find_one({"_id": url_id(f"{BASE}/{n}/")}) for n in (1, 3))
    assert third["story_cluster"] == url_id(f"{BASE}/1/") and third["story_original"] is True
    assert not first["story_original"]  # nx-27017 answers a $set False as 0

    checked_at = FETCHED + timedelta(days=2)  # a 304 answered at the alias (another _id): found by URL
    assert store.mark_checked([{"_id": url_id(alias), "url": alias, "fetched_at": checked_at}]) == 1
    assert store.db["articles"].find_one({"_id": url_id(f"{BASE}/1/")})["last_checked"] == checked_at

    assert store.newest_published(SITE) == FETCHED - timedelta(hours=1)
    assert store.last_new_article(SITE) == FETCHED
    assert store.newest_published("elsewhere") is None and store.last_new_article("elsewhere") is None


def test_every_write_keeps_the_key_tables_in_step(tmp_path: Path) -> None:
    """Inserts, URLs gained, edits, exact twins merged and deleted, other writers' raw writes."""
    store = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
    try:
        store.write_articles([doc(n, text(f"topic{n}")) for n in range(6)], {})
        later = FETCHED + timedelta(hours=1)
        store.write_articles([doc(0, text("topic0"), f"{BASE}/0/?p=1", fetched=later),  # gains a URL
                              doc(1, text("topic1", "edited"), fetched=later),  # revised: new bands
                              {**doc(2, text("topic2"), fetched=later), "_id": url_id(f"{BASE}/7/"),
                               "url": f"{BASE}/7/", "urls": [f"{BASE}/7/"]}], {})  # 2's exact twin at a new URL
        twin = store.db["articles"].find_one({"_id": url_id(f"{BASE}/2/")})
        assert f"{BASE}/7/" in twin["urls"]
        store.db["articles"].delete_one({"_id": url_id(f"{BASE}/5/")})
        store.db["articles"].update_one({"_id": url_id(f"{BASE}/4/")}, {"$set": {"urls": [f"{BASE}/four/"]}})
        assert_keys_in_step(store)
        known = store.known([], [f"{BASE}/7/", f"{BASE}/0/?p=1", f"{BASE}/four/", f"{BASE}/4/", f"{BASE}/5/"])
        assert set(known) == {url_id(f"{BASE}/{n}/") for n in (2, 0, 4)}
    finally:
        store.close()


def old_store(path: Path, docs: list[dict[str, Any]]) -> None:
    """A store as the crawler left it before key tables: neosqlite's index of each whole array."""
    connection = neosqlite.Connection(str(path))
    articles = connection["articles"]
    for field in ("site", "urls", "content_hash", "lsh_bands", "story_cluster"):
        articles.create_index(field)
    articles.insert_many([{**d, "story_cluster": d["_id"], "story_original": True} for d in docs])
    connection.close()


def test_a_store_made_before_key_tables_gets_them_once(tmp_path: Path) -> None:
    docs = [doc(n, text(f"topic{n}"), f"{BASE}/{n}/?amp") for n in range(5)]
    old_store(tmp_path / "news.db", docs)
    target = StoreTarget("", "news", str(tmp_path))

    store = ArticleStore.connect(target)
    connection = store.db.db
    assert connection.execute(f"SELECT name, records FROM {keys.MIGRATIONS_TABLE}").fetchall() == [(keys.MIGRATION, 5)]
    assert_keys_in_step(store)
    assert len(key_rows(connection, "lsh_bands")) == 5 * 16
    indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert not {"idx_articles_urls", "idx_articles_lsh_bands"} & indexes  # whole-array indexes: dropped
    known = store.known([], [f"{BASE}/3/?amp"])
    assert list(known) == [url_id(f"{BASE}/3/")]
    store.write_articles([doc(9, text("topic4", "retold"))], {})  # a near copy of 4, found by its bands
    assert store.db["articles"].find_one({"_id": url_id(f"{BASE}/9/")})["story_cluster"] == url_id(f"{BASE}/4/")
    connection.execute(f"INSERT INTO {keys.table('urls')} VALUES ('marker', 1)")  # survives only if never rebuilt
    store.close()

    again = ArticleStore.connect(target)
    try:
        assert again.db.db.execute(f"SELECT count(*) FROM {keys.MIGRATIONS_TABLE}").fetchone()[0] == 1
        assert ("marker", url_id(f"{BASE}/0/")) in key_rows(again.db.db, "urls")  # not built a second time
    finally:
        again.close()


def test_a_store_whose_triggers_are_gone_is_rebuilt(tmp_path: Path) -> None:
    """A collection dropped and made again loses its triggers: the next open builds them again."""
    target = StoreTarget("", "news", str(tmp_path))
    store = ArticleStore.connect(target)
    store.db["articles"].drop()
    store.close()
    old_store(tmp_path / "news.db", [doc(1, text("flood"), f"{BASE}/one/")])
    store = ArticleStore.connect(target)
    try:
        assert set(store.known([], [f"{BASE}/one/"])) == {url_id(f"{BASE}/1/")}
        assert_keys_in_step(store)
    finally:
        store.close()


def steps(connection: sqlite3.Connection, call: Any) -> int:
    """SQLite virtual machine steps (in thousands) that ``call`` takes: its reads, whatever the machine's load."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    connection.set_progress_handler(tick, 1000)
    try:
        call()
    finally:
        connection.set_progress_handler(None, 0)
    return count[0]


def fill(store: ArticleStore, first: int, count: int) -> None:
    """``count`` more records of another site, written as SQL rows (quick), with their URL and bands."""
    rows = []
    for n in range(first, first + count):
        url = f"https://archive.test/{n}/"
        sig = [n * 64 + k for k in range(64)]
        rows.append((url_id(url), neosqlite_json_dumps(
            {"_id": url_id(url), "url": url, "urls": [url], "site": "archive", "lsh_bands": bands(sig),
             "minhash": sig, "published": FETCHED})))
    connection = store.db.db
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO articles(_id, data) VALUES (?, ?)", rows)
    connection.execute("COMMIT")


def test_embedded_lookups_cost_the_same_in_a_store_fifty_times_larger(tmp_path: Path) -> None:
    store = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
    try:
        asked = [f"https://archive.test/{n}/" for n in range(0, 200, 2)]
        new = [doc(n, text(f"topic{n}")) for n in range(20)]

        def work() -> None:
            assert len(store.known([url_id(u) for u in asked], asked)) == len(asked)
            store.mark_checked([{"_id": url_id(u), "url": u, "fetched_at": FETCHED} for u in asked[:20]])
            store._cluster_ops([dict(d) for d in new])
            store.newest_published(SITE)

        fill(store, 0, 200)
        small = steps(store.db.db, work)
        fill(store, 200, 9_800)
        large = steps(store.db.db, work)
        assert large < small * 1.5, f"{small}k steps with 200 stored, {large}k with 10,000: a scan"
    finally:
        store.close()


def test_find_by_key_projects_one_field_and_refuses_exclusions(tmp_path: Path) -> None:
    """One path given to json_extract answers a bare value, not an array of one: a lone _id is still a record."""
    store = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
    try:
        fill(store, 0, 3)
        url = "https://archive.test/1/"
        assert keys.find(store.db.db, "urls", [url], {"_id": 1}) == [{"_id": url_id(url)}]
        assert keys.find(store.db.db, "urls", [url], {"url": 1}) == [{"_id": url_id(url), "url": url}]
        with pytest.raises(ValueError, match="inclusion"):
            keys.find(store.db.db, "urls", [url], {"minhash": 0})
    finally:
        store.close()


def test_equality_lookups_answer_as_neosqlite_does_without_parsing_whole_records(tmp_path: Path) -> None:
    """The embedded store's look-ups by content hash and ``_id`` (exact twins, story clusters) are answered in
    SQL with the projection neosqlite's ``find`` gives (dates as dates, a missing field left out), in its order:
    each value's matches in turn, by row; neosqlite parsed and deep-copied every whole record to project it."""
    store = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
    try:
        docs = [{**doc(n, text(f"topic{n % 3}")), "content_hash": content_hash("Title", text(f"topic{n % 3}"))}
                for n in range(9)]  # three texts, each stored three times
        docs[4].pop("published")
        store.db["articles"].insert_many([{**d, "first_seen": d["fetched_at"]} for d in docs])
        articles = store.db["articles"]
        hashes = [docs[n]["content_hash"] for n in (5, 0, 4)] + ["unknown"]
        for projection in ({"site": 1, "content_hash": 1, "first_seen": 1}, {"published": 1, "minhash": 1}):
            expected = [d for h in dict.fromkeys(hashes) for d in articles.find({"content_hash": h}, projection)]
            assert keys.find_equal(store.db.db, "content_hash", hashes, projection) == expected
            assert len(expected) == 9 and isinstance(expected[0].get("first_seen", expected[0].get("published")),
                                                    datetime)
        ids = [d["_id"] for d in docs[::2]]
        assert (sorted(keys.find_equal(store.db.db, "_id", ids, {"lsh_bands": 1}), key=lambda d: d["_id"])
                == sorted(articles.find({"_id": {"$in": ids}}, {"lsh_bands": 1}), key=lambda d: d["_id"]))
    finally:
        store.close()


def test_a_new_record_is_compared_only_with_records_sharing_a_band(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Story clusters: a batch of unrelated stories costs no comparisons (every record of the batch was compared
    with every other before, in the writer and again when clusters were joined); a near copy still joins."""
    from crawler.storage import store as store_module

    compared: list[int] = []
    best_match = store_module._best_match

    def counted(doc: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any] | None:
        compared.append(len(members))
        return best_match(doc, members)

    monkeypatch.setattr(store_module, "_best_match", counted)
    opened = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
    try:
        batch = [doc(n, text(f"topic{n}")) for n in range(60)]
        batch.append(doc(60, text("topic7", "one more line")))  # a near copy of story 7
        assert opened.write_articles(batch, {}).inserted == 61
        clusters = {d["_id"]: d["story_cluster"] for d in opened.db["articles"].find({}, {"story_cluster": 1})}
    finally:
        opened.close()
    assert clusters[batch[60]["_id"]] == clusters[batch[7]["_id"]]
    assert len(set(clusters.values())) == 60
    assert sum(compared) <= 4 * len(batch)  # each with itself and its near copy, not with all 60 others


def test_records_sharing_many_looked_up_bands_are_read_once_in_the_order_found(tmp_path: Path) -> None:
    """Story clusters look up every band of a batch (16 a record, in chunks of ``LOOKUP_CHUNK``): a record holding
    bands of every chunk is parsed and projected once, not once per chunk (its JSON, long with the body, is most of
    the cost), and the records come back once each, in the order they are first found (the first of equally near
    ones decides a cluster), as neosqlite finds them."""
    import time

    store = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
    try:
        docs = [{**doc(n, text(f"topic{n}")), "paragraphs": [text(f"topic{n}")] * 300} for n in range(200)]
        store.db["articles"].insert_many(docs)
        wanted = sorted({band for d in docs for band in d["lsh_bands"]})
        assert len(wanted) > 6 * keys.LOOKUP_CHUNK
        projection = {"minhash": 1, "lsh_bands": 1, "published": 1}

        def cpu(values: list[str]) -> tuple[float, list[Any]]:
            started = time.process_time()
            found = keys.find(store.db.db, "lsh_bands", values, projection)
            return time.process_time() - started, found

        one, _ = min(cpu([d["lsh_bands"][0] for d in docs]) for _ in range(3))  # each record in one chunk
        every, found = min(cpu(wanted) for _ in range(3))
        assert every < one * 2.5, f"{every:.3f} s for the batch's bands, {one:.3f} s for one band a record"
        expected = list(store.db["articles"].find({"lsh_bands": {"$in": wanted}}, projection))
        assert sorted(found, key=lambda d: d["_id"]) == sorted(expected, key=lambda d: d["_id"])
        assert len({d["_id"] for d in found}) == len(found) == len(docs)
        first_chunk = set(wanted[:keys.LOOKUP_CHUNK])
        holders = {d["_id"] for d in docs if first_chunk & set(d["lsh_bands"])}  # found by the first chunk: first
        assert {d["_id"] for d in found[:len(holders)]} == holders
    finally:
        store.close()
