"""The embedded store's new records are written in SQL (:mod:`crawler.storage.rows`) exactly as neosqlite writes
them: the same rows (row id, ``_id``, JSON text byte for byte), the same key-table, index and full-text rows, the
same bulk results and the same errors; a record that exists after all is left to neosqlite (matched, updated)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import neosqlite
import pytest
from neosqlite.exceptions import BulkWriteError
from pymongo import ReplaceOne, UpdateOne

from crawler.storage import rows
from crawler.storage.store import ArticleStore, StoreTarget, _page_upsert

WHEN = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def record(n: int) -> dict[str, Any]:
    """An article as the crawl stores it (text in several scripts, times, lists, nested objects, nulls), some with
    bytes deep inside (a page's are at the top)."""
    url = f"https://akipress.com/news/{n}/"
    return {"_id": f"id{n:03d}", "url": url, "urls": [url, f"{url}?amp"], "site": "akipress",
            "title": f"Заголовок {n} — «Жаңалықтар» \"quoted\" \\ ✓", "body": f"Текст {n}\n\tüñí 🎉 \u2028 end",
            "content_hash": f"h{n}", "minhash": [n, 2**31 + n, 0], "lsh_bands": [f"b{n}", f"b{n + 1}"],
            "published": WHEN - timedelta(hours=n, microseconds=7), "fetched_at": WHEN, "language": "ru",
            "authors": [], "tags": ["a", "b"], "word_count": 42, "score": 0.25, "story_original": True,
            "attribution": None, "revisions": [{"content_hash": "old", "fetched_at": WHEN}], "first_seen": WHEN,
            "images": [{"src": "a.jpg", "thumb": bytes([n, 0, 255])}] if n % 2 == 0 else [], "pair": (n, "x")}


def upserts(start: int, count: int) -> list[Any]:
    """The crawl's writes of a batch: new records ($setOnInsert), their pages ($set with bytes), an update."""
    ops: list[Any] = []
    for n in range(start, start + count):
        doc = record(n)
        ops.append(UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True))
    return ops


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (articles, pages, key tables, full-text tables, neosqlite's own) but the index list."""
    connection = sqlite3.connect(path)
    tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                     "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    found = {name: connection.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in tables}
    connection.close()
    # When each store ran its migrations: the two stores are made a moment apart, across a second's turn at times.
    found["store_migrations"] = [(name, *rest) for name, _, *rest in found.get("store_migrations", [])]
    return found


def write_both(tmp_path: Path, batches: list[tuple[str, list[Any]]]) -> tuple[Path, Path, list[Any], list[Any]]:
    """The same writes through neosqlite's bulk_write and through rows.bulk_write, each into a new store."""
    paths, answers = [], []
    for name, write in (("neosqlite", lambda c, ops: c.bulk_write(ops, ordered=False)), ("rows", rows.bulk_write)):
        store = ArticleStore.connect(StoreTarget("", name, str(tmp_path)))  # indexes, key tables, full text
        got = []
        for collection, ops in batches:
            try:
                result = write(store.db[collection], ops)
                got.append(("ok", result.matched_count, result.upserted_count, result.modified_count,
                            result.upserted_ids))
            except BulkWriteError as exc:
                got.append(("error", [(e["index"], e["code"], e["errmsg"]) for e in exc.details["writeErrors"]],
                            exc.details["nUpserted"], exc.details["nMatched"]))
        store.close()
        paths.append(store.target.embedded_path)
        answers.append(got)
    return paths[0], paths[1], answers[0], answers[1]


def test_new_records_and_pages_are_stored_byte_for_byte_as_neosqlite_stores_them(tmp_path: Path) -> None:
    pages = [_page_upsert(record(n), f"<html><body><p>Страница {n}</p></body></html>") for n in range(5)]
    again = [UpdateOne({"_id": "id001"}, {"$setOnInsert": {**record(1), "title": "other"}}, upsert=True),
             UpdateOne({"_id": "id002"}, {"$addToSet": {"urls": {"$each": ["https://x.kg/new/"]}}}),
             ReplaceOne({"_id": "id003", "content_hash": "h3"}, {**record(3), "body": "changed"}),
             UpdateOne({"_id": "id900"}, {"$set": {"story_original": False}}, upsert=True)]
    newer = [_page_upsert(record(2), "<p>a newer version of a stored page</p>"), pages[0], *pages[4:]]
    neo, ours, neo_answers, our_answers = write_both(tmp_path, [("articles", upserts(0, 5)), ("pages", pages),
                                                                ("articles", again), ("pages", newer)])
    assert our_answers == neo_answers
    assert our_answers[0] == ("ok", 0, 5, 0, {n: f"id{n:03d}" for n in range(5)})
    assert our_answers[2][1:3] == (3, 1)  # the stored records matched (neosqlite's own writes), one upserted
    assert our_answers[3][1:3] == (3, 0)  # stored pages: matched and updated by neosqlite
    before, after = dump(neo), dump(ours)
    assert before.keys() == after.keys() and {"articles_urls_keys", "articles_title_fts", "pages"} <= set(after)
    for table in before:
        assert after[table] == before[table], table
    assert len(after["articles"]) == 6 and len(after["pages"]) == 5 and after["articles_urls_keys"]


def test_writes_neosqlite_refuses_are_refused_in_its_own_words(tmp_path: Path) -> None:
    bad = [UpdateOne({"_id": "nan"}, {"$setOnInsert": {"_id": "nan", "score": float("nan")}}, upsert=True),
           UpdateOne({"_id": "set"}, {"$setOnInsert": {"_id": "set", "tags": {1, 2}}}, upsert=True),
           *upserts(0, 1),
           UpdateOne({"_id": "x"}, {"$setOnInsert": {"_id": "y"}}, upsert=True)]
    neo, ours, neo_answers, our_answers = write_both(tmp_path, [("articles", bad)])
    assert our_answers == neo_answers
    assert our_answers[0][0] == "error" and [index for index, _, _ in our_answers[0][1]][:2] == [0, 1]
    assert dump(ours)["articles"] == dump(neo)["articles"]


def test_a_failed_statement_is_a_write_error_as_neosqlite_reports_it(tmp_path: Path) -> None:
    """A statement SQLite refuses (here a trigger standing for a full disk) is a per-write error, with the code and
    message neosqlite gives (the store decides from them whether to retry and spool), never a crash."""
    store = ArticleStore.connect(StoreTarget("", "news", str(tmp_path)))
    store.db.db.execute("CREATE TRIGGER full BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'disk is full'); END")
    refused = []
    for write in (lambda c, ops: c.bulk_write(ops, ordered=False), rows.bulk_write):
        with pytest.raises(BulkWriteError) as failed:
            write(store.db["articles"], upserts(0, 2))
        refused.append([(e["index"], e["code"], e["errmsg"]) for e in failed.value.details["writeErrors"]])
    store.close()
    assert refused[1] == refused[0] and [e[2] for e in refused[1]] == ["disk is full"] * 2


def test_only_upserts_by_id_alone_take_the_sql_path() -> None:
    assert rows.new_record(UpdateOne({"_id": "a"}, {"$set": {"x": 1}}, upsert=True)) == {"_id": "a", "x": 1}
    assert rows.new_record(UpdateOne({"_id": "a"}, {"$set": {"x": 1}})) is None
    assert rows.new_record(UpdateOne({"_id": "a", "v": 1}, {"$set": {"x": 1}}, upsert=True)) is None
    assert rows.new_record(UpdateOne({"_id": "a"}, {"$set": {"x.y": 1}}, upsert=True)) is None
    assert rows.new_record(UpdateOne({"_id": "a"}, {"$set": {"x": 1}, "$inc": {"n": 1}}, upsert=True)) is None
    assert rows.new_record(UpdateOne({"_id": "a"}, {"$addToSet": {"x": 1}}, upsert=True)) is None
    assert rows.new_record(ReplaceOne({"_id": "a"}, {"x": 1}, upsert=True)) is None
    assert isinstance(neosqlite.Collection, type)
