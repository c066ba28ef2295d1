"""``scrapy articles``: show what the store holds (embedded or ``MONGO_URI``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crawler.storage.store import ArticleStore
from crawler.store_command import StoreCommand


def _summary(doc: dict[str, Any]) -> str:
    published = doc["published"].isoformat() if doc.get("published") else "-"
    words = len((doc.get("body") or "").split())
    where = f"{doc.get('site')}/{doc.get('language')}"
    return f"{published}  [{where}]  {doc.get('title')}  ({words} words)\n    {doc['url']}"


class Command(StoreCommand):
    def short_desc(self) -> str:
        return "List stored articles and recent crawl runs"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="only this site")
        parser.add_argument("--limit", type=int, default=20, help="how many articles (default 20)")
        parser.add_argument("--json", action="store_true", help="print full records as JSON lines")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        store = self.open_store()
        if store is None:
            return
        try:
            self._print(store, opts)
        finally:
            store.close()

    @staticmethod
    def _print(store: ArticleStore, opts: argparse.Namespace) -> None:
        articles = store.latest_articles(opts.site, opts.limit)
        if opts.json:
            for doc in articles:
                sys.stdout.write(json.dumps(doc, default=str, ensure_ascii=False) + "\n")
            return
        out = sys.stdout
        out.write(f"{store.count_articles(opts.site)} articles in {store.target.describe()}\n")
        for doc in articles:
            out.write(_summary(doc) + "\n")
        for run in store.latest_runs():
            out.write(f"run {run['_id'][:8]} {run['spider']}: {run['outcome']} ({run['finish_reason']}), "
                  f"{run['articles_stored']} stored, started {run['started_at']:%Y-%m-%d %H:%M:%S}\n")
