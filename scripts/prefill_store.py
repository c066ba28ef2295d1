"""Fill a store quickly with N realistic stored articles (not crawled): for measuring a crawl on a large store.

    .venv/bin/python scripts/prefill_store.py --size 1000000 --data-dir DIR [--database news] [--mongo-uri URI]

Records are what a crawl leaves (URLs, site, language, title, a body of a few KB in one of the region's
languages, dates, content hash, MinHash signature and its LSH bands, story cluster), spread over 20
archive sites and 5 years, none of them on the benchmark's generated sites. The embedded store is
written as SQL rows in one transaction into neosqlite's table shape, then opened once through
``ArticleStore.connect``, which builds its indexes, text index and key tables over the rows in bulk
(the migration an existing store goes through). A MongoDB server likewise gets ``insert_many`` batches into
a new collection, then one ``ArticleStore.connect``, which builds its indexes, text index and key collection
over them (nx-27017 took 7 ms a record inserting into indexes and the key collection, 4.9 ms so, at
20,000). Stored pages (HTML) are not filled: a crawl only upserts its own by ``_id``.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.minhash import bands  # noqa: E402
from crawler.storage.store import ArticleStore, StoreTarget  # noqa: E402

SITES = 20
LANGUAGES = ("ru", "ky", "uz", "kk", "tg", "en")
_SYLLABLES = ("ка", "ра", "то", "ми", "на", "ло", "сы", "ба", "ту", "жа", "ко", "ре", "ли", "да", "ны", "ма")


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    """A pool of generated paragraphs; a body is a few drawn from it (quick, and text-like for the text index)."""
    vocabulary = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 5))) for _ in range(5000)]
    return [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(30, 60))).capitalize() + "."
            for _ in range(count)]


def records(count: int, seed: int = 11, paragraphs: int = 7) -> Iterator[dict[str, Any]]:
    """``count`` stored articles as the crawl leaves them, bodies of 3 to ``paragraphs`` paragraphs (fewer: 1)."""
    rng = random.Random(seed)
    pool = _paragraphs(rng, 2000)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    for n in range(count):
        site = f"archive{n % SITES}"
        url = f"https://{site}.test/{n // SITES}/news-{n}/"
        doc_id = hashlib.sha256(url.encode()).hexdigest()
        drawn = [pool[rng.randrange(len(pool))] for _ in range(rng.randint(min(3, paragraphs), paragraphs))]
        signature = [rng.getrandbits(61) for _ in range(64)]
        when = start + timedelta(minutes=2.5 * n)
        yield {"_id": doc_id, "url": url, "urls": [url], "site": site, "language": LANGUAGES[n % len(LANGUAGES)],
               "title": drawn[0][:90], "body": "\n\n".join(drawn), "authors": [f"Author {n % 300}"],
               "tags": [f"tag{n % 50}"], "published": when, "fetched_at": when + timedelta(hours=1),
               "first_seen": when + timedelta(hours=1), "last_checked": when + timedelta(days=8),
               "content_hash": hashlib.sha256(f"text {n}".encode()).hexdigest(), "minhash": signature,
               "lsh_bands": bands(signature), "story_cluster": doc_id, "story_original": True,
               "translations": [], "schema_version": 1}


def fill_embedded(path: Path, count: int, paragraphs: int = 7) -> None:
    """Rows in neosqlite's shape (``id``, ``_id``, JSON ``data``) in one transaction, before any index."""
    from neosqlite.collection.json_helpers import neosqlite_json_dumps

    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")  # this connection only: a fill that fails is started again
        connection.execute("CREATE TABLE IF NOT EXISTS articles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "_id TEXT, data TEXT NOT NULL)")
        connection.execute("BEGIN")
        rows = ((doc["_id"], neosqlite_json_dumps(doc)) for doc in records(count, paragraphs=paragraphs))
        connection.executemany("INSERT INTO articles(_id, data) VALUES (?, ?)", rows)
        connection.execute("COMMIT")
        connection.execute("CREATE UNIQUE INDEX IF NOT EXISTS idx_articles_id ON articles(_id)")
    finally:
        connection.close()


def fill_mongo(target: StoreTarget, count: int, paragraphs: int = 7, batch: int = 2000) -> None:
    """Records into the server's ``articles`` collection as they are, before any index or key (raw pymongo: the
    store's collection would upsert each record's keys into the key collection as it inserts it)."""
    from scripts.raw_mongo import raw_client

    client = raw_client(target.uri, wait_s=target.timeout, answer_s=3 * target.timeout)
    try:
        articles = client[target.database]["articles"]
        if articles.estimated_document_count():
            raise SystemExit(f"the database {target.database!r} holds articles already: fill a new one")
        chunk: list[dict[str, Any]] = []
        for doc in records(count, paragraphs=paragraphs):
            chunk.append(doc)
            if len(chunk) >= batch:
                articles.insert_many(chunk, ordered=False)
                chunk = []
        if chunk:
            articles.insert_many(chunk, ordered=False)
    finally:
        client.close()


def fill_store(data_dir: Path, mongo_uri: str, database: str, count: int, paragraphs: int = 7) -> dict[str, float]:
    """``count`` stored articles in a new store; the seconds each step took."""
    target = StoreTarget(mongo_uri, database, str(data_dir), timeout=600)  # index builds over a million
    timings = {}
    started = time.monotonic()
    if mongo_uri:
        fill_mongo(target, count, paragraphs)
        timings["insert_many"] = time.monotonic() - started
    else:
        fill_embedded(target.embedded_path, count, paragraphs)
        timings["rows"] = time.monotonic() - started
    started = time.monotonic()
    ArticleStore.connect(target).close()  # indexes, text index and keys over the records: the migration
    timings[f"indexes, text index, key {'collection' if mongo_uri else 'tables'}"] = time.monotonic() - started
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True, help="articles to store")
    parser.add_argument("--data-dir", required=True, help="DATA_DIR of the embedded store")
    parser.add_argument("--database", default="news", help="MONGO_DATABASE (the embedded file is <database>.db)")
    parser.add_argument("--mongo-uri", default="", help="fill this MongoDB server instead")
    parser.add_argument("--paragraphs", type=int, default=7,
                        help="most paragraphs per body (default 7, about 2,000 characters; 1: a quicker fill)")
    args = parser.parse_args()
    timings = fill_store(Path(args.data_dir), args.mongo_uri, args.database, args.size, args.paragraphs)
    print(f"{args.size:,} articles stored: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
