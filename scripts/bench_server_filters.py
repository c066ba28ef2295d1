#!/usr/bin/env python3
"""How long a MongoDB server takes for the store's look-ups of a site's or a story's records, asked as the store
asked before (a plain equality; ``count_documents``) and as it asks now (:func:`crawler.storage.server_filters.indexed`;
a recent window's ids counted; a job's size counted up to its threshold, the whole store from the collection's own
count, a site's presence from one record).

Fills a database of its own (dropped afterwards) with ``--records`` articles of ``--sites`` sites, about 2 KB of
text each, three to a story cluster, with the store's indexes, then prints the best of ``--repeat`` times of each
look-up in both forms::

    .venv/bin/python scripts/bench_server_filters.py --mongo-uri mongodb://127.0.0.1:27017 --records 30000
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.secrets import mask_uri
from crawler.storage.server_filters import indexed
from crawler.storage.store import ArticleStore, StoreTarget
from scripts.raw_mongo import raw_client

BODY = "Текст новости о событиях в регионе. " * 55  # about 2 KB, as a short article


START = datetime(2026, 1, 1, tzinfo=UTC)  # the first record's dates; one a minute after it


def fill(articles: Any, records: int, sites: int) -> None:
    start = START
    batch: list[dict[str, Any]] = []
    for n in range(records):
        batch.append({"_id": f"a{n:08d}", "url": f"https://site{n % sites}.test/news/{n}/", "site": f"site{n % sites}",
                      "title": f"Заголовок {n}", "body": BODY, "published": start + timedelta(minutes=n),
                      "first_seen": start + timedelta(minutes=n), "story_cluster": f"a{n - n % 3:08d}",
                      "story_original": n % 3 == 0})
        if len(batch) == 1000:
            articles.insert_many(batch, ordered=False)
            batch = []
    if batch:
        articles.insert_many(batch, ordered=False)


def best_ms(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mongo-uri", required=True)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    database = f"filters_{uuid.uuid4().hex[:8]}"
    store = ArticleStore.connect(StoreTarget(args.mongo_uri, database, ""))  # the store's indexes
    client = raw_client(args.mongo_uri, wait_s=5)
    articles = client[database]["articles"]  # the server's answer alone: no key collection
    try:
        started = time.monotonic()
        fill(articles, args.records, args.sites)
        print(f"{args.records:,} records of {args.sites} sites in {mask_uri(args.mongo_uri)}, filled in "
              f"{time.monotonic() - started:.0f} s; best of {args.repeat}, ms", flush=True)
        site, cluster = "site3", f"a{(args.records // 2) - (args.records // 2) % 3:08d}"
        lookups: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
            ("a site's newest date", lambda f: list(articles.find({**f}, {"published": 1}).sort("published", -1)
                                                    .limit(1))),
            ("a site's oldest date", lambda f: list(articles.find({**f, "published": {"$ne": None}}, {"published": 1})
                                                    .sort("published", 1).limit(1))),
            ("a site's 100 newest", lambda f: list(articles.find(f, {"url": 1, "published": 1})
                                                   .sort("published", -1).limit(100))),
            ("a story cluster's members", lambda f: list(articles.find(f, {"published": 1, "story_original": 1}))),
            ("a story cluster relabelled", lambda f: articles.update_many(f, {"$set": {"story_cluster": cluster}})),
        ]
        print(f"  {'look-up':28} {'before':>9} {'now':>9}")
        for label, lookup in lookups:
            query = {"story_cluster": cluster} if "story" in label else {"site": site}
            plain = best_ms(lambda: lookup(query), args.repeat)  # noqa: B023
            eq = best_ms(lambda: lookup(indexed(query)), args.repeat)  # noqa: B023
            print(f"  {label:28} {plain:9.1f} {eq:9.1f}", flush=True)
        day = {"site": site, "first_seen": {"$gte": START + timedelta(minutes=args.records - 1440)}}
        counted = best_ms(lambda: articles.count_documents(day), args.repeat)
        listed = best_ms(lambda: sum(1 for _ in articles.find(indexed(day), {"_id": 1})), args.repeat)
        label = "a site's last day counted"
        print(f"  {label:28} {counted:9.1f} {listed:9.1f}", flush=True)
        # The store's own counts (no key collection read): a job sized against export's 5,000 (one process or
        # several), the whole store (scrapy articles, export's progress), a --site name checked.
        sizes: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            ("a site's job sized", lambda: articles.count_documents({"site": site}),
             lambda: store.count_articles(site, at_most=5000)),
            ("the whole store counted", lambda: articles.count_documents({}), lambda: store.count_articles()),
            ("a site's presence", lambda: articles.count_documents({"site": site}), lambda: store.has_articles(site)),
        ]
        for label, before, now in sizes:
            print(f"  {label:28} {best_ms(before, args.repeat):9.1f} {best_ms(now, args.repeat):9.1f}", flush=True)
    finally:
        store.close()
        client.drop_database(database)
        client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
